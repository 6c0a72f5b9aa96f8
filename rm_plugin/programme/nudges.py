"""At-risk pairs and the nudges that escalate: the mentee first, then both, then the admin.

A pair can only meet once both members signed its agreement, so the two kinds of risk are
told apart:

- **Not meeting**: a pair with a signed agreement that logged no meeting for 1.5 times its
  agreed cadence. A *lapse* is named by the date of its last meeting (or its start: the later
  of the programme's start and the day the pair became active); each level is sent at most
  once per lapse, and logging a meeting starts a new one.
- **Not signed**: a pair whose agreement is not signed by both (or was never drafted) is
  reminded to sign, never nudged about meetings: its owner, the mentee, after
  ``settings.agreement_reminder_days`` (default 7), then both after twice that; once per
  version. Version 1 waits from the pair's start, a later version from the edit that made it.
  A pair whose agreement was never drafted gets version 1 drafted with its reminder.

:func:`plan` works out who is at risk and what a run would send without writing anything (the
``meeting at-risk`` view, ``meeting nudge --dry-run``, the admin dashboard, the worker's
schedule); :func:`run_nudges` sends and records that plan. After the programme's end date
nobody is chased.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rm_plugin.enrolment.programmes import has_ended
from rm_plugin.errors import ProgrammeError
from rm_plugin.programme import lookups
from rm_plugin.programme.cadence import cadence_in
from rm_plugin.programme.messages import send_message
from rm_plugin.programme.pair_dates import work_start, work_starts
from rm_plugin.store import audit
from rm_plugin.store.models import Agreement, AgreementVersion, Meeting, Nudge, Pair, Person, Programme
from rm_plugin.unit_of_work import ProgrammeContext, UnitOfWork

log = logging.getLogger(__name__)

# (level, multiple of the cadence after which it is due), in escalation order.
LEVELS: tuple[tuple[str, float], ...] = (("mentee", 1.5), ("both", 2.0), ("admin", 3.0))
# (level, multiple of agreement_reminder_days after which it is due).
AGREEMENT_LEVELS: tuple[tuple[str, int], ...] = (("mentee", 1), ("both", 2))
WHO = {"mentee": "the mentee", "both": "both members", "admin": "the programme admin"}


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


@dataclass(frozen=True)
class AtRisk:
    """One pair at risk on the day judged: why, what was already sent, and what a run sends now.

    ``kind`` is ``meetings`` (signed, but not meeting) or ``agreement`` (cannot meet yet: not
    signed by both). ``sends`` is the level a nudge run would send now (``None``: nothing new
    is due, or only the admin level and the programme has no admin); ``sent`` lists the levels
    already sent for this lapse, with the day each went out.
    """

    pair_id: int
    mentee: str  # HR id
    mentor: str
    kind: str
    reason: str
    days: int
    lapse: str
    due: tuple[str, ...]
    sent: tuple[tuple[str, dt.date], ...] = ()
    recorded: tuple[str, ...] = ()  # every level with a row for this lapse, sent or skipped over
    sends: str | None = None
    version: int | None = None  # the agreement version waiting (kind ``agreement``)
    cadence_days: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)


def lapse_of(session: Session, pair: Pair, today: dt.date) -> Lapse:
    """How long since the pair last met (or started), against its agreed cadence."""
    programme = session.get(Programme, pair.programme_id)
    assert programme is not None
    last = session.scalar(select(func.max(Meeting.held_on)).where(Meeting.pair_id == pair.id))
    since = last or work_start(session, pair)
    agreement = session.scalar(select(Agreement).where(Agreement.pair_id == pair.id))
    body = None
    if agreement is not None:
        body = session.scalar(
            select(AgreementVersion.body).where(
                AgreementVersion.agreement_id == agreement.id,
                AgreementVersion.version == (agreement.signed_version or agreement.current_version),
            )
        )
    return Lapse(pair.id, since, max((today - since).days, 0), cadence_in(body, programme))


def plan(session: Session, programme_slug: str, today: dt.date) -> list[AtRisk]:
    """Every active pair of the programme at risk on ``today``, with what a nudge run would send.

    Reads only; a handful of queries for the whole programme, whatever its size.
    """
    programme = lookups.programme(session, programme_slug)
    if has_ended(programme, today) or programme.status == "closed":
        return []
    pairs = list(
        session.scalars(
            select(Pair).where(Pair.programme_id == programme.id, Pair.status == "active").order_by(Pair.id)
        )
    )
    if not pairs:
        return []
    ids = [p.id for p in pairs]
    hr_ids = dict(
        session.execute(
            select(Person.id, Person.hr_id).where(
                Person.id.in_({p.mentee_id for p in pairs} | {p.mentor_id for p in pairs})
            )
        ).all()
    )
    last_met = dict(
        session.execute(
            select(Meeting.pair_id, func.max(Meeting.held_on))
            .where(Meeting.pair_id.in_(ids))
            .group_by(Meeting.pair_id)
        ).all()
    )
    agreements = {
        a.pair_id: (a, created_at)
        for a, created_at in session.execute(
            select(Agreement, AgreementVersion.created_at)
            .join(AgreementVersion, AgreementVersion.agreement_id == Agreement.id)
            .where(Agreement.pair_id.in_(ids), AgreementVersion.version == Agreement.current_version)
        ).all()
    }
    signed_bodies = dict(
        session.execute(
            select(Agreement.pair_id, AgreementVersion.body)
            .join(AgreementVersion, AgreementVersion.agreement_id == Agreement.id)
            .where(Agreement.pair_id.in_(ids), AgreementVersion.version == Agreement.signed_version)
        ).all()
    )
    sent: dict[tuple[int, str], dict[str, tuple[str, dt.date]]] = {}
    for pair_id, lapse_key, level, detail, sent_at in session.execute(
        select(Nudge.pair_id, Nudge.lapse, Nudge.level, Nudge.detail, Nudge.sent_at).where(
            Nudge.pair_id.in_(ids)
        )
    ):
        sent.setdefault((pair_id, lapse_key), {})[level] = (detail, sent_at.date())
    starts = work_starts(session, programme, pairs)
    after = int((programme.settings or {}).get("agreement_reminder_days", 7))
    found = []
    for pair in pairs:
        mentee, mentor = hr_ids[pair.mentee_id], hr_ids[pair.mentor_id]
        agreement, created_at = agreements.get(pair.id, (None, None))
        if agreement is not None and agreement.signed_version is not None:
            met = last_met.get(pair.id)
            since = met or starts[pair.id]
            cadence = cadence_in(signed_bodies.get(pair.id), programme)
            lapse = Lapse(pair.id, since, max((today - since).days, 0), cadence)
            done = sent.get((pair.id, lapse.key), {})
            risk = _meeting_risk(programme, lapse, mentee, mentor, done, met=met is not None)
        else:
            # The first version waits from the pair's start (it could be read from then on); a
            # later one from the edit that made it.
            version = agreement.current_version if agreement is not None else 1
            waiting_since = created_at.date() if version > 1 and created_at is not None else starts[pair.id]
            risk = _agreement_risk(
                pair.id, mentee, mentor, version, max((today - waiting_since).days, 0), after,
                drafted=agreement is not None, done=sent.get((pair.id, f"agreement:v{version}"), {}),
            )  # fmt: skip
        if risk is not None:
            found.append(risk)
    return found


def _meeting_risk(
    programme: Programme,
    lapse: Lapse,
    mentee: str,
    mentor: str,
    done: Mapping[str, tuple[str, dt.date]],
    *,
    met: bool,
) -> AtRisk | None:
    due = lapse.due()
    if not due:
        return None
    notes = []
    waiting = [level for level in due if level not in done]
    if "admin" in waiting and not programme.admin_hr_id:
        waiting.remove("admin")
        notes.append(f"needs an admin nudge but programme {programme.slug} has no admin_hr_id; set one")
    last = f"last meeting on {lapse.since}" if met else f"no meeting since the pair started on {lapse.since}"
    return AtRisk(
        pair_id=lapse.pair_id,
        mentee=mentee,
        mentor=mentor,
        kind="meetings",
        reason=f"{last}, {lapse.days} days ago; agreed every {lapse.cadence_days} days",
        days=lapse.days,
        lapse=lapse.key,
        due=tuple(due),
        sent=tuple((level, day) for level, (detail, day) in done.items() if detail == "sent"),
        recorded=tuple(done),
        sends=waiting[-1] if waiting else None,
        cadence_days=lapse.cadence_days,
        notes=tuple(notes),
    )


def _agreement_risk(
    pair_id: int,
    mentee: str,
    mentor: str,
    version: int,
    waited: int,
    after: int,
    *,
    drafted: bool,
    done: Mapping[str, tuple[str, dt.date]],
) -> AtRisk | None:
    due = [level for level, factor in AGREEMENT_LEVELS if waited >= factor * after]
    if not due:
        return None
    what = f"agreement version {version} not signed by both" if drafted else "agreement not read yet"
    return AtRisk(
        pair_id=pair_id,
        mentee=mentee,
        mentor=mentor,
        kind="agreement",
        reason=f"{what} for {waited} days; no meeting can be logged until it is",
        days=waited,
        lapse=f"agreement:v{version}",
        due=tuple(due),
        sent=tuple((level, day) for level, (_detail, day) in done.items()),
        recorded=tuple(done),
        sends=None if due[-1] in done else due[-1],
        version=version,
    )


def at_risk(session: Session, programme_slug: str, today: dt.date) -> list[Lapse]:
    """Pairs with a signed agreement that have not met for 1.5 times their cadence."""
    return [
        Lapse(r.pair_id, dt.date.fromisoformat(r.lapse.removeprefix("since:")), r.days, r.cadence_days)
        for r in plan(session, programme_slug, today)
        if r.kind == "meetings"
    ]


def run_nudges(
    session: Session, ctx: ProgrammeContext, programme_slug: str, today: dt.date
) -> list[tuple[int, str]]:
    """Send what :func:`plan` says is due, and record it so that no level is sent twice.

    Of a meeting lapse only the highest due level is sent; lower levels skipped over (a long
    gap between runs) are recorded as skipped, so they never follow the higher one, and the
    admin is told that the pair itself was not reminded. Without an ``admin_hr_id`` the admin
    level is not sent and not recorded (a warning is logged): it goes out on the first run
    after one is set. Returns (pair id, level) for every message queued; agreement reminders
    have levels ``agreement:mentee|both``.
    """
    programme = lookups.programme(session, programme_slug)
    sent: list[tuple[int, str]] = []
    for risk in plan(session, programme_slug, today):
        for note in risk.notes:
            log.warning("pair %s: %s", risk.pair_id, note)
        if risk.sends is None:
            continue
        pair = lookups.pair(session, risk.pair_id)
        if risk.kind == "agreement":
            _remind_to_sign(session, ctx, programme, pair, risk, today)
            sent.append((pair.id, f"agreement:{risk.sends}"))
        else:
            _nudge(session, ctx, programme, pair, risk)
            sent.append((pair.id, risk.sends))
    session.flush()
    return sent


def _nudge(session: Session, ctx: ProgrammeContext, programme: Programme, pair: Pair, risk: AtRisk) -> None:
    level = risk.sends
    assert level is not None
    mentee, mentor = session.get(Person, pair.mentee_id), session.get(Person, pair.mentor_id)
    assert mentee is not None and mentor is not None
    if level == "mentee":
        audience = [mentee.hr_id]
    elif level == "both":
        audience = [mentee.hr_id, mentor.hr_id]
    else:
        assert programme.admin_hr_id, "plan drops the admin level without an admin"
        audience = [programme.admin_hr_id]
    context = {
        "programme": {"slug": programme.slug, "name": programme.name},
        "pair_id": pair.id,
        "mentee": {"hr_id": mentee.hr_id, "name": mentee.display_name},
        "mentor": {"hr_id": mentor.hr_id, "name": mentor.display_name},
        "days": risk.days,
        "cadence_days": risk.cadence_days,
        # what the pair was really sent for this lapse, so the admin is told no more than happened
        "reminded": [f"{WHO[sent_level]} on {day}" for sent_level, day in risk.sent if sent_level != "admin"],
    }
    send_message(
        session, ctx, key=f"nudge:{programme.slug}:{pair.id}:{risk.lapse}:{level}",
        audience=audience, template=f"nudge_{level}.txt.j2", context=context, kind="nudge",
        pair_id=pair.id,
    )  # fmt: skip
    # Lower levels this run jumped over are recorded as skipped, so they never follow this one;
    # an admin level that could not be sent (no admin) is not recorded, so it goes out later.
    for due in risk.due[: risk.due.index(level) + 1]:
        if due not in risk.recorded:
            detail = "sent" if due == level else f"skipped: {level} was due by then"
            session.add(Nudge(pair_id=pair.id, lapse=risk.lapse, level=due, detail=detail))
    audit.record(session, "system", "pair.nudged", "pair", pair.id, level=level, days=risk.days)


def _remind_to_sign(
    session: Session, ctx: ProgrammeContext, programme: Programme, pair: Pair, risk: AtRisk, today: dt.date
) -> None:
    """Remind the mentee (then both) to read and sign; a never-drafted agreement is drafted first."""
    from rm_plugin.programme.agreements import draft_agreement

    level = risk.sends
    assert level is not None
    draft_agreement(session, ctx, pair.id, today)
    mentee, mentor = session.get(Person, pair.mentee_id), session.get(Person, pair.mentor_id)
    assert mentee is not None and mentor is not None
    for person in (mentee,) if level == "mentee" else (mentee, mentor):
        send_message(
            session,
            ctx,
            key=f"agreement-reminder:{programme.slug}:{pair.id}:{risk.lapse}:{level}:{person.hr_id}",
            audience=[person.hr_id],
            template="agreement_reminder.txt.j2",
            context={
                "programme": {"slug": programme.slug, "name": programme.name},
                "person": {"name": person.display_name},
                "version": risk.version,
            },
            kind="reminder",
            pair_id=pair.id,
        )
    for due in risk.due:
        if due not in risk.recorded:
            session.add(Nudge(pair_id=pair.id, lapse=risk.lapse, level=due, detail=f"agreement {level}"))


@dataclass(frozen=True)
class NudgeRun:
    """How many pairs were at risk on the day judged, and every nudge queued (pair id, level)."""

    at_risk: int
    sent: list[tuple[int, str]]


def _judged_day(work: UnitOfWork, today: dt.date | None) -> dt.date:
    return today or work.today


def at_risk_pairs(work: UnitOfWork, programme_slug: str, today: dt.date | None = None) -> list[AtRisk]:
    """The programme's pairs at risk on ``today`` (default: the site's today), with reasons. Reads only."""
    return plan(work.session, programme_slug, _judged_day(work, today))


def nudge_programme(
    work: UnitOfWork, programme_slug: str, today: dt.date | None = None, *, dry_run: bool = False
) -> NudgeRun:
    """Nudge the programme's pairs at risk on ``today`` (default: the site's today).

    Nudges are recorded as sent, so a day after the site's today is refused unless
    ``dry_run``, which only says what would be sent.
    """
    day = _judged_day(work, today)
    if day > work.today and not dry_run:
        raise ProgrammeError(
            f"--today {day} is after today ({work.today}): nudges are recorded as sent, so they cannot be "
            "sent for a day that has not come; look ahead with `meeting at-risk --today` or `--dry-run`"
        )
    risks = plan(work.session, programme_slug, day)
    if dry_run:
        would = [
            (r.pair_id, r.sends if r.kind == "meetings" else f"agreement:{r.sends}") for r in risks if r.sends
        ]
        return NudgeRun(len(risks), would)
    return NudgeRun(len(risks), run_nudges(work.session, work.ctx, programme_slug, day))
