"""Retention: a set time after a pair ends, its private notes and survey free text go; ratings stay."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from rm_plugin.cli import build_cli
from rm_plugin.programme import retention
from rm_plugin.programme.settings import parse_settings
from rm_plugin.site import Site
from rm_plugin.store import Database
from rm_plugin.store.models import (
    AuditEntry,
    Meeting,
    Pair,
    PairStatusChange,
    Person,
    Programme,
    SurveyResponse,
)
from rm_plugin.unit_of_work import UnitOfWork

ENDED = dt.datetime(2026, 3, 31, 17, 0, tzinfo=dt.UTC)


def seed(db: Database, *, days: int | None = None) -> None:
    with db.transaction() as s:
        a, b = Person(hr_id="E1", email="a@example.com"), Person(hr_id="E2", email="b@example.com")
        programme = Programme(slug="rm", name="RM", settings={"retention_days": days} if days else {})
        s.add_all([a, b, programme])
        s.flush()
        ended = Pair(programme_id=programme.id, mentee_id=a.id, mentor_id=b.id, status="closed")
        running = Pair(programme_id=programme.id, mentee_id=b.id, mentor_id=a.id, status="active")
        s.add_all([ended, running])
        s.flush()
        s.add(PairStatusChange(pair_id=ended.id, from_status="active", to_status="closed", at=ENDED))
        for pair in (ended, running):
            meeting = Meeting(
                pair_id=pair.id, held_on=dt.date(2026, 3, 4), minutes=45, mode="remote",
                private_note="we talked about the reorganisation", logged_by_id=a.id,
            )  # fmt: skip
            s.add(meeting)
            s.flush()
            s.add(
                SurveyResponse(
                    pair_id=pair.id, person_id=a.id, kind="pulse", meeting_id=meeting.id,
                    answers={"rating": 4, "comment": "good, but my manager is a worry"},
                )
            )  # fmt: skip
            s.add(
                SurveyResponse(
                    pair_id=pair.id, person_id=b.id, kind="final",
                    answers={"went_well": "trust", "to_improve": "", "actions": "more demos",
                             "learning_gained": 5, "relationship_quality": 4,
                             "skill_confidence": {"Figma": {"before": 2, "after": 4}}},
                )
            )  # fmt: skip


def run(db: Database, today: dt.date, dry_run: bool = False) -> retention.RetentionReport:
    with db.transaction() as s:
        return retention.run(UnitOfWork(s, today=today), dry_run=dry_run)


def texts(db: Database) -> tuple[list[str], list[dict]]:
    with db.transaction() as s:
        notes = [m.private_note for m in s.scalars(select(Meeting).order_by(Meeting.pair_id))]
        answers = [r.answers for r in s.scalars(select(SurveyResponse).order_by(SurveyResponse.id))]
    return notes, answers


def test_nothing_goes_before_the_default_ninety_days(db: Database) -> None:
    seed(db)
    report = run(db, ENDED.date() + dt.timedelta(days=89))
    assert report.programmes == [] and report.lines() == ["nothing has outlived its retention time"]


def test_after_the_time_notes_and_free_text_of_ended_pairs_go_and_ratings_stay(db: Database) -> None:
    seed(db)
    day = ENDED.date() + dt.timedelta(days=90)
    preview = run(db, day, dry_run=True)
    assert (preview.notes, preview.answers) == (1, 2)
    assert (
        "would delete 1 private note(s) and the free text of 2 survey answer(s) in 1 pair(s)"
        in preview.lines()[0]
    )
    assert texts(db)[0] == ["we talked about the reorganisation"] * 2  # the dry run changed nothing
    done = run(db, day)
    assert (done.notes, done.answers) == (1, 2)
    notes, answers = texts(db)
    assert notes == ["", "we talked about the reorganisation"]  # the running pair keeps its note
    assert answers[0] == {"rating": 4, "comment": ""}
    assert answers[1]["went_well"] == "" and answers[1]["learning_gained"] == 5
    assert answers[1]["skill_confidence"] == {"Figma": {"before": 2, "after": 4}}
    assert answers[2]["comment"] == "good, but my manager is a worry"
    assert run(db, day).programmes == []  # a rerun finds nothing more
    with db.transaction() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "retention.applied")).one()
        assert entry.detail == {"notes": 1, "answers": 2, "pairs": 1}


def test_a_programme_sets_its_own_time(db: Database) -> None:
    seed(db, days=30)
    assert run(db, ENDED.date() + dt.timedelta(days=30)).notes == 1
    assert parse_settings({"retention_days": "30"}) == {"retention_days": 30}


def test_the_command_shows_what_would_go(site_root: Path) -> None:
    site = Site.load(site_root, load_entrypoints=False)
    seed(site.database)
    site.close()
    result = CliRunner().invoke(build_cli(), ["--site", str(site_root), "retention", "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "rm: would delete 1 private note(s)" in result.output


def test_the_worker_s_daily_job_deletes_what_outlived_its_time(site_root: Path) -> None:
    from rm_plugin.sync import jobs

    site = Site.load(site_root, load_entrypoints=False)
    seed(site.database)
    assert jobs.schedule({})["retention"] == dt.timedelta(days=1)
    assert "nothing has outlived" in jobs.retention_job(site, dt.date(2026, 4, 2))
    outcome = jobs.retention_job(site, dt.date(2026, 7, 1))
    assert "rm: deleted 1 private note(s)" in outcome
    notes, _ = texts(site.database)
    assert notes == ["", "we talked about the reorganisation"]
    site.close()
