"""Benchmark: milestone deliveries through the sync engine to an HTTP stand-in host on 127.0.0.1.

Prints host calls per delivery, deliveries per second with one delivery in flight and with the
engine's concurrency (the ratio is measured in the same run), and the host calls a rerun with
nothing new makes (the target is 0).

    python bench/sync.py [--deliveries 10000] [--latency 0.005] [--concurrency 8] [--database-url URL]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "sync")]

from sync_factory import add_milestones, load_site, make_site_dir  # noqa: E402
from sync_standin_host import Served, StandinHost  # noqa: E402

from rm_plugin.store import Database  # noqa: E402
from rm_plugin.sync.worker import SyncOptions, run_sync  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.005, help="seconds the host takes per call")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary folder")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, Served(StandinHost(latency=args.latency)) as served:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        db = Database(url)
        db.upgrade()
        site = load_site(make_site_dir(Path(tmp) / "site", url, served.url))
        host = served.host
        half = args.deliveries // 2
        rows = []
        for label, concurrency, start in [
            ("sequential (1 in flight)", 1, 0),
            (f"engine ({concurrency_label(args.concurrency)})", args.concurrency, half),
        ]:
            count = half if start == 0 else args.deliveries - half
            add_milestones(db, count, start=start + 10_000_000)
            host.reset_counts()
            began = time.perf_counter()
            summary = run_sync(site, SyncOptions(concurrency=concurrency))
            took = time.perf_counter() - began
            rows.append((label, summary.delivered, host.total_calls, took))
        host.reset_counts()
        began = time.perf_counter()
        rerun = run_sync(site, SyncOptions(concurrency=args.concurrency))
        rerun_took = time.perf_counter() - began
        duplicates = sum(1 for n in host.writes.values() if n > 1)
        site.close()
        db.dispose()

    backend = url.split(":", 1)[0].split("+")[0]
    print(
        f"sync benchmark: {args.deliveries} milestone deliveries, "
        f"host latency {args.latency * 1000:.1f} ms, {backend}"
    )
    print(f"{'run':<28} {'delivered':>10} {'host calls':>11} {'calls/delivery':>15} {'deliveries/s':>13}")
    for label, delivered, calls, took in rows:
        print(
            f"{label:<28} {delivered:>10} {calls:>11} "
            f"{calls / max(delivered, 1):>15.2f} {delivered / took:>13.1f}"
        )
    print(f"{'rerun, nothing new':<28} {rerun.handled:>10} {host.total_calls:>11} {'':>15} {'':>13}")
    speedup = (rows[1][1] / rows[1][3]) / (rows[0][1] / rows[0][3])
    print(
        f"speed-up with concurrency {args.concurrency}: {speedup:.1f}x; rerun took {rerun_took * 1000:.0f} ms"
    )
    print(f"keys written more than once: {duplicates}")


def concurrency_label(n: int) -> str:
    return f"{n} in flight"


if __name__ == "__main__":
    main()
