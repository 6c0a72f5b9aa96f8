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


def test_stored_pairs_move_their_clock_to_the_day_they_became_active(tmp_path) -> None:
    """0009: a start copied from the programme at proposal becomes the day the pair was approved."""
    from alembic import command
    from sqlalchemy import MetaData

    database = Database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    cfg = database._alembic_config()
    with database.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0008")
    at = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    person = dict.fromkeys(("given_name", "family_name", "title", "department", "team", "location"), "")
    person |= {"time_zone": "", "languages": [], "status": "active", "source": "", "created_at": at}
    with database.engine.begin() as conn:
        tables = MetaData()
        tables.reflect(conn)
        conn.execute(tables.tables["people"].insert(), [
            {**person, "id": 1, "hr_id": "S", "email": "s@x.org", "updated_at": at},
            {**person, "id": 2, "hr_id": "J", "email": "j@x.org", "updated_at": at},
        ])  # fmt: skip
        conn.execute(tables.tables["programmes"].insert(), {
            "id": 1, "slug": "p", "name": "P", "objectives": [], "starts_on": dt.date(2026, 11, 1),
            "ends_on": dt.date(2027, 4, 30), "enrolment": "open", "status": "open", "min_level_gap": 2,
            "tenure_tiebreak": False, "reviewers_required": 2, "cadence_days": 14, "mentor_capacity": 1,
            "allow_mutual": False, "rules": {}, "weights": {}, "milestones": [], "settings": {},
            "created_at": at,
        })  # fmt: skip
        for pair_id, starts, ends in ((1, dt.date(2026, 11, 1), dt.date(2027, 4, 30)),
                                      (2, dt.date(2026, 12, 7), dt.date(2027, 3, 31))):  # fmt: skip
            conn.execute(tables.tables["pairs"].insert(), {
                "id": pair_id, "programme_id": 1, "mentee_id": 1, "mentor_id": 2, "status": "active",
                "breakdown": {}, "rules_passed": [], "pinned": False, "run_id": "", "starts_on": starts,
                "ends_on": ends, "created_at": at, "updated_at": at,
            })  # fmt: skip
            conn.execute(tables.tables["pair_status_changes"].insert(), {
                "pair_id": pair_id, "from_status": "proposed", "to_status": "active", "actor": "R",
                "reason": "", "at": dt.datetime(2026, 11, 29, 10, tzinfo=dt.UTC),
            })  # fmt: skip
    database.upgrade()
    with database.transaction() as s:
        from rm_plugin.store.models import Pair

        rows = [(p.id, p.starts_on, p.ends_on) for p in s.scalars(select(Pair).order_by(Pair.id))]
    database.dispose()
    # the copied dates move (start: the approval day; end: follow the programme); dates set on purpose stay
    assert rows == [(1, dt.date(2026, 11, 29), None), (2, dt.date(2026, 12, 7), dt.date(2027, 3, 31))]
