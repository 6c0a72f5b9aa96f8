"""Closing pairs: when a programme closes, and when a member of an active pair leaves.

:func:`close_pair` is the one way an active pair ends: it becomes ``closed`` (with its status
history), one ``close`` delivery per progress connection is written in the same transaction
(so Workday closes the mentorship and Moodle suspends or keeps the enrolment as configured),
and ``rm_pair_closed`` fires after the commit. :func:`close_programme` closes every active
pair of a programme that way, then ``rm_programme_closed`` fires with aggregate figures only;
:mod:`.leavers` closes the pairs of people who left, and :func:`close_one_pair` one pair an admin
ends (``match close``), for instance so that one of its members can be erased.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from rm_plugin.domain.records import PairInfo, ProgrammeInfo
from rm_plugin.enrolment.programmes import get_programme, programme_info
from rm_plugin.errors import NotFound, ProgrammeError
from rm_plugin.outbox import enqueue, enrolment_key
from rm_plugin.programme.messages import send_message
from rm_plugin.store.audit import record
from rm_plugin.store.models import Meeting, MilestoneReached, Pair, PairStatusChange, Person, Programme
from rm_plugin.store.types import utcnow
from rm_plugin.unit_of_work import UnitOfWork, fire_after_commit


@dataclass(frozen=True)
class ClosedProgramme:
    info: ProgrammeInfo
    pairs_closed: int
    deliveries: int
    summary: dict[str, Any]


def close_pair(
    work: UnitOfWork,
    pair: Pair,
    *,
    programme_slug: str,
    mentee: str,
    mentor: str,
    reason: str,
    actor: str,
    end: dt.date,
) -> int:
    """End an active pair on ``end``: status, host deliveries, and ``rm_pair_closed`` after commit.

    Returns the number of ``close`` deliveries queued (one per progress connection that takes them).
    """
    session = work.session
    session.add(
        PairStatusChange(
            pair_id=pair.id, from_status="active", to_status="closed", actor=actor, reason=reason
        )
    )
    pair.status = "closed"
    pair.ends_on = end
    payload = {
        "pair_id": pair.id,
        "programme": programme_slug,
        "mentee": mentee,
        "mentor": mentor,
        "end": pair.ends_on.isoformat(),
        "reason": reason,
    }
    deliveries = 0
    for connection in work.ctx.receiving("close"):
        key = f"close:{programme_slug}:{pair.id}:{connection}"
        deliveries += enqueue(
            session,
            key=key,
            connection=connection,
            action="close",
            payload=payload,
            after=[enrolment_key(pair.id, connection)],
        )
    info = PairInfo(
        id=pair.id,
        programme_slug=programme_slug,
        mentee_hr_id=mentee,
        mentor_hr_id=mentor,
        status="closed",
        score=pair.score,
    )
    fire_after_commit(session, work.ctx.hook, "rm_pair_closed", pair=info, reason=reason)
    return deliveries


def close_programme(
    work: UnitOfWork,
    slug: str,
    *,
    actor: str = "admin",
    reason: str = "programme closed",
    today: dt.date | None = None,
) -> ClosedProgramme:
    """Close a programme and its active pairs; ``rm_programme_closed`` fires after commit.

    Every progress connection of ``work.ctx`` gets one ``close`` delivery per active pair.
    """
    session = work.session
    programme = get_programme(session, slug)
    if programme.status == "closed":
        raise ProgrammeError(f"programme {slug} is already closed (at {programme.closed_at:%Y-%m-%d})")
    end = today or dt.date.today()
    hr_ids = {person_id: hr_id for person_id, hr_id in session.execute(select(Person.id, Person.hr_id))}
    pairs = list(
        session.scalars(
            select(Pair).where(Pair.programme_id == programme.id, Pair.status == "active").order_by(Pair.id)
        )
    )
    deliveries = 0
    for pair in pairs:
        deliveries += close_pair(
            work,
            pair,
            programme_slug=slug,
            mentee=hr_ids[pair.mentee_id],
            mentor=hr_ids[pair.mentor_id],
            reason=reason,
            actor=actor,
            end=pair.ends_on or end,
        )
    programme.status = "closed"
    programme.closed_at = utcnow()
    pair_ids = [p.id for p in session.scalars(select(Pair).where(Pair.programme_id == programme.id))]
    summary = {
        "pairs_closed": len(pairs),
        "pairs_ever_active": session.scalar(
            select(func.count(func.distinct(PairStatusChange.pair_id))).where(
                PairStatusChange.pair_id.in_(pair_ids), PairStatusChange.to_status == "active"
            )
        )
        or 0,
        "meetings_logged": session.scalar(select(func.count()).where(Meeting.pair_id.in_(pair_ids))) or 0,
        "milestones_reached": session.scalar(
            select(func.count()).where(MilestoneReached.pair_id.in_(pair_ids))
        )
        or 0,
    }
    record(session, actor, "programme.close", "programme", programme.id, reason=reason, **summary)
    info = programme_info(programme)
    fire_after_commit(session, work.ctx.hook, "rm_programme_closed", programme=info, summary=summary)
    return ClosedProgramme(info, len(pairs), deliveries, summary)


@dataclass(frozen=True)
class ClosedPair:
    """One pair an admin closed: whom it joined, the host deliveries queued, the members told."""

    pair_id: int
    programme: str
    mentee: str
    mentor: str
    ends_on: dt.date
    deliveries: int
    told: int


def close_one_pair(
    work: UnitOfWork, programme_slug: str, pair_id: int, *, reason: str, by: str
) -> ClosedPair:
    """``match close``: end one active pair today, with a reason, as :func:`close_pair` ends every pair.

    The hosts hear it on the next ``sync`` and both members are told that the pair has ended (the
    reason stays in the pair's history and the audit log: it may say more than they should read).
    """
    problems = []
    if not reason.strip():
        problems.append("say why the pair is closed (--reason): its history keeps it")
    if not by.strip():
        problems.append("say who closes it (--by HR_ID or name): the audit log keeps it")
    if problems:
        raise ProgrammeError("\n".join(problems))
    session = work.session
    programme = get_programme(session, programme_slug)
    pair = session.get(Pair, pair_id, with_for_update=True)
    if pair is None or pair.programme_id != programme.id:
        raise NotFound(f"no pair {pair_id} in programme {programme_slug!r}")
    if pair.status == "proposed":
        raise ProgrammeError(
            f"pair {pair_id} is only proposed; a reviewer rejects it instead: "
            f"rm-plugin match reject {programme_slug} {pair_id} --reviewer HR_ID --reason TEXT"
        )
    if pair.status != "active":
        raise ProgrammeError(f"pair {pair_id} is {pair.status}, not active; there is nothing to close")
    mentee, mentor = session.get(Person, pair.mentee_id), session.get(Person, pair.mentor_id)
    assert mentee is not None and mentor is not None
    end = min(pair.ends_on or work.today, work.today)
    if pair.starts_on is not None:
        end = max(end, pair.starts_on)
    deliveries = close_pair(
        work,
        pair,
        programme_slug=programme.slug,
        mentee=mentee.hr_id,
        mentor=mentor.hr_id,
        reason=reason.strip(),
        actor=by.strip(),
        end=end,
    )
    record(
        session, by.strip(), "pair.close", "pair", pair.id, programme=programme.slug, reason=reason.strip()
    )
    told = sum(
        tell_pair_closed(work, pair, programme, told=person, partner=other, template="pair_ended.txt.j2")
        for person, other in ((mentee, mentor), (mentor, mentee))
    )
    return ClosedPair(pair.id, programme.slug, mentee.hr_id, mentor.hr_id, end, deliveries, told)


def tell_pair_closed(
    work: UnitOfWork, pair: Pair, programme: Programme, *, told: Person, partner: Person, template: str
) -> int:
    """Tell ``told`` that their pair with ``partner`` has ended; nobody who has left is written to."""
    if told.status != "active":
        return 0
    added = send_message(
        work.session,
        work.ctx,
        key=f"pair-closed:{programme.slug}:{pair.id}:{told.hr_id}",
        audience=[told.hr_id],
        template=template,
        context={
            "programme": {"slug": programme.slug, "name": programme.name},
            "person": {"name": told.display_name},
            "partner": {"name": partner.display_name},
            "pair_id": pair.id,
        },
        kind="pair_closed",
    )
    return 1 if added else 0
