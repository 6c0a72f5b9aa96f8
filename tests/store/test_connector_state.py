"""A connection's own state: kept between runs, locked while one worker changes it, migrated from 0006."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError

from rm_plugin.store import Database
from rm_plugin.store.connector_state import StoredState
from rm_plugin.store.models import ConnectorState, SyncState


def test_state_is_kept_per_connection_and_key(db: Database) -> None:
    workday = StoredState(lambda: db, "workday")
    with workday.locked("oauth") as value:
        assert value == {}
        value["refresh_token"] = "r-2"
    with StoredState(lambda: db, "other").locked("oauth") as value:
        assert value == {}
    with StoredState(lambda: db, "workday").locked("oauth") as value:  # a later run
        assert value == {"refresh_token": "r-2"}


def test_a_change_is_dropped_when_the_block_fails(db: Database) -> None:
    state = StoredState(lambda: db, "workday")
    with state.locked("oauth") as value:
        value["refresh_token"] = "r-1"
    with pytest.raises(RuntimeError), state.locked("oauth") as value:
        value["refresh_token"] = "r-2"
        raise RuntimeError("the host refused the token")
    with state.locked("oauth") as value:
        assert value == {"refresh_token": "r-1"}


def test_another_worker_cannot_take_the_state_while_it_is_held(db: Database, db_url: str) -> None:
    """A second connection asking without waiting is refused until the first block ends."""
    where = "connection = 'workday' AND key = 'oauth'"
    if db.dialect == "postgresql":
        other = create_engine(db_url)
        take = f"SELECT 1 FROM connector_state WHERE {where} FOR UPDATE NOWAIT"
    else:  # SQLite locks the whole file for a writer; timeout 0 is its NOWAIT
        other = create_engine(db_url, connect_args={"timeout": 0})
        take = f"UPDATE connector_state SET updated_at = updated_at WHERE {where}"
    with StoredState(lambda: db, "workday").locked("oauth") as value:
        value["refresh_token"] = "r-2"
        with pytest.raises(OperationalError), other.begin() as conn:
            conn.execute(text(take))
    with other.begin() as conn:
        conn.execute(text(take))  # free again once the block ended
    other.dispose()


def test_upgrading_moves_a_stored_workday_token_from_sync_state(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    cfg = db._alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0006")
    with db.transaction() as session:
        session.add(SyncState(key="oauth:workday", value={"from": "abc", "refresh_token": "r-9"}))
        session.add(SyncState(key="people:workday", value={"cursor": "c-1"}))
    db.upgrade()
    with db.transaction() as session:
        moved = session.scalars(select(ConnectorState)).one()
        assert (moved.connection, moved.key, moved.value) == (
            "workday",
            "oauth",
            {"from": "abc", "refresh_token": "r-9"},
        )
        assert [s.key for s in session.scalars(select(SyncState))] == ["people:workday"]
    db.dispose()
