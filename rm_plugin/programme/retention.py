"""Retention: private notes and survey free text do not outlive their purpose.

A set time after a pair ends (the programme setting ``retention_days``, default
:data:`DEFAULT_DAYS`), its meetings' private notes and the free text of its survey answers are
deleted; ratings, dates and counts stay, so the programme's figures do not change. The worker
runs it on its schedule; ``rm-plugin retention run --dry-run`` shows what would go.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rm_plugin.people.data_rights import blank_text
from rm_plugin.store import audit
from rm_plugin.store.models import Meeting, Pair, PairStatusChange, Programme, SurveyResponse
from rm_plugin.unit_of_work import UnitOfWork, unit_of_work

if TYPE_CHECKING:
    from rm_plugin.site import Site

DEFAULT_DAYS = 90
ENDED = ("closed", "withdrawn", "rejected")


def retention_days(programme: Programme) -> int:
    return int((programme.settings or {}).get("retention_days", DEFAULT_DAYS))


@dataclass(frozen=True)
class ProgrammeRetention:
    slug: str
    days: int
    pairs: int  # ended pairs past the retention time that still held notes or free text
    notes: int
    answers: int


@dataclass(frozen=True)
class RetentionReport:
    dry_run: bool
    programmes: list[ProgrammeRetention] = field(default_factory=list)

    @property
    def notes(self) -> int:
        return sum(p.notes for p in self.programmes)

    @property
    def answers(self) -> int:
        return sum(p.answers for p in self.programmes)

    def lines(self) -> list[str]:
        verb = "would delete" if self.dry_run else "deleted"
        out = [
            f"{p.slug}: {verb} {p.notes} private note(s) and the free text of {p.answers} survey answer(s) "
            f"in {p.pairs} pair(s) ended more than {p.days} day(s) ago"
            for p in self.programmes
        ]
        return out or ["nothing has outlived its retention time"]


def ended_on(session: Session, pairs: list[Pair]) -> dict[int, dt.date]:
    """The day each ended pair ended: its last change to an ended status, else its end date."""
    ids = [p.id for p in pairs]
    changed = dict(
        session.execute(
            select(PairStatusChange.pair_id, func.max(PairStatusChange.at))
            .where(PairStatusChange.pair_id.in_(ids), PairStatusChange.to_status.in_(ENDED))
            .group_by(PairStatusChange.pair_id)
        ).all()
    )
    return {
        p.id: changed[p.id].date() if p.id in changed else (p.ends_on or p.updated_at.date()) for p in pairs
    }


def run(work: UnitOfWork, dry_run: bool = False, actor: str = "retention") -> RetentionReport:
    """Delete (or with ``dry_run`` only count) what every programme's retention time says must go."""
    session, today = work.session, work.today
    report = RetentionReport(dry_run)
    for programme in session.scalars(select(Programme).order_by(Programme.id)):
        days = retention_days(programme)
        pairs = list(
            session.scalars(select(Pair).where(Pair.programme_id == programme.id, Pair.status.in_(ENDED)))
        )
        due = [pid for pid, day in ended_on(session, pairs).items() if day + dt.timedelta(days=days) <= today]
        if not due:
            continue
        notes = list(
            session.scalars(select(Meeting).where(Meeting.pair_id.in_(due), Meeting.private_note != ""))
        )
        answers = [
            r
            for r in session.scalars(select(SurveyResponse).where(SurveyResponse.pair_id.in_(due)))
            if blank_text(r.answers) != r.answers
        ]
        if not notes and not answers:
            continue
        touched = {m.pair_id for m in notes} | {r.pair_id for r in answers}
        report.programmes.append(
            ProgrammeRetention(programme.slug, days, len(touched), len(notes), len(answers))
        )
        if dry_run:
            continue
        for meeting in notes:
            meeting.private_note = ""
        for response in answers:
            response.answers = blank_text(response.answers)
        audit.record(
            session, actor, "retention.applied", "programme", programme.id,
            notes=len(notes), answers=len(answers), pairs=len(touched),
        )  # fmt: skip
    return report


def run_for(site: Site, dry_run: bool = False) -> RetentionReport:
    """One retention pass over ``site`` in its own unit of work (the command and the worker's job)."""
    with unit_of_work(site) as work:
        return run(work, dry_run=dry_run)
