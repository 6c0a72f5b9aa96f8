"""At-risk pairs and the nudges that escalate: the mentee first, then both, then the admin.

An agreement left unsigned is chased the same way: its owner, the mentee, is reminded first
(after ``settings.agreement_reminder_days``, default 7), then both after twice that; once
per version.

A pair is at risk when no meeting was logged for 1.5 times its agreed cadence. A *lapse* is
named by the date of the pair's last meeting (or its start: the later of the programme's start
and the day the pair became active), so a nudge level is sent at most
once per lapse; logging a meeting starts a new one.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rm_plugin.programme import lookups
from rm_plugin.programme.messages import send_message
from rm_plugin.programme.pair_dates import work_start, work_starts
from rm_plugin.store import audit
from rm_plugin.store.models import Agreement, AgreementVersion, Meeting, Nudge, Pair, Person, Programme
from rm_plugin.unit_of_work import ProgrammeContext, UnitOfWork

log = logging.getLogger(__name__)

# (level, multiple of the cadence after which it is due), in escalation order.
LEVELS: tuple[tuple[str, float], ...] = (("mentee", 1.5), ("both", 2.0), ("admin", 3.0))


@dataclass(frozen=True)
class Lapse:
    pair_id: int
    since: dt.date
    days: int
    cadence_days: int

    @property
    def key(self) -> str:
        return f"since:{self.since.isoformat()}"

    def due(self) -> list[str]:
        return [level for level, factor in LEVELS if self.days >= factor * self.cadence_days]


def _cadence(session: Session, pair: Pair, programme: Programme) -> int:
    agreement = session.scalar(select(Agreement).where(Agreement.pair_id == pair.id))
    if agreement is not None:
        body = session.scalar(
            select(AgreementVersion.body).where(
                AgreementVersion.agreement_id == agreement.id,
                AgreementVersion.version == (agreement.signed_version or agreement.current_version),
            )
        )
        if body and isinstance(body.get("schedule", {}).get("cadence_days"), int):
            return int(body["schedule"]["cadence_days"])
    return programme.cadence_days


def lapse_of(session: Session, pair: Pair, today: dt.date) -> Lapse:
    """How long since the pair last met (or started), against its agreed cadence."""
    programme = session.get(Programme, pair.programme_id)
    assert programme is not None
    last = session.scalar(select(func.max(Meeting.held_on)).where(Meeting.pair_id == pair.id))
    since = last or work_start(session, pair)
    return Lapse(pair.id, since, max((today - since).days, 0), _cadence(session, pair, programme))


def at_risk(session: Session, programme_slug: str, today: dt.date) -> list[Lapse]:
    """Active pairs of a programme that have not met for 1.5 times their cadence.

    Four queries for the whole programme, whatever its size: pairs, last meetings, and
    the agreed cadences.
    """
    programme = lookups.programme(session, programme_slug)
    pairs = list(
        session.scalars(
            select(Pair).where(Pair.programme_id == programme.id, Pair.status == "active").order_by(Pair.id)
        )
    )
    in_programme = select(Pair.id).where(Pair.programme_id == programme.id, Pair.status == "active")
    last_met = dict(
        session.execute(
            select(Meeting.pair_id, func.max(Meeting.held_on))
            .where(Meeting.pair_id.in_(in_programme))
            .group_by(Meeting.pair_id)
        ).all()
    )
    bodies = dict(
        session.execute(
            select(Agreement.pair_id, AgreementVersion.body)
            .join(AgreementVersion, AgreementVersion.agreement_id == Agreement.id)
            .where(
                Agreement.pair_id.in_(in_programme),
                AgreementVersion.version
                == func.coalesce(Agreement.signed_version, Agreement.current_version),
            )
        ).all()
    )
    starts = work_starts(session, programme, pairs)
    lapses = []
    for pair in pairs:
        since = last_met.get(pair.id) or starts[pair.id]
        cadence = (bodies.get(pair.id) or {}).get("schedule", {}).get("cadence_days")
        cadence = cadence if isinstance(cadence, int) else programme.cadence_days
        lapse = Lapse(pair.id, since, max((today - since).days, 0), cadence)
        if lapse.due():
            lapses.append(lapse)
    return lapses


def run_nudges(
    session: Session, ctx: ProgrammeContext, programme_slug: str, today: dt.date
) -> list[tuple[int, str]]:
    """Send the highest due nudge level of each at-risk pair not yet sent for its lapse.

    Lower levels skipped over (a long gap between runs) are recorded too, so they never
    follow the higher one. Without an ``admin_hr_id`` the admin level is not sent and not
    recorded (a warning is logged): it goes out on the first run after one is set.
    Unsigned agreements are chased first. Returns (pair id, level) for every nudge sent;
    agreement reminders have levels ``agreement:mentee|both``.
    """
    programme = lookups.programme(session, programme_slug)
    sent = remind_unsigned_agreements(session, ctx, programme, today)
    for lapse in at_risk(session, programme_slug, today):
        done = set(
            session.scalars(
                select(Nudge.level).where(Nudge.pair_id == lapse.pair_id, Nudge.lapse == lapse.key)
            )
        )
        due = [level for level in lapse.due() if level not in done]
        if "admin" in due and not programme.admin_hr_id:
            # Not recorded, so it goes out once an admin is configured; the pair still
            # gets the highest level that can be sent.
            log.warning(
                "pair %s needs an admin nudge but programme %s has no admin_hr_id; set one",
                lapse.pair_id,
                programme.slug,
            )
            due.remove("admin")
        if not due:
            continue
        top = due[-1]
        pair = lookups.pair(session, lapse.pair_id)
        _send(session, ctx, programme, pair, lapse, top)
        sent.append((pair.id, top))
        for level in due:
            detail = "sent" if level == top else f"skipped: {top} was due by then"
            session.add(Nudge(pair_id=pair.id, lapse=lapse.key, level=level, detail=detail))
        audit.record(session, "system", "pair.nudged", "pair", pair.id, level=top, days=lapse.days)
    session.flush()
    return sent


def _send(
    session: Session, ctx: ProgrammeContext, programme: Programme, pair: Pair, lapse: Lapse, level: str
) -> None:
    mentee, mentor = session.get(Person, pair.mentee_id), session.get(Person, pair.mentor_id)
    assert mentee is not None and mentor is not None
    if level == "mentee":
        audience = [mentee.hr_id]
    elif level == "both":
        audience = [mentee.hr_id, mentor.hr_id]
    else:
        assert programme.admin_hr_id, "run_nudges drops the admin level without an admin"
        audience = [programme.admin_hr_id]
    context = {
        "programme": {"slug": programme.slug, "name": programme.name},
        "pair_id": pair.id,
        "mentee": {"hr_id": mentee.hr_id, "name": mentee.display_name},
        "mentor": {"hr_id": mentor.hr_id, "name": mentor.display_name},
        "days": lapse.days,
        "cadence_days": lapse.cadence_days,
    }
    send_message(
        session,
        ctx,
        key=f"nudge:{programme.slug}:{pair.id}:{lapse.key}:{level}",
        audience=audience,
        template=f"nudge_{level}.txt.j2",
        context=context,
        kind="nudge",
        pair_id=pair.id,
    )


def remind_unsigned_agreements(
    session: Session, ctx: ProgrammeContext, programme: Programme, today: dt.date
) -> list[tuple[int, str]]:
    """Remind the mentee, then both, of an agreement version not yet signed by both."""
    after = int((programme.settings or {}).get("agreement_reminder_days", 7))
    rows = session.execute(
        select(Pair, Agreement, AgreementVersion.created_at)
        .join(Agreement, Agreement.pair_id == Pair.id)
        .join(
            AgreementVersion,
            (AgreementVersion.agreement_id == Agreement.id)
            & (AgreementVersion.version == Agreement.current_version),
        )
        .where(Pair.programme_id == programme.id, Pair.status == "active", Agreement.status == "draft")
        .order_by(Pair.id)
    ).all()
    sent: list[tuple[int, str]] = []
    for pair, agreement, created_at in rows:
        waited = (today - created_at.date()).days
        due = [level for level, factor in (("mentee", 1), ("both", 2)) if waited >= factor * after]
        lapse = f"agreement:v{agreement.current_version}"
        done = set(session.scalars(select(Nudge.level).where(Nudge.pair_id == pair.id, Nudge.lapse == lapse)))
        if not due or due[-1] in done:
            continue
        level = due[-1]
        mentee, mentor = session.get(Person, pair.mentee_id), session.get(Person, pair.mentor_id)
        assert mentee is not None and mentor is not None
        audience = [mentee.hr_id] if level == "mentee" else [mentee.hr_id, mentor.hr_id]
        for hr_id in audience:
            name = (mentee if hr_id == mentee.hr_id else mentor).display_name
            send_message(
                session,
                ctx,
                key=f"agreement-reminder:{programme.slug}:{pair.id}:{lapse}:{level}:{hr_id}",
                audience=[hr_id],
                template="agreement_reminder.txt.j2",
                context={
                    "programme": {"slug": programme.slug, "name": programme.name},
                    "person": {"name": name},
                    "version": agreement.current_version,
                },
                kind="reminder",
                pair_id=pair.id,
            )
        for skipped in due:
            if skipped not in done:
                session.add(Nudge(pair_id=pair.id, lapse=lapse, level=skipped, detail=f"agreement {level}"))
        sent.append((pair.id, f"agreement:{level}"))
    return sent


@dataclass(frozen=True)
class NudgeRun:
    """How many pairs were at risk on the day judged, and every nudge queued (pair id, level)."""

    at_risk: int
    sent: list[tuple[int, str]]


def nudge_programme(work: UnitOfWork, programme_slug: str, today: dt.date | None = None) -> NudgeRun:
    """Nudge the programme's pairs at risk on ``today`` (default: the site's today)."""
    day = today or work.today
    lapsed = at_risk(work.session, programme_slug, day)
    return NudgeRun(len(lapsed), run_nudges(work.session, work.ctx, programme_slug, day))
