"""A deterministic simulation of a programme's life, for the demo and for load tests.

Given a programme with active pairs, it drafts and signs every agreement, then replays a
few months on its own clock: meetings near each agreed date (a few skipped, one in five
pairs drifting apart after the midpoint so nudges fire), confirmations, pulse surveys (with
who did most of the teaching; in one pair in six the senior mostly does), and
the midpoint and final retrospectives, with weekly nudge runs in between. Everything goes
through the same public operations an admin or participant uses, so milestones and outbox
rows appear exactly as in real life. The same seed gives the same programme.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rm_plugin.errors import ProgrammeError
from rm_plugin.programme import agreements, lookups, meetings, nudges, surveys
from rm_plugin.programme.agreement_body import goal_skills
from rm_plugin.programme.schedule import Schedule
from rm_plugin.store.models import MilestoneReached, OutboxItem, Pair, Person
from rm_plugin.unit_of_work import ProgrammeContext

MODES = ("in_person", "video", "video", "phone")
TOPICS = ("career paths", "how teams decide", "tools we use", "feedback", "company history")


@dataclass
class SimulationSummary:
    pairs: int = 0
    agreements_signed: int = 0
    meetings_logged: int = 0
    meetings_confirmed: int = 0
    pulse_answers: int = 0
    retrospectives: int = 0
    nudges_sent: int = 0
    milestones_reached: int = 0
    outbox_rows_added: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def simulate_programme(
    session: Session,
    ctx: ProgrammeContext,
    programme_slug: str,
    *,
    seed: int = 7,
    start: dt.date | None = None,
    months: int = 4,
) -> SimulationSummary:
    """Run ``months`` of the programme's life for every active pair; returns counts for a summary.

    Runs in the caller's transaction; lifecycle hooks fire when the caller commits.
    """
    if months < 1:
        raise ProgrammeError(f"simulate at least one month, not {months}")
    programme = lookups.programme(session, programme_slug)
    start = start or programme.starts_on or dt.date.today() - dt.timedelta(days=30 * months)
    end = start + dt.timedelta(days=30 * months)
    midpoint = start + (end - start) / 2
    rng = random.Random(seed)
    summary = SimulationSummary()
    outbox_before = session.scalar(select(func.count(OutboxItem.id))) or 0
    reached_before = session.scalar(select(func.count(MilestoneReached.id))) or 0
    pairs = list(
        session.scalars(
            select(Pair).where(Pair.programme_id == programme.id, Pair.status == "active").order_by(Pair.id)
        )
    )
    events: list[tuple[dt.date, int, Callable[[dt.date], None]]] = []
    order = 0

    def at(day: dt.date, action: Callable[[dt.date], None]) -> None:
        nonlocal order
        order += 1
        events.append((day, order, action))

    for pair in pairs:
        summary.pairs += 1
        mentee = session.get(Person, pair.mentee_id)
        mentor = session.get(Person, pair.mentor_id)
        assert mentee is not None and mentor is not None
        agreement = agreements.draft_agreement(session, ctx, pair.id, start)
        if agreement.signed_version is None:
            for who in (mentee.hr_id, mentor.hr_id):
                if agreements.sign_agreement(session, ctx, pair.id, who, start):
                    summary.agreements_signed += 1
        body = agreements.version_body(session, agreement)
        skills = goal_skills(body)
        drifts = rng.random() < 0.2
        # Who did most of the teaching, from a generator of its own per pair, so the rest of the
        # simulation draws the same numbers as before the question existed; one pair in six
        # drifts into the senior teaching.
        voice = random.Random(seed * 100_003 + summary.pairs)
        reverts = voice.random() < 1 / 6
        schedule = Schedule.from_body({**body, "starts_on": start.isoformat(), "ends_on": end.isoformat()})
        for when in schedule.occurrences():
            day = min(when.date() + dt.timedelta(days=rng.choice((0, 0, 1, 2))), end)
            if rng.random() < 0.1 or (drifts and day > midpoint):
                continue
            teaching = _teaching(voice, reverts)
            at(
                day,
                _meeting(session, ctx, summary, rng, pair.id, mentee.hr_id, mentor.hr_id, skills, teaching),
            )
        for kind, day in (("midpoint", midpoint), ("final", end)):
            if drifts and kind == "final":
                continue
            for who in (mentee.hr_id, mentor.hr_id):
                at(day, _retrospective(session, ctx, summary, rng, pair.id, who, kind, skills))

    day = start
    while day <= end:
        at(day, lambda today: _nudge(session, ctx, summary, programme_slug, today))
        day += dt.timedelta(days=7)
    for day, _, action in sorted(events, key=lambda e: (e[0], e[1])):
        action(day)

    session.flush()
    summary.outbox_rows_added = (session.scalar(select(func.count(OutboxItem.id))) or 0) - outbox_before
    summary.milestones_reached = (
        session.scalar(select(func.count(MilestoneReached.id))) or 0
    ) - reached_before
    return summary


def _meeting(
    session: Session,
    ctx: ProgrammeContext,
    summary: SimulationSummary,
    rng: random.Random,
    pair_id: int,
    mentee: str,
    mentor: str,
    skills: list[str],
    teaching: tuple[str, str] = ("mentor", "mentor"),
) -> Callable[[dt.date], None]:
    by, other = (mentee, mentor) if rng.random() < 0.7 else (mentor, mentee)
    minutes, mode = rng.choice((30, 45, 45, 60)), rng.choice(MODES)
    topics = rng.sample([*skills, *TOPICS], k=2)
    ratings = (rng.choice((3, 4, 4, 5, 5)), rng.choice((3, 4, 5, 5)))

    def run(today: dt.date) -> None:
        meeting = meetings.log_meeting(
            session, ctx, pair_id, by, held_on=today, minutes=minutes, mode=mode, topics=topics, today=today
        )
        summary.meetings_logged += 1
        meetings.confirm_meeting(session, ctx, meeting.id, other, today)
        summary.meetings_confirmed += 1
        for who, rating, taught in zip((mentee, mentor), ratings, teaching, strict=True):
            surveys.submit_pulse(session, ctx, meeting.id, who, rating, today=today, teaching=taught)
            summary.pulse_answers += 1

    return run


def _teaching(voice: random.Random, reverts: bool) -> tuple[str, str]:
    """The mentee's and the mentor's answers to "who did most of the teaching?"."""
    if reverts:
        return voice.choice(("mentee", "mentee", "even")), voice.choice(("mentee", "even"))
    return voice.choice(("mentor", "mentor", "even")), voice.choice(("mentor", "even", "mentor"))


def _retrospective(
    session: Session,
    ctx: ProgrammeContext,
    summary: SimulationSummary,
    rng: random.Random,
    pair_id: int,
    who: str,
    kind: str,
    skills: list[str],
) -> Callable[[dt.date], None]:
    confidence = {}
    for skill in skills:
        before = rng.randint(1, 3)
        confidence[skill] = {"before": before, "after": min(5, before + rng.randint(0, 2))}
    answers = {
        "went_well": "Open conversations.",
        "to_improve": "Keep to the schedule.",
        "actions": "Try one new tool each month.",
        "learning_gained": rng.randint(3, 5),
        "relationship_quality": rng.randint(3, 5),
        "skill_confidence": confidence,
    }

    def run(today: dt.date) -> None:
        surveys.submit_retrospective(session, ctx, pair_id, who, kind, answers, today)
        summary.retrospectives += 1

    return run


def _nudge(
    session: Session, ctx: ProgrammeContext, summary: SimulationSummary, slug: str, today: dt.date
) -> None:
    summary.nudges_sent += len(nudges.run_nudges(session, ctx, slug, today))
