"""Migration 0008 takes the demographic term out of scores stored before it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import Connection, inspect, select, text

from rm_plugin.store import Database
from rm_plugin.store.models import Pair


def insert(conn: Connection, table: str, **values: Any) -> None:
    """A row of the 0007 schema: every required column not given gets a plain value of its type."""
    for column in inspect(conn).get_columns(table):
        if column["name"] in values or column["nullable"] or column.get("default") is not None:
            continue
        kind = str(column["type"]).upper()
        values[column["name"]] = (
            0
            if "INT" in kind or "FLOAT" in kind or "BOOL" in kind
            else "2026-01-01 00:00:00"
            if "DATE" in kind or "TIME" in kind
            else "[]"
            if "JSON" in kind
            else ""
        )
    names = ", ".join(values)
    conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + n for n in values)})"), values)


def test_stored_scores_become_the_visible_ones(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    cfg = db._alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0007")
    with db.engine.begin() as conn:
        insert(conn, "programmes", id=1, slug="p", name="P")
        for pid, hr in ((1, "S"), (2, "J")):
            insert(conn, "people", id=pid, hr_id=hr, email=f"{hr}@x.com")
        hidden = (
            '{"skills": {"value": 1.0, "weight": 3.0, "points": 3.0},'
            ' "diverse_pair": {"value": 1.0, "weight": 0.5, "points": 0.5}}'
        )
        plain = '{"skills": {"value": 0.5, "weight": 3.0, "points": 1.5}}'
        for pair_id, breakdown, score in ((1, hidden, 3.5), (2, plain, 1.5)):
            insert(
                conn,
                "pairs",
                id=pair_id,
                programme_id=1,
                mentee_id=1,
                mentor_id=2,
                status="proposed",
                score=score,
                breakdown=breakdown,
            )
    assert db.upgrade() is True
    with db.transaction() as s:
        pairs = {p.id: p for p in s.scalars(select(Pair))}
        assert pairs[1].breakdown == {"skills": {"value": 1.0, "weight": 3.0, "points": 3.0}}
        assert pairs[1].score == 3.0
        assert (pairs[2].score, list(pairs[2].breakdown)) == (1.5, ["skills"])
    db.dispose()
