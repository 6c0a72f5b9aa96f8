"""Real worker processes: killed with SIGKILL mid-run, and two of them sharing one outbox."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select
from sync_factory import add_milestones, load_site, make_site_dir
from sync_standin_host import KillPlan, Served

from rm_plugin.store import Database
from rm_plugin.store.models import OutboxItem
from rm_plugin.store.models import StoredReceipt as Receipt

REPO = Path(__file__).resolve().parents[2]


def start_worker(site_dir: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("RM_PLUGIN_DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "rm_plugin", "--site", str(site_dir), "sync"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def outbox_counts(db: Database) -> dict[str, int]:
    with db.transaction() as s:
        return dict(s.execute(select(OutboxItem.status, func.count()).group_by(OutboxItem.status)).all())


def test_a_worker_killed_at_any_point_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path, db: Database, db_url: str, host: Served
) -> None:
    site_dir = make_site_dir(tmp_path / "site", db_url, host.url, concurrency=3)
    keys = add_milestones(db, 60)
    # Killed right after the host wrote but before the worker heard back, and with a request lost.
    for at_write, mode in [
        (3, "after_write"),
        (9, "before_write"),
        (17, "after_write"),
        (30, "before_write"),
    ]:
        host.host.kill = KillPlan(at_write, mode)
        worker = start_worker(site_dir)
        host.host.kill.pid = worker.pid
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == -signal.SIGKILL, err
        assert outbox_counts(db).get("pending", 0) > 0
    host.host.kill = None

    worker = start_worker(site_dir)
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    assert "0 parked" in out
    assert host.host.writes == dict.fromkeys(keys, 1)  # every delivery exactly once
    assert outbox_counts(db) == {"done": 60}
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Receipt)) == 60

    host.host.reset_counts()
    worker = start_worker(site_dir)
    out, _ = worker.communicate(timeout=120)
    assert worker.returncode == 0
    assert "sync: 0 delivered, 0 already there" in out
    assert host.host.total_calls == 0


def test_two_workers_on_one_outbox_never_deliver_a_row_twice(
    tmp_path: Path, db: Database, db_url: str, host: Served
) -> None:
    site_dir = make_site_dir(tmp_path / "site", db_url, host.url, concurrency=4)
    keys = add_milestones(db, 300)
    host.host.latency = 0.002
    host.host.expect_workers = 2  # the host holds writes until both workers are calling
    workers = [start_worker(site_dir) for _ in range(2)]
    for worker in workers:
        _, err = worker.communicate(timeout=180)
        assert worker.returncode == 0, err
    assert host.host.writes == dict.fromkeys(keys, 1)
    assert len([w for w, n in host.host.workers.items() if n]) == 2  # both did part of the work
    assert outbox_counts(db) == {"done": 300}


def test_the_site_loads_with_the_stand_in_connector(tmp_path: Path, db_url: str, host: Served) -> None:
    site = load_site(make_site_dir(tmp_path / "site", db_url, host.url))
    try:
        assert [c.name for c in site.enabled_connections(role="progress")] == ["standin"]
    finally:
        site.close()
