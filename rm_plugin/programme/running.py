"""A running programme's active pairs as its admin watches them: agreement, rhythm, risk, milestones.

Read in a few queries whatever the number of pairs. Only facts an admin may see: whether the
agreement is signed, when the pair last met against its agreed cadence, why it is at risk
(the same judgement the nudges make), and how many milestones it reached; never a note,
a survey answer or a demographic value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from rm_plugin.programme import lookups
from rm_plugin.programme.cadence import agreed_cadences
from rm_plugin.programme.nudges import AtRisk, plan
from rm_plugin.programme.pair_dates import work_starts
from rm_plugin.store.models import Agreement, Meeting, MilestoneReached, Pair, Person
from rm_plugin.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class RunningPair:
    """One active pair: who, and where it stands."""

    pair_id: int
    mentee: str  # display names
    mentor: str
    agreement_signed: bool
    meetings: int
    last_meeting: dt.date | None
    days_since: int  # since the last meeting, or since the pair started
    cadence_days: int  # the agreed cadence (the programme's until an agreement is signed)
    at_risk: str  # why, as the nudges judge it; "" when it is not
    milestones_reached: int
    milestones: int

    @property
    def behind(self) -> bool:
        """Longer since the last meeting (or the start) than the agreed cadence."""
        return self.days_since > self.cadence_days


@dataclass(frozen=True)
class Running:
    pairs: tuple[RunningPair, ...]
    at_risk: tuple[AtRisk, ...]


def running_pairs(work: UnitOfWork, programme_slug: str) -> Running:
    """The programme's active pairs on the site's today, at-risk ones first."""
    session, today = work.session, work.today
    programme = lookups.programme(session, programme_slug)
    mentee, mentor = aliased(Person), aliased(Person)
    rows = session.execute(
        select(Pair, mentee.given_name, mentee.family_name, mentor.given_name, mentor.family_name)
        .join(mentee, mentee.id == Pair.mentee_id)
        .join(mentor, mentor.id == Pair.mentor_id)
        .where(Pair.programme_id == programme.id, Pair.status == "active")
        .order_by(Pair.id)
    ).all()
    pairs = [row[0] for row in rows]
    ids = [p.id for p in pairs]
    held = {
        pair_id: (count, last)
        for pair_id, count, last in session.execute(
            select(Meeting.pair_id, func.count(Meeting.id), func.max(Meeting.held_on))
            .where(Meeting.pair_id.in_(ids))
            .group_by(Meeting.pair_id)
        )
    }
    reached = dict(
        session.execute(
            select(MilestoneReached.pair_id, func.count(func.distinct(MilestoneReached.milestone)))
            .where(MilestoneReached.pair_id.in_(ids))
            .group_by(MilestoneReached.pair_id)
        ).all()
    )
    signed = set(
        session.scalars(
            select(Agreement.pair_id).where(
                Agreement.pair_id.in_(ids),
                Agreement.signed_version.is_not(None),
                Agreement.signed_version == Agreement.current_version,
            )
        )
    )
    cadences = agreed_cadences(session, programme, ("active",))
    starts = work_starts(session, programme, pairs)
    risks = plan(session, programme_slug, today)
    why = {risk.pair_id: risk.reason for risk in risks}
    total = len(programme.milestones or [])
    out = []
    for pair, mentee_given, mentee_family, mentor_given, mentor_family in rows:
        count, last = held.get(pair.id, (0, None))
        since = last or starts.get(pair.id) or today
        out.append(
            RunningPair(
                pair_id=pair.id,
                mentee=f"{mentee_given} {mentee_family}".strip(),
                mentor=f"{mentor_given} {mentor_family}".strip(),
                agreement_signed=pair.id in signed,
                meetings=count,
                last_meeting=last,
                days_since=max((today - since).days, 0),
                cadence_days=cadences.get(pair.id, programme.cadence_days),
                at_risk=why.get(pair.id, ""),
                milestones_reached=reached.get(pair.id, 0),
                milestones=total,
            )
        )
    out.sort(key=lambda p: (not p.at_risk, p.pair_id))
    return Running(tuple(out), tuple(risks))
