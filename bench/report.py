"""Benchmark: the programme report for 10,000 pairs in an organisation of 100,000 people.

Usage: python bench/report.py [--pairs 10000] [--people 100000] [--postgres [SERVER_URL]]

Seeds a database with bulk inserts (people with hire and leaving dates, applications, pairs
with their status history, signed agreements, about ten meetings a pair with both members'
pulses, final retrospectives and milestones), then prints, each as a ratio to the time it
takes to read the same rows from the database in the same run (the baseline):

- building the report's figures (``metrics.build``),
- rendering the whole HTML file (figures, charts, tables),
- writing the JSON export (figures, every pair and every milestone reached),

and the peak Python memory of building and rendering (tracemalloc, in a separate pass so it
does not slow the timed one). SQLite in a temporary file by default; ``--postgres`` uses a
fresh database on the given server (default ``postgresql+psycopg://postgres@127.0.0.1:5432``),
dropped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from rm_plugin.domain.milestones import default_milestones
from rm_plugin.exports.renderer import Renderer
from rm_plugin.reports import metrics, render
from rm_plugin.reports.export import write_report
from rm_plugin.store import Database
from rm_plugin.store.models import (
    Agreement,
    AgreementSignature,
    AgreementVersion,
    Application,
    Meeting,
    MilestoneReached,
    Pair,
    PairStatusChange,
    Person,
    Programme,
    SurveyResponse,
)
from rm_plugin.unit_of_work import ProgrammeContext, UnitOfWork

START = dt.date(2026, 1, 5)
END = dt.date(2026, 7, 3)
AS_OF = dt.date(2027, 2, 1)
CHUNK = 5000
MILESTONES = ("agreement_signed", "first_meeting", "meetings_6", "midpoint_retrospective")
# What the report reads, table by table: the baseline reads exactly these rows.
READ: tuple[Any, ...] = (
    Person.__table__,
    Application.__table__,
    Pair.__table__,
    PairStatusChange.__table__,
    Agreement.__table__,
    AgreementVersion.__table__,
    AgreementSignature.__table__,
    Meeting.__table__,
    SurveyResponse.__table__,
    MilestoneReached.__table__,
)


def at(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)


def bulk(db: Database, table: Any, rows: list[dict[str, Any]]) -> None:
    with db.engine.begin() as conn:
        for i in range(0, len(rows), CHUNK):
            conn.execute(insert(table), rows[i : i + CHUNK])


def seed(db: Database, pairs: int, people: int, rng: random.Random) -> dict[str, int]:
    """A programme of ``pairs`` pairs in an organisation of ``people``; returns row counts."""
    with db.transaction() as s:
        programme = Programme(
            slug="bench",
            name="Bench programme",
            starts_on=START,
            ends_on=END,
            cadence_days=14,
            admin_hr_id="E0",
            milestones=default_milestones(meetings=6),
        )
        s.add(programme)
        s.flush()
        programme_id = programme.id
    rows: list[dict[str, Any]] = []
    for i in range(people):
        level = min(10, max(1, round(rng.gauss(4.5, 2.2))))
        left = START + dt.timedelta(days=rng.randint(-200, 500)) if rng.random() < 0.15 else None
        rows.append(
            {
                "id": i + 1,
                "hr_id": f"E{i}",
                "email": f"e{i}@bench.example",
                "given_name": "P",
                "family_name": str(i),
                "job_level": level,
                "department": f"D{i % 40}",
                "location": f"L{i % 5}",
                "hire_date": START - dt.timedelta(days=rng.randint(-100, 4000)),
                "termination_date": left,
                "status": "left" if left and left < AS_OF else "active",
                "languages": ["en"],
            }
        )
    bulk(db, Person.__table__, rows)
    seniors = [r["id"] for r in rows if r["job_level"] >= 6 and r["status"] == "active"]
    juniors = [r["id"] for r in rows if r["job_level"] <= 3 and r["status"] == "active"]
    rng.shuffle(seniors)
    rng.shuffle(juniors)
    mentees, mentors = seniors[:pairs], juniors[: int(pairs * 1.2)]
    if len(mentees) < pairs:
        raise SystemExit(f"only {len(mentees)} senior people for {pairs} pairs; raise --people")
    applied = at(START - dt.timedelta(days=20))
    apps = [
        {
            "programme_id": programme_id,
            "person_id": p,
            "role": "mentee",
            "skills_wanted": {"AI": 3},
            "skills_offered": [],
            "demographics": {},
            "submitted_at": applied,
        }
        for p in mentees
    ]
    apps += [
        {
            "programme_id": programme_id,
            "person_id": p,
            "role": "mentor",
            "skills_offered": ["AI"],
            "skills_wanted": {},
            "demographics": {},
            "submitted_at": applied,
        }
        for p in mentors
    ]
    bulk(db, Application.__table__, apps)
    pair_rows, changes, agreements, versions, signatures = [], [], [], [], []
    meetings, responses, reached = [], [], []
    meeting_id = 0
    for n in range(pairs):
        pair_id = n + 1
        mentee, mentor = mentees[n], mentors[n]
        activated = START + dt.timedelta(days=rng.randint(0, 20))
        pair_rows.append(
            {
                "id": pair_id,
                "programme_id": programme_id,
                "mentee_id": mentee,
                "mentor_id": mentor,
                "status": "active",
                "score": 0.5,
                "breakdown": {},
                "rules_passed": [],
            }
        )
        changes += [
            {"pair_id": pair_id, "to_status": "proposed", "at": at(START - dt.timedelta(days=5))},
            {"pair_id": pair_id, "to_status": "active", "at": at(activated)},
        ]
        agreements.append(
            {"id": pair_id, "pair_id": pair_id, "status": "active", "current_version": 1, "signed_version": 1}
        )
        versions.append({"agreement_id": pair_id, "version": 1, "body": {"schedule": {"cadence_days": 14}}})
        for person in (mentee, mentor):
            signed = activated + dt.timedelta(days=rng.randint(0, 10))
            signatures.append(
                {"agreement_id": pair_id, "version": 1, "person_id": person, "signed_at": at(signed)}
            )
        day = activated + dt.timedelta(days=rng.randint(1, 10))
        while day < END and len(meetings) - meeting_id < 14:
            meeting_id += 1
            meetings.append(
                {
                    "id": meeting_id,
                    "pair_id": pair_id,
                    "held_on": day,
                    "minutes": 45,
                    "mode": "video",
                    "topics": ["AI"],
                    "private_note": "",
                    "logged_by_id": mentee,
                }
            )
            for person in (mentee, mentor):
                teaching = rng.choice(("mentor", "mentor", "even", "mentee"))
                responses.append(
                    {
                        "pair_id": pair_id,
                        "person_id": person,
                        "kind": "pulse",
                        "meeting_id": meeting_id,
                        "answers": {"rating": rng.randint(3, 5), "comment": "", "teaching": teaching},
                    }
                )
            day += dt.timedelta(days=rng.choice((10, 14, 14, 21)))
        meeting_id = len(meetings)
        if rng.random() < 0.7:
            for person in (mentee, mentor):
                before = rng.randint(1, 3)
                responses.append(
                    {
                        "pair_id": pair_id,
                        "person_id": person,
                        "kind": "final",
                        "meeting_id": None,
                        "answers": {
                            "went_well": "",
                            "to_improve": "",
                            "actions": "",
                            "learning_gained": rng.randint(3, 5),
                            "relationship_quality": rng.randint(3, 5),
                            "skill_confidence": {"AI": {"before": before, "after": before + 1}},
                        },
                    }
                )
                reached.append(
                    {
                        "pair_id": pair_id,
                        "milestone": "programme_completed",
                        "person_id": person,
                        "reached_on": END,
                    }
                )
        for key in MILESTONES:
            for person in (mentee, mentor):
                reached.append(
                    {
                        "pair_id": pair_id,
                        "milestone": key,
                        "person_id": person,
                        "reached_on": activated + dt.timedelta(days=30),
                    }
                )
    for table, made in (
        (Pair.__table__, pair_rows),
        (PairStatusChange.__table__, changes),
        (Agreement.__table__, agreements),
        (AgreementVersion.__table__, versions),
        (AgreementSignature.__table__, signatures),
        (Meeting.__table__, meetings),
        (SurveyResponse.__table__, responses),
        (MilestoneReached.__table__, reached),
    ):
        bulk(db, table, made)
    if db.dialect == "postgresql":
        with db.engine.begin() as conn:
            for table in ("people", "pairs", "agreements", "meetings"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
            conn.execute(text("ANALYZE"))
    return {
        "people": people,
        "pairs": pairs,
        "meetings": len(meetings),
        "survey answers": len(responses),
        "milestones reached": len(reached),
        "applications": len(apps),
    }


def read_rows(db: Database) -> int:
    """The baseline: every row of every table the report reads, fetched in full."""
    count = 0
    with db.engine.connect() as conn:
        for table in READ:
            count += len(conn.execute(select(table)).all())
    return count


def timed(action: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """The best of ``repeat`` runs (seconds), and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        began = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - began)
    return best, result


@contextmanager
def database(args: argparse.Namespace) -> Iterator[Database]:
    if args.postgres is None:
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
            db.upgrade()
            yield db
            db.dispose()
        return
    name = f"rm_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(f"{args.postgres}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(f"{args.postgres}/{name}").render_as_string(hide_password=False)
    db = Database(url)
    try:
        db.upgrade()
        yield db
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument(
        "--postgres",
        nargs="?",
        const="postgresql+psycopg://postgres@127.0.0.1:5432",
        metavar="SERVER_URL",
        help="run on PostgreSQL (a fresh database on this server, dropped at the end)",
    )
    args = parser.parse_args()
    with database(args) as db:
        began = time.perf_counter()
        counts = seed(db, args.pairs, args.people, random.Random(15))
        print(
            f"backend: {db.dialect}; seeded in {time.perf_counter() - began:.1f} s: "
            + ", ".join(f"{v} {k}" for k, v in counts.items())
        )
        baseline, rows = timed(lambda: read_rows(db))
        print(f"baseline: reading the {rows} rows the report reads: {baseline:.2f} s")
        renderer = Renderer()

        def build() -> metrics.ProgrammeReport:
            with db.transaction() as s:
                return metrics.build(s, "bench", AS_OF)

        def build_and_render() -> str:
            return render.document(renderer, build())

        def export_json() -> None:
            with tempfile.TemporaryDirectory() as out, db.transaction() as s:
                write_report(
                    UnitOfWork(s, ProgrammeContext(renderer=renderer), AS_OF), "bench", Path(out), "json"
                )

        for name, action in (
            ("building the figures", build),
            ("building and rendering the HTML file", build_and_render),
            ("the JSON export (figures, pairs, milestones)", export_json),
        ):
            seconds, _ = timed(action)
            print(f"{name}: {seconds:.2f} s, {seconds / baseline:.2f}x the baseline")
        tracemalloc.start()
        html = build_and_render()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"peak Python memory building and rendering: {peak / 2**20:.0f} MiB; "
            f"the file is {len(html) / 1024:.0f} KiB"
        )


if __name__ == "__main__":
    main()
