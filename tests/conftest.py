"""Shared fixtures: a migrated database on SQLite always, and on PostgreSQL when configured.

Set ``RM_PLUGIN_TEST_POSTGRES_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``)
to run every database test on PostgreSQL too: the suite creates a database of its own on
that server, migrates it once and empties it between tests. Test ids end in ``[sqlite]`` or
``[postgresql]``, and the summary says how many ran on each.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from rm_plugin.store import Database
from rm_plugin.store.models import Base

PG_ENV = "RM_PLUGIN_TEST_POSTGRES_URL"
_ran_on: Counter[str] = Counter()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    database.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session (dropped at the end)."""
    server_url = os.environ.get(PG_ENV)
    if not server_url:
        pytest.skip(f"{PG_ENV} is not set")
    name = f"rm_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    database = Database(url)
    database.upgrade()
    database.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path) -> Iterator[str]:
    """The URL of an empty, migrated database; the test runs once per backend."""
    if request.param == "sqlite":
        path = tmp_path / "rm-plugin.sqlite3"
        shutil.copy(_sqlite_template, path)
        _ran_on["sqlite"] += 1
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
        _empty_postgres(url)
        _ran_on["postgresql"] += 1
        yield url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A :class:`Database` on an empty, migrated schema, per backend."""
    database = Database(db_url)
    yield database
    database.dispose()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _ran_on:
        figures = ", ".join(f"{backend}: {count}" for backend, count in sorted(_ran_on.items()))
        terminalreporter.write_line(f"database tests run per backend: {figures}")
    if not os.environ.get(PG_ENV):
        terminalreporter.write_line(f"PostgreSQL database tests were skipped ({PG_ENV} not set)")


@pytest.fixture
def site_root(tmp_path: Path, db_url: str) -> Path:
    """A fresh site made from the template (like ``rm-plugin init``) on the test's database backend."""
    from rm_plugin.site import create_site

    root = tmp_path / "site"
    create_site(root)
    config = root / "rm-plugin.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            'url = "sqlite:///rm-plugin.sqlite3"', f'url = "{db_url}"'
        ),
        encoding="utf-8",
    )
    return root
