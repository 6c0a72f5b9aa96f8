"""Benchmark: a programme's life for many pairs, and whether nudge runs scale linearly.

Usage: python bench/programme_life.py [--pairs 200] [--url DATABASE_URL]

Prints operations per second for a simulated four months (agreements, meetings, pulses,
retrospectives, milestones, nudges) and the cost per pair of a nudge run at N/10 and N
pairs, with their ratio (about 1.0 means linear; the baseline is measured in the same run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from rm_plugin.domain.milestones import default_milestones
from rm_plugin.programme.nudges import run_nudges
from rm_plugin.programme.simulation import simulate_programme
from rm_plugin.store import Database
from rm_plugin.store.models import Pair, Person, Programme
from rm_plugin.unit_of_work import ProgrammeContext

START = dt.date(2026, 3, 2)


def build(db: Database, slug: str, pairs: int) -> None:
    with db.transaction() as s:
        programme = Programme(
            slug=slug, name=slug, starts_on=START, ends_on=START + dt.timedelta(days=120),
            cadence_days=14, admin_hr_id="ADMIN", milestones=default_milestones(meetings=4),
        )  # fmt: skip
        s.add(programme)
        s.flush()
        for i in range(pairs):
            senior = Person(
                hr_id=f"{slug}-S{i}", email=f"s{i}@{slug}.example", job_level=9, time_zone="Europe/London"
            )
            junior = Person(hr_id=f"{slug}-J{i}", email=f"j{i}@{slug}.example", job_level=2)
            s.add_all([senior, junior])
            s.flush()
            s.add(Pair(programme_id=programme.id, mentee_id=senior.id, mentor_id=junior.id, status="active"))


def timed_nudges(db: Database, ctx: ProgrammeContext, slug: str, pairs: int) -> float:
    build(db, slug, pairs)
    began = time.perf_counter()
    with db.transaction() as s:
        sent = run_nudges(s, ctx, slug, START + dt.timedelta(days=30))
    elapsed = time.perf_counter() - began
    assert len(sent) == pairs
    return elapsed / pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        db = Database(url)
        db.upgrade()
        ctx = ProgrammeContext(progress=("files",), notify=("files",), calendar=("files",))
        build(db, "sim", args.pairs)
        began = time.perf_counter()
        with db.transaction() as s:
            summary = simulate_programme(s, ctx, "sim", seed=7, start=START, months=4)
        elapsed = time.perf_counter() - began
        operations = (
            summary.agreements_signed * 2
            + summary.meetings_logged
            + summary.meetings_confirmed
            + summary.pulse_answers
            + summary.retrospectives
        )
        print(f"backend: {db.dialect}")
        print(f"simulated {summary.pairs} pairs over 4 months in {elapsed:.2f} s")
        print(f"  participant operations: {operations} ({operations / elapsed:.0f}/s)")
        print(f"  milestones reached: {summary.milestones_reached}; outbox rows: {summary.outbox_rows_added}")
        per_milestone = summary.outbox_rows_added / max(summary.milestones_reached, 1)
        print(f"  outbox rows per milestone reached (with messages and calendar): {per_milestone:.2f}")
        small = timed_nudges(db, ctx, "small", max(args.pairs // 10, 1))
        large = timed_nudges(db, ctx, "large", args.pairs)
        print(f"nudge run: {small * 1000:.2f} ms/pair at {max(args.pairs // 10, 1)} pairs, "
              f"{large * 1000:.2f} ms/pair at {args.pairs} pairs (ratio {large / small:.2f})")  # fmt: skip
        db.dispose()


if __name__ == "__main__":
    main()
