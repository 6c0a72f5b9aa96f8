"""Benchmark: the Moodle connector's hooks for 1,000 pairs against a local stand-in with latency.

Prints calls per resolved person (batched vs one per call), calls per enrolled pair with and
without pair groups, calls per milestone (also with milestone keys interleaved), and deliveries
per second sequentially vs in a thread pool, plus the calls a rerun with receipts makes.
Run: ``python bench/moodle_sync.py [--pairs 1000] [--latency 0.005] [--workers 8]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from moodle_standin import MoodleStandIn

from rm_plugin.connections import ConnectionContext
from rm_plugin.connectors.moodle import MoodleConfig, MoodleConnection
from rm_plugin.domain.records import Delivery, PersonRecord, Receipt
from rm_plugin.people.accounts import StoredAccounts
from rm_plugin.store import Database
from rm_plugin.store.models import Person

TOKEN = "bench-token-0123456789abcdef"


def connection(url: str, tmp: Path, database: Database | None, **overrides: object) -> MoodleConnection:
    config = MoodleConfig().load(
        {
            "url": url,
            "token": TOKEN,
            "course": "rm-bench",
            "cohorts": ["rm-participants"],
            "milestones": {"agreement_signed": 310, "first_meeting": 311, "final_retrospective": 312},
            **overrides,
        }
    )
    accounts = StoredAccounts(lambda: database) if database is not None else None
    context = ConnectionContext("moodle", tmp / "moodle.toml", tmp, tmp, accounts=accounts)
    return MoodleConnection(context, config)


def deliver(
    conn: MoodleConnection, deliveries: list[Delivery], hook: str, workers: int
) -> tuple[float, list[Receipt]]:
    call = getattr(conn, hook)
    started = time.perf_counter()
    if workers <= 1:
        receipts = [call(delivery=d) for d in deliveries]
    else:
        with ThreadPoolExecutor(workers) as pool:
            receipts = list(pool.map(lambda d: call(delivery=d), deliveries))
    return time.perf_counter() - started, receipts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.005, help="seconds the stand-in waits per call")
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()

    hr_ids = [f"E{i:05d}" for i in range(2 * args.pairs)]
    pairs = [(hr_ids[2 * i], hr_ids[2 * i + 1]) for i in range(args.pairs)]
    standin = MoodleStandIn(hr_ids, token=TOKEN, latency=args.latency)
    url, stop = standin.serve()
    tmp = Path(tempfile.mkdtemp(prefix="rm-bench-moodle-"))
    database = Database(f"sqlite:///{tmp / 'bench.sqlite3'}")
    database.upgrade()
    with database.transaction() as session:
        session.add_all(Person(hr_id=h, email=f"{h.lower()}@example.org") for h in hr_ids)
    records = [PersonRecord(h, f"{h.lower()}@example.org") for h in hr_ids]
    print(
        f"Moodle stand-in at {url}, {args.latency * 1000:.1f} ms per call; {args.pairs} pairs, "
        f"{len(hr_ids)} people, {args.workers} workers"
    )
    try:
        # people: one call per person (the baseline) vs batches of 100
        sample = records[:200]
        single = connection(url, tmp, None, batch_size=1)
        t0 = time.perf_counter()
        single.accounts.resolve(sample)
        t_single = time.perf_counter() - t0
        per_single = single.client.calls_by_name["core_user_get_users_by_field"] / len(sample)
        conn = connection(url, tmp, database)
        t0 = time.perf_counter()
        result = conn.accounts.resolve(records)
        t_batched = time.perf_counter() - t0
        per_batched = result.lookups / len(result.found)
        speedup = (len(result.found) / t_batched) / (len(sample) / t_single)
        print(
            f"resolve: {len(result.found)} people in {result.lookups} calls = {per_batched:.3f} calls/person "
            f"(one per call: {per_single:.3f}); {len(result.found) / t_batched:,.0f} people/s vs "
            f"{len(sample) / t_single:,.0f} people/s unbatched = x{speedup:.1f}"
        )

        enrol = [
            Delivery(
                i,
                f"enrol:{i}",
                "moodle",
                "enrol",
                {"pair_id": i, "programme": "rm-bench", "mentee": a, "mentor": b},
            )
            for i, (a, b) in enumerate(pairs)
        ]
        # baseline in the same run: enrolment without pair groups (a connection of its own)
        plain = connection(url, tmp, database, groups=False)
        half = len(enrol) // 2
        seconds_plain, _ = deliver(plain, enrol[:half], "rm_enrol_pair", args.workers)
        calls_plain = sum(plain.client.calls.values()) / half
        before = sum(conn.client.calls.values())
        grouped = enrol[half:]
        seconds, _ = deliver(conn, grouped, "rm_enrol_pair", args.workers)
        calls = sum(conn.client.calls.values()) - before
        lists = conn.client.calls_by_name["core_group_get_course_groups"]
        print(
            f"enrol: {len(grouped)} pairs in {seconds:.2f} s with {args.workers} workers, "
            f"{calls / len(grouped):.2f} calls/pair with pair groups ({lists} group list(s), "
            f"{conn.client.calls_by_name['core_group_create_groups']} groups created) vs "
            f"{calls_plain:.2f} calls/pair for {half} pairs without; time/pair ratio "
            f"x{(seconds / len(grouped)) / (seconds_plain / half):.2f}"
        )

        def milestones(key: str) -> list[Delivery]:
            return [
                Delivery(
                    i,
                    f"{key}:{h}",
                    "moodle",
                    "completion",
                    {"programme": "rm-bench", "milestone": key, "person": h, "pair_id": i // 2},
                )
                for i, h in enumerate(hr_ids)
            ]

        results = {}
        for label, key, workers in (
            ("sequential", "agreement_signed", 1),
            (f"{args.workers} threads", "first_meeting", args.workers),
        ):
            batch = milestones(key)
            before = conn.client.calls_by_name["core_completion_override_activity_completion_status"]
            total_before = sum(conn.client.calls.values())
            seconds, receipts = deliver(conn, batch, "rm_record_milestone", workers)
            total = sum(conn.client.calls.values()) - total_before
            done = conn.client.calls_by_name["core_completion_override_activity_completion_status"] - before
            results[label] = len(batch) / seconds
            print(
                f"milestones {label}: {len(batch)} in {seconds:.2f} s = {results[label]:,.0f}/s, "
                f"{total / len(batch):.2f} calls/milestone ({done} overrides)"
            )
        seq, par = results.values()
        print(f"throughput ratio threads/sequential: x{par / seq:.1f}")

        # interleaved milestone keys on a fresh connection (a new sync run): the course is read once
        keys = list(conn.config["milestones"])
        mixed = [
            Delivery(
                i,
                f"mixed:{i}",
                "moodle",
                "completion",
                {"programme": "rm-bench", "milestone": keys[i % len(keys)], "person": h, "pair_id": i // 2},
            )
            for i, h in enumerate(hr_ids)
        ]
        fresh = connection(url, tmp, database)
        first_seconds, _ = deliver(fresh, mixed[:1], "rm_record_milestone", 1)
        first_calls = sum(fresh.client.calls.values())
        seconds, _ = deliver(fresh, mixed[1:], "rm_record_milestone", args.workers)
        after_first = (sum(fresh.client.calls.values()) - first_calls) / (len(mixed) - 1)
        reads = fresh.client.calls_by_name["core_course_get_contents"]
        print(
            f"interleaved milestones ({len(keys)} keys in turn): {len(mixed)} in "
            f"{first_seconds + seconds:.2f} s, the first {first_calls} calls (course read), then "
            f"{after_first:.2f} calls/milestone; course read {reads} time(s)"
        )

        previous = {"host_ref": receipts[0].host_ref, "data": dict(receipts[0].data)}
        rerun = [
            Delivery(d.id, d.key, d.connection, d.action, d.payload, previous_receipt=previous)
            for d in milestones("first_meeting")
        ]
        before = sum(standin.calls.values())
        deliver(conn, rerun, "rm_record_milestone", args.workers)
        print(f"rerun of {len(rerun)} milestones with receipts: {sum(standin.calls.values()) - before} calls")
        print(
            f"stand-in state: {len(standin.enrolled)} enrolled, {len(standin.completions)} completions, "
            f"{len(standin.groups)} groups with {len(standin.group_members)} members"
        )
    finally:
        stop()
        database.dispose()


if __name__ == "__main__":
    main()
