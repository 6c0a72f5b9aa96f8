"""Sites and outbox rows for sync tests, made directly (no other feature needed)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from sqlalchemy import select

from rm_plugin.outbox import enqueue, enrolment_key
from rm_plugin.site import Site
from rm_plugin.store import Database
from rm_plugin.store.models import OutboxItem
from rm_plugin.store.types import utcnow

CONNECTOR = Path(__file__).with_name("sync_standin_connector.py")


def make_site_dir(root: Path, db_url: str, host_url: str | None = None, concurrency: int = 4) -> Path:
    """A site whose database is ``db_url``; with ``host_url``, a ``standin`` connection to it."""
    (root / "connectors").mkdir(parents=True, exist_ok=True)
    (root / "hooks").mkdir(exist_ok=True)
    (root / "rm-plugin.toml").write_text(f'[database]\nurl = "{db_url}"\n')
    if host_url is not None:
        shutil.copy(CONNECTOR, root / "hooks" / "standin_connector.py")
        (root / "connectors" / "standin.toml").write_text(
            f'type = "standin"\nurl = "{host_url}"\nconcurrency = {concurrency}\ntimeout = 10\n'
        )
    return root


def load_site(root: Path) -> Site:
    return Site.load(root, load_entrypoints=False)


def add_milestones(db: Database, count: int, connection: str = "standin", start: int = 0) -> list[str]:
    """``count`` completion rows, one per (person, milestone); returns their keys."""
    keys = []
    with db.transaction() as session:
        for n in range(start, start + count):
            key = f"completion:pilot:E{n:05d}:first_meeting"
            enqueue(
                session,
                key=key,
                connection=connection,
                action="completion",
                payload={
                    "programme": "pilot",
                    "milestone": "first_meeting",
                    "person": f"E{n:05d}",
                    "pair_id": n,
                },
            )
            keys.append(key)
    return keys


def add_pairs(
    db: Database,
    count: int,
    connection: str = "standin",
    completions: int = 3,
    start: int = 1,
    completions_first: bool = True,
) -> dict[int, list[str]]:
    """``count`` pairs, each an ``enrol`` row and ``completions`` rows that follow it, the
    completions queued *before* the enrolment (as a backfill or a late approval may) unless
    ``completions_first`` is False; returns the keys per pair id, the enrolment's first."""
    keys: dict[int, list[str]] = {}
    with db.transaction() as session:
        for pair_id in range(start, start + count):
            enrol = enrolment_key(pair_id, connection)
            keys[pair_id] = [enrol]
            rows = []
            for n in range(completions):
                key = f"completion:pilot:m{n}:{pair_id}:E{pair_id:05d}:{connection}"
                payload = {
                    "programme": "pilot",
                    "milestone": f"m{n}",
                    "person": f"E{pair_id:05d}",
                    "pair_id": pair_id,
                }
                rows.append({"key": key, "action": "completion", "payload": payload, "after": [enrol]})
                keys[pair_id].append(key)
            payload = {
                "programme": "pilot",
                "pair_id": pair_id,
                "mentee": f"E{pair_id:05d}",
                "mentor": "E99999",
            }
            enrolment = {"key": enrol, "action": "enrol", "payload": payload}
            for row in [*rows, enrolment] if completions_first else [enrolment, *rows]:
                enqueue(session, connection=connection, **row)
    return keys


class Clock:
    """A clock tests move by hand, starting just after the rows were written."""

    def __init__(self) -> None:
        self.start = self.now = utcnow() + dt.timedelta(seconds=1)

    def __call__(self) -> dt.datetime:
        return self.now


def rows(site: Site) -> dict[str, OutboxItem]:
    """The site's outbox rows by key."""
    with site.database.transaction() as s:
        return {row.key: row for row in s.scalars(select(OutboxItem))}
