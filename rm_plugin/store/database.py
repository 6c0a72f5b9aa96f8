"""One handle on the site's database: engine, sessions, and migrations applied at start.

SQLite (a file in the site) is the embedded default; PostgreSQL is selected by URL. Several
processes may share either: SQLite runs in WAL mode with a busy timeout, PostgreSQL hands out
outbox rows with ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from rm_plugin.errors import UserError

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # In WAL mode NORMAL cannot corrupt the file and a killed process loses no committed
    # transaction; only an OS crash may undo the last commits, which the outbox's receipt and
    # host checks already cover. It saves an fsync per commit (the sync engine commits a lot).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine whose errors never echo bound values: a failed insert must not print a
    meeting's private note, a survey comment or a token into a log or a traceback."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


class DatabaseUnavailable(UserError):
    """The database cannot be opened or migrated; the message never shows its password."""

    exit_code = 2


class Database:
    """The site's database. Use :meth:`transaction` for a unit of work that commits or rolls back."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def __repr__(self) -> str:
        return f"<Database {make_url(self.url).render_as_string(hide_password=True)}>"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back on an error.

        The doors use :func:`rm_plugin.unit_of_work.unit_of_work`, which opens one of these.
        """
        with self.sessions.begin() as session:
            yield session

    def session(self) -> Session:
        return self.sessions()

    # --- migrations -----------------------------------------------------------------

    def _alembic_config(self) -> AlembicConfig:
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        return cfg

    def current_revision(self) -> str | None:
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def head_revision(self) -> str | None:
        return ScriptDirectory.from_config(self._alembic_config()).get_current_head()

    def upgrade(self) -> bool:
        """Bring the schema to the newest revision; returns True if anything was applied."""
        before = self.current_revision()
        if before == self.head_revision():
            return False
        cfg = self._alembic_config()
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        log.info("database upgraded from %s to %s", before or "empty", self.head_revision())
        return True

    def dispose(self) -> None:
        self.engine.dispose()
