"""`rm-plugin worker`: drains the outbox as rows arrive, runs each job once across workers,
reports its health, and stops cleanly on SIGTERM."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sync_factory import add_milestones, load_site, make_site_dir
from sync_standin_host import Served
from test_sync_crash import REPO, outbox_counts

from rm_plugin.errors import UserError
from rm_plugin.site import Site
from rm_plugin.store import Database
from rm_plugin.store.models import OutboxItem
from rm_plugin.sync import jobs
from rm_plugin.sync.service import Worker


def wait_for(condition, what: str, patience: float = 120.0) -> None:
    """Poll ``condition`` until it holds; after ``patience`` seconds fail naming what never came.

    The patience only turns a hang into a failure that says what it waited for; no test
    asserts how fast anything happens.
    """
    give_up = time.monotonic() + patience
    while not condition():
        if time.monotonic() > give_up:
            raise AssertionError(f"waited {patience:.0f} s for {what}")
        time.sleep(0.05)


def test_sigterm_finishes_the_deliveries_in_flight_and_leaves_no_row_leased(
    tmp_path: Path, db: Database, db_url: str, host: Served
) -> None:
    site_dir = make_site_dir(tmp_path / "site", db_url, host.url, concurrency=4)
    keys = add_milestones(db, 200)
    host.host.latency = 0.05
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("RM_PLUGIN_DATABASE_URL", None)
    worker = subprocess.Popen(
        [sys.executable, "-m", "rm_plugin", "--site", str(site_dir), "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(lambda: sum(host.host.writes.values()) >= 20, "some deliveries")
    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    assert "worker stopped" in out
    with db.transaction() as s:
        assert s.scalar(select(func.count()).where(OutboxItem.locked_by.is_not(None))) == 0
        done = set(s.scalars(select(OutboxItem.key).where(OutboxItem.status == "done")))
    counts = outbox_counts(db)
    assert counts["done"] + counts.get("pending", 0) == 200 and counts.get("pending", 0) > 0
    assert {k for k, n in host.host.writes.items() if n} == done  # in flight when stopped: finished
    assert set(host.host.writes.values()) == {1}

    site = load_site(site_dir)
    try:
        from rm_plugin.sync.worker import run_sync

        run_sync(site)
    finally:
        site.close()
    assert host.host.writes == dict.fromkeys(keys, 1)


@pytest.fixture
def running(site: Site) -> Iterator[Worker]:
    worker = Worker(site)
    thread = threading.Thread(target=worker.run)
    thread.start()
    yield worker
    worker.stop()
    thread.join()


def test_rows_written_while_the_worker_runs_are_delivered_without_a_new_command(
    site: Site, host: Served, running: Worker
) -> None:
    keys = add_milestones(site.database, 5)
    wait_for(lambda: outbox_counts(site.database) == {"done": 5}, "the first rows")
    more = add_milestones(site.database, 5, start=100)
    wait_for(lambda: outbox_counts(site.database) == {"done": 10}, "rows that came later")
    assert host.host.writes == dict.fromkeys(keys + more, 1)
    health = running.refresh()
    assert (health.backlog, health.in_flight, health.parked) == (0, 0, 0)
    assert health.delivered == 10


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_health_says_what_the_worker_does_and_how_far_behind_it_is(
    tmp_path: Path, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rm_plugin")
    root = make_site_dir(tmp_path / "site", db_url)
    port = free_port()
    config = root / "rm-plugin.toml"
    config.write_text(config.read_text() + f"\n[worker]\nhealth_port = {port}\npoll_seconds = 0.2\n")
    site = load_site(root)
    add_milestones(site.database, 3, connection="nowhere")  # due, but the host is unknown: parked
    worker = Worker(site)
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        wait_for(lambda: outbox_counts(site.database) == {"parked": 3}, "the rows to be parked")
        wait_for(lambda: set(worker.refresh().jobs) == set(jobs.JOBS), "every registered job to be scheduled")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health") as answer:
            health = json.load(answer)
        assert health["state"] in ("idle", "delivering") or health["state"].startswith("running job")
        assert (health["backlog"], health["parked"]) == (0, 3)
        assert health["jobs"]["people_sync"]["last_outcome"].startswith("nothing to do: no enabled HR source")
        assert "lag_seconds" in health
        started = next(r.getMessage() for r in caplog.records if "started; jobs:" in r.getMessage())
        assert "people_sync every 6 h, nudges every 1 day" in started and "0:00" not in started
    finally:
        worker.stop()
        thread.join()
        site.close()


def test_a_job_runs_once_per_period_however_many_workers_share_the_database(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[str] = []
    monkeypatch.setitem(
        jobs.JOBS, "count", jobs.Job("count", lambda site, today: ran.append("x") or "counted", "1h", "test")
    )
    sites = [load_site(make_site_dir(tmp_path / f"site{n}", db_url)) for n in range(2)]
    start = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
    try:
        for now in (start, start + dt.timedelta(minutes=30), start + dt.timedelta(hours=1, seconds=1)):
            threads = [
                threading.Thread(
                    target=jobs.run_due_jobs,
                    args=(s, f"host/{n}/w", {"count": dt.timedelta(hours=1)}, now, now.date()),
                )
                for n, s in enumerate(sites)
                for _ in range(3)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert len(ran) == 2  # 09:00 and 10:00:01; not again at 09:30
        [state] = [j for j in jobs.job_states(sites[0].database) if j.name == "count"]
        assert (state.runs, state.last_outcome, state.running_on) == (2, "counted", None)
    finally:
        for s in sites:
            s.close()


def test_an_unknown_job_in_the_config_is_named_with_its_file_and_key(tmp_path: Path, db_url: str) -> None:
    root = make_site_dir(tmp_path / "site", db_url)
    config = root / "rm-plugin.toml"
    config.write_text(config.read_text() + '\n[worker.jobs]\nnudges = "off"\nweekly_digest = "1d"\n')
    site = load_site(root)
    try:
        with pytest.raises(
            UserError, match=r"rm-plugin.toml: worker.jobs.weekly_digest: no such job \(jobs: "
        ):
            Worker(site)
    finally:
        site.close()


@pytest.mark.parametrize(
    ("every", "said"), [("1d", "1 day"), ("2d", "2 days"), ("6h", "6 h"), ("15m", "15 min"), ("90s", "90 s")]
)
def test_a_period_reads_the_way_it_was_written(every: str, said: str) -> None:
    period = jobs.period(every)
    assert period is not None and jobs.spoken(period) == said
