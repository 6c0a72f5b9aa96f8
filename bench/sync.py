"""Benchmark: the sync engine against the host-latency limit, on SQLite and PostgreSQL.

The stand-in host runs in a process of its own on 127.0.0.1 with a fixed latency per call. The
limit is measured in the same run, just before each run it is compared with (the machine's
load moves it): a bare client (one ``requests`` session per thread, no engine, no database)
making the same calls with 1 and with N in flight. For each backend it
prints rows/s and the ratio to that limit with 1 and N in flight, the engine's own cost per
row (its time per row less the bare client's, with 1 in flight), and the drain rate with 1,000
rows waiting and with 100,000 waiting (the rate of the first ``--window`` deliveries, or of the
whole backlog with ``--full-drain``; with the run's start, which reads the outbox once, and
after it), plus host calls a rerun with nothing new makes.

    python bench/sync.py [--rows 2000] [--latency 0.005] [--concurrency 8]
                         [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Without ``--postgres-url`` (or ``RM_PLUGIN_TEST_POSTGRES_URL``) only SQLite is measured. The
PostgreSQL server gets a database of its own for the run, dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from sqlalchemy import create_engine, delete, insert, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "sync")]

from sync_factory import load_site, make_site_dir  # noqa: E402

from rm_plugin.site import Site  # noqa: E402
from rm_plugin.store import Database  # noqa: E402
from rm_plugin.store.models import OutboxItem, StoredReceipt  # noqa: E402
from rm_plugin.store.types import utcnow  # noqa: E402
from rm_plugin.sync.worker import SyncOptions, run_sync  # noqa: E402

HOST_SCRIPT = ROOT / "tests" / "sync" / "sync_standin_host.py"


@contextmanager
def standin_process(latency: float) -> Iterator[str]:
    """The stand-in host in its own process; yields its base URL."""
    proc = subprocess.Popen(
        [sys.executable, str(HOST_SCRIPT), "--latency", str(latency)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)


def stats(url: str) -> dict:
    return requests.get(f"{url}/_stats", timeout=10).json()


def reset(url: str) -> None:
    requests.post(f"{url}/_reset", timeout=10)


def bare_client_rate(url: str, calls: int, in_flight: int) -> float:
    """Calls per second a client with no engine makes: the limit this host allows."""
    per_thread = calls // in_flight
    tag = uuid.uuid4().hex[:6]

    def client(n: int) -> None:
        with requests.Session() as session:
            for i in range(per_thread):
                key = f"limit:{tag}:{n}:{i}"
                body = {"key": key, "action": "completion", "payload": {"person": f"E{i:05d}"}}
                session.post(f"{url}/deliveries", json=body, timeout=10).raise_for_status()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(in_flight)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return per_thread * in_flight / (time.perf_counter() - began)


def add_rows(db: Database, count: int, start: int) -> None:
    """``count`` completion rows, inserted in bulk (the engine's cost is measured, not enqueue's)."""
    now = utcnow()
    with db.transaction() as session:
        for first in range(start, start + count, 5000):
            rows = [
                {
                    "key": f"completion:pilot:first_meeting:{n}:E{n:06d}:standin",
                    "connection": "standin",
                    "action": "completion",
                    "payload": {"programme": "pilot", "milestone": "first_meeting", "person": f"E{n:06d}"},
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "last_error": "",
                    "created_at": now,
                    "maybe_sent": False,
                }
                for n in range(first, min(first + 5000, start + count))
            ]
            session.execute(insert(OutboxItem), rows)


def clear(db: Database) -> None:
    with db.transaction() as session:
        session.execute(delete(StoredReceipt))
        session.execute(delete(OutboxItem))


def timed_run(site: Site, concurrency: int, stop_after: int | None = None) -> tuple[int, float]:
    """Deliveries made and seconds taken; with ``stop_after``, stop after that many settle."""
    delivered, took, _ = timed_runs(site, concurrency, stop_after)
    return delivered, took


def timed_runs(site: Site, concurrency: int, stop_after: int | None = None) -> tuple[int, float, float]:
    """Like :func:`timed_run`, also giving the steady rate: from the first row settled to the last
    (a run's start, which reads the whole outbox once, is left out)."""
    stop = threading.Event()
    done = 0
    first = last = 0.0

    def count(_row: object, _outcome: str) -> None:
        nonlocal done, first, last
        done += 1
        last = time.perf_counter()
        first = first or last
        if stop_after is not None and done >= stop_after:
            stop.set()

    began = time.perf_counter()
    summary = run_sync(site, SyncOptions(concurrency=concurrency, stop=stop), count)
    took = time.perf_counter() - began
    steady = (done - 1) / (last - first) if done > 1 and last > first else 0.0
    return summary.delivered, took, steady


def limit_now(url: str, in_flight: int, rows: int) -> float:
    """The bare client's rate measured right now: the machine's load moves it, so each engine
    run is compared with a limit taken just before it."""
    return bare_client_rate(url, max(rows // 4, 200 * in_flight), in_flight)


def measure_backend(url: str, label: str, host_url: str, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(url)
        db.upgrade()
        clear(db)
        site = load_site(make_site_dir(Path(tmp) / "site", url, host_url, concurrency=args.concurrency))
        try:
            start = 0
            print(f"\n{label}")
            head = ("in flight", "rows", "rows/s", "limit/s", "of limit", "own ms/row")
            print("  {:>9} {:>7} {:>8} {:>8} {:>9} {:>11}".format(*head))
            for in_flight in (1, args.concurrency):
                rows = args.rows if in_flight == 1 else args.rows * 2
                add_rows(db, rows, start)
                start += rows
                limit = limit_now(host_url, in_flight, rows)
                reset(host_url)
                delivered, took = timed_run(site, in_flight)
                rate = delivered / took
                own = (1 / rate - 1 / limit) * in_flight * 1000
                ratio = rate / limit
                cells = (in_flight, delivered, f"{rate:.0f}", f"{limit:.0f}", f"{ratio:.2f}", f"{own:.2f}")
                print("  {:>9} {:>7} {:>8} {:>8} {:>9} {:>11}".format(*cells))
            reset(host_url)
            rerun, _ = timed_run(site, args.concurrency)
            calls = sum(stats(host_url)["calls"].values())
            print(f"  rerun with nothing new: {rerun} delivered, {calls} host calls")
            rates = {}
            for backlog in (1_000, 100_000):
                clear(db)
                add_rows(db, backlog, start)
                start += backlog
                window = backlog if args.full_drain else min(backlog, args.window)
                best = (0.0, 0, 0.0, 0.0, 0.0)
                for repeat in range(args.repeats):
                    if repeat and backlog - window * repeat < window:  # not enough left: queue it again
                        clear(db)
                        add_rows(db, backlog, start)
                        start += backlog
                    limit = limit_now(host_url, args.concurrency, window)
                    reset(host_url)
                    delivered, took, steady = timed_runs(site, args.concurrency, stop_after=window)
                    best = max(best, (steady / limit, delivered, took, steady, limit))
                rates[backlog], delivered, took, steady, limit = best
                print(
                    f"  drain with {backlog:>7,} rows waiting: {delivered:>6} delivered, "
                    f"{delivered / took:>5.0f} rows/s with the run's start, {steady:>5.0f} rows/s after it "
                    f"({args.concurrency} in flight), {rates[backlog]:.2f} of the limit ({limit:.0f}/s); "
                    f"best of {args.repeats}"
                )
            ratio = rates[100_000] / rates[1_000]
            print(f"  rate per row at 100,000 waiting / at 1,000 waiting (each of its limit): {ratio:.2f}")
            print(f"  keys written more than once: {stats(host_url)['duplicates']}")
        finally:
            site.close()
            clear(db)
            db.dispose()


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    name = f"rm_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000, help="rows for the 1-in-flight run (twice for N)")
    parser.add_argument("--latency", type=float, default=0.005, help="seconds the host takes per call")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--window", type=int, default=800, help="deliveries timed per drain (both backlogs)")
    parser.add_argument("--repeats", type=int, default=3, help="drains timed per backlog; the best is shown")
    parser.add_argument("--full-drain", action="store_true", help="time the whole 100,000-row drain")
    parser.add_argument("--postgres-url", default=os.environ.get("RM_PLUGIN_TEST_POSTGRES_URL"))
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()

    with standin_process(args.latency) as host_url:
        print(
            f"sync benchmark: host latency {args.latency * 1000:.1f} ms (alone it allows "
            f"{1 / args.latency:.0f}/s with 1 in flight, {args.concurrency / args.latency:.0f}/s with "
            f"{args.concurrency}), stand-in in its own process; each limit is a bare client's rate "
            "measured just before the run it is compared with"
        )
        print(f"load before: {os.getloadavg()[0]:.2f} (1-minute load average, {os.cpu_count()} cores)")
        if args.only != "postgresql":
            with tempfile.TemporaryDirectory() as tmp:
                measure_backend(f"sqlite:///{tmp}/bench.sqlite3", "SQLite", host_url, args)
        if args.postgres_url and args.only != "sqlite":
            with postgres_database(args.postgres_url) as url:
                measure_backend(url, "PostgreSQL", host_url, args)
        print(f"\nload after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
