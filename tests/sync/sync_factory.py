"""Sites and outbox rows for sync tests, made directly (no other feature needed)."""

from __future__ import annotations

import shutil
from pathlib import Path

from rm_plugin.outbox import enqueue
from rm_plugin.site import Site
from rm_plugin.store import Database

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
