"""Benchmark: the Moodle connector's hooks for 1,000 pairs against a local stand-in with latency.

Prints calls per resolved person (batched vs one per call), calls per enrolled pair with and
without pair groups, calls per milestone (also with milestone keys interleaved), and deliveries
per second sequentially vs in a thread pool, plus the calls a rerun with receipts makes; then
the course reads when every worker thread starts at once, the look-ups for people who have no
account (against one per row), calls per course-completion award, and calls per pair schedule,
per re-signed schedule and per retry after a crash, with the events left per pair group.
Run: ``python bench/moodle_sync.py [--pairs 1000] [--latency 0.005] [--workers 8]``.
"""

from __future__ import annotations

import argparse
import contextlib
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
            "awards": {"reverse_mentor": {"route": "course_completion", "badge": "Reverse mentor"}},
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
    nobody = [f"X{i:05d}" for i in range(20)]  # people in the site without a Moodle account
    late = [f"L{i:05d}" for i in range(20)]  # people whose course is not complete yet
    standin = MoodleStandIn(hr_ids + nobody + late, token=TOKEN, latency=args.latency, without=nobody)
    url, stop = standin.serve()
    tmp = Path(tempfile.mkdtemp(prefix="rm-bench-moodle-"))
    database = Database(f"sqlite:///{tmp / 'bench.sqlite3'}")
    database.upgrade()
    with database.transaction() as session:
        session.add_all(Person(hr_id=h, email=f"{h.lower()}@example.org") for h in hr_ids + nobody + late)
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
        after_a_run(url, tmp, database, standin, args.workers, hr_ids, nobody + late, grouped)
        print(
            f"stand-in state: {len(standin.enrolled)} enrolled, {len(standin.completions)} completions, "
            f"{len(standin.groups)} groups with {len(standin.group_members)} members, "
            f"{len(standin.events)} events"
        )
    finally:
        stop()
        database.dispose()


def one_award(conn: MoodleConnection, delivery: Delivery) -> None:
    with contextlib.suppress(Exception):  # the badge is not issued yet: the engine retries it later
        conn.rm_award(delivery=delivery)


def after_a_run(
    url: str,
    tmp: Path,
    database: Database,
    standin: MoodleStandIn,
    workers: int,
    hr_ids: list[str],
    nobody: list[str],
    enrolled: list[Delivery],
) -> None:
    """What one sync run reads once, awards, and calendar schedules (each on a fresh connection)."""
    keys = ["agreement_signed", "first_meeting", "final_retrospective"]

    def rows(people: list[str], prefix: str) -> list[Delivery]:
        return [
            Delivery(
                i,
                f"{prefix}:{key}:{h}",
                "moodle",
                "completion",
                {"programme": "rm-bench", "milestone": key, "person": h, "pair_id": i},
            )
            for i, (h, key) in enumerate((h, k) for h in people for k in keys)
        ]

    # every worker thread starts at once on a fresh connection (a new sync run)
    fresh = connection(url, tmp, database)
    deliver(fresh, rows(hr_ids[: workers * 4], "together"), "rm_record_milestone", workers)
    reads = fresh.client.calls_by_name["core_course_get_courses_by_field"]
    print(f"course read {reads} time(s) by {workers} threads starting together (one per thread: {workers})")

    nobody, late = nobody[:20], nobody[20:]
    # people without an account: each row fails, but Moodle is asked once per person per run
    fresh = connection(url, tmp, database)
    missing = rows(nobody, "nobody")

    def one(delivery: Delivery) -> None:
        with contextlib.suppress(Exception):  # every one is parked by the engine; only calls count here
            fresh.rm_record_milestone(delivery=delivery)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, missing))
    lookups = fresh.client.calls_by_name["core_user_get_users_by_field"]
    print(
        f"people without an account: {len(missing)} rows for {len(nobody)} people, {lookups} look-up call(s) "
        f"(one per row: {len(missing)}) = x{len(missing) / max(lookups, 1):.0f} fewer"
    )

    # course-completion awards after the milestones (the last milestone completes the course)
    people = [str(d.payload[role]) for d in enrolled[:50] for role in ("mentee", "mentor")]
    deliver(fresh, rows(people, "award-milestones"), "rm_record_milestone", workers)
    awards = [
        Delivery(
            i,
            f"award:{h}",
            "moodle",
            "award",
            {"programme": "rm-bench", "award": "reverse_mentor", "person": h, "pair_id": i // 2},
        )
        for i, h in enumerate(people)
    ]
    before = sum(fresh.client.calls.values())
    deliver(fresh, awards, "rm_award", workers)
    per_award = (sum(fresh.client.calls.values()) - before) / len(awards)
    early = [
        Delivery(
            i,
            f"early:{h}",
            "moodle",
            "award",
            {"programme": "rm-bench", "award": "reverse_mentor", "person": h},
        )
        for i, h in enumerate(late)
    ]
    before = sum(fresh.client.calls.values())
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda d: one_award(fresh, d), early))
    per_early = (sum(fresh.client.calls.values()) - before) / len(early)
    print(
        f"awards (course completion): {per_award:.2f} calls/award when the course is complete, "
        f"{per_early:.2f} calls/try when it is not yet (retried later)"
    )

    # calendar: a schedule per pair, the same schedule moved (re-signed), then a retry after a crash
    starts = [f"2026-01-{day:02d}T09:00:00+00:00" for day in range(5, 31, 2)]
    moved = [s.replace("T09:", "T15:") for s in starts]

    def schedules(occurrences: list[str], version: int, attempt: int = 1) -> list[Delivery]:
        return [
            Delivery(
                d.id,
                f"calendar:rm-bench:{d.payload['pair_id']}:v{version}",
                "moodle",
                "calendar",
                {**d.payload, "summary": "Reverse mentoring", "ics": "", "occurrences": occurrences},
                attempt=attempt,
            )
            for d in enrolled[:50]
        ]

    for label, batch in (
        ("schedule", schedules(starts, 1)),
        ("re-signed", schedules(moved, 2)),
        ("retry after a crash", schedules(moved, 2, attempt=2)),
    ):
        before = sum(fresh.client.calls.values())
        deliver(fresh, batch, "rm_put_calendar_event", workers)
        print(f"calendar {label}: {(sum(fresh.client.calls.values()) - before) / len(batch):.2f} calls/pair")
    group = standin.groups[f"rm-pair-{enrolled[0].payload['pair_id']}"]
    per_group = {
        len(standin.events_of_group(g)) for g in standin.groups.values() if standin.events_of_group(g)
    }
    print(
        f"calendar: {len(starts)} meetings per schedule; events per pair group afterwards: "
        f"{sorted(per_group)} (pair {enrolled[0].payload['pair_id']}: {len(standin.events_of_group(group))})"
    )


if __name__ == "__main__":
    main()
