"""The schema comes from migrations alone and matches the models on both backends."""

from __future__ import annotations

import datetime as dt

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from rm_plugin.store import Database
from rm_plugin.store.models import Base, OutboxItem, Person


def test_migrations_reach_head_and_match_the_models(db: Database) -> None:
    assert db.current_revision() == db.head_revision()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    assert diff == []


def test_upgrade_twice_changes_nothing(db: Database) -> None:
    assert db.upgrade() is False


def test_rows_round_trip_with_json_and_aware_datetimes(db: Database) -> None:
    when = dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)
    with db.transaction() as s:
        s.add(Person(hr_id="E1", email="a@example.com", languages=["en", "de"], job_level=3))
        s.add(
            OutboxItem(
                key="k1", connection="files", action="completion", payload={"a": [1, 2]}, next_attempt_at=when
            )
        )
    with db.transaction() as s:
        person = s.scalars(select(Person)).one()
        item = s.scalars(select(OutboxItem)).one()
        assert person.languages == ["en", "de"]
        assert item.payload == {"a": [1, 2]}
        assert item.next_attempt_at == when
        assert item.next_attempt_at.tzinfo is not None


def test_database_errors_never_echo_the_values_bound(db: Database) -> None:
    """A refused insert names the statement, never the data (a private note, a token)."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    with db.transaction() as s:
        s.add(OutboxItem(key="same", connection="files", action="notify", payload={}))
    with pytest.raises(IntegrityError) as caught, db.transaction() as s:
        s.add(OutboxItem(key="same", connection="files", action="notify", payload={"secret": "NOTE-TEXT-42"}))
    assert "NOTE-TEXT-42" not in str(caught.value)
