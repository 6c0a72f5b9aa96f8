"""Agreements: drafted for each active pair, edited by both (every version kept), signed by both.

An agreement is active once both parties signed its current version; an edit after that
makes a new version that needs both signatures again. The senior mentee owns it. When it
becomes active the agreed schedule goes to every calendar connection, the
``agreement_signed`` milestone is checked, and ``rm_agreement_signed`` fires after commit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_plugin.enrolment.programmes import require_running
from rm_plugin.errors import NotFound, ProgrammeError
from rm_plugin.outbox import enqueue, enrolment_key
from rm_plugin.programme import lookups, milestones
from rm_plugin.programme.agreement_body import merge_edit, seed_body
from rm_plugin.programme.pair_dates import work_start
from rm_plugin.programme.schedule import Attendee, Schedule, to_ics
from rm_plugin.store import audit
from rm_plugin.store.models import (
    Agreement,
    AgreementSignature,
    AgreementVersion,
    Application,
    Pair,
    Person,
    Programme,
)
from rm_plugin.unit_of_work import ProgrammeContext, UnitOfWork, fire_after_commit

DEFAULT_LENGTH_DAYS = 182
CALENDAR_OCCURRENCE_CAP = 100  # occurrences listed in a calendar payload, at most


def matched_skills(session: Session, pair: Pair) -> list[str]:
    """The skills the match was made on: the pair's breakdown, else wanted ∩ offered by priority."""
    for key in ("skills", "matched_skills", "shared_skills"):
        found = (pair.breakdown or {}).get(key)
        if isinstance(found, list) and all(isinstance(s, str) for s in found) and found:
            return list(found)

    def application(person_id: int, role: str) -> Application | None:
        return session.scalar(
            select(Application).where(
                Application.programme_id == pair.programme_id,
                Application.person_id == person_id,
                Application.role == role,
            )
        )

    mentee_app, mentor_app = application(pair.mentee_id, "mentee"), application(pair.mentor_id, "mentor")
    if mentee_app is None or mentor_app is None:
        return []
    offered = set(mentor_app.skills_offered or [])
    wanted = sorted((mentee_app.skills_wanted or {}).items(), key=lambda kv: (-int(kv[1]), kv[0]))
    return [skill for skill, _ in wanted if skill in offered]


def _slot(session: Session, pair: Pair) -> tuple[str, str]:
    """The first weekly window both wrote down (mentee's first), else Tuesday 10:00."""
    windows = {}
    for person_id, role in ((pair.mentee_id, "mentee"), (pair.mentor_id, "mentor")):
        app = session.scalar(
            select(Application).where(
                Application.programme_id == pair.programme_id,
                Application.person_id == person_id,
                Application.role == role,
            )
        )
        windows[role] = [(w.get("day"), w.get("start")) for w in (app.availability if app else []) or []]
    mentor_days = {day for day, _ in windows["mentor"]}
    for day, start in windows["mentee"]:
        if day in mentor_days and isinstance(start, str):
            return str(day), start
    return "tue", "10:00"


def get_agreement(session: Session, pair_id: int) -> Agreement:
    agreement = session.scalar(select(Agreement).where(Agreement.pair_id == pair_id))
    if agreement is None:
        raise NotFound(f"pair {pair_id} has no agreement yet; draft one first")
    return agreement


def version_body(session: Session, agreement: Agreement, version: int | None = None) -> dict[str, Any]:
    wanted = version or agreement.current_version
    row = session.scalar(
        select(AgreementVersion).where(
            AgreementVersion.agreement_id == agreement.id, AgreementVersion.version == wanted
        )
    )
    if row is None:
        raise NotFound(f"agreement of pair {agreement.pair_id} has no version {wanted}")
    return dict(row.body)


def draft_agreement(session: Session, ctx: ProgrammeContext, pair_id: int, today: dt.date) -> Agreement:
    """The pair's agreement, drafting version 1 from the match and programme if it has none."""
    pair = lookups.active_pair(session, pair_id)
    existing = session.scalar(select(Agreement).where(Agreement.pair_id == pair.id))
    if existing is not None:
        return existing
    programme = session.get(Programme, pair.programme_id)
    mentee, mentor = session.get(Person, pair.mentee_id), session.get(Person, pair.mentor_id)
    assert programme is not None and mentee is not None and mentor is not None
    require_running(programme, today, "draft agreements")
    starts_on = work_start(session, pair)
    ends_on = pair.ends_on or programme.ends_on or starts_on + dt.timedelta(days=DEFAULT_LENGTH_DAYS)
    if ends_on <= starts_on:
        raise ProgrammeError(
            f"pair {pair.id} started on {starts_on} and the programme ends on {ends_on}: no time is "
            f"left for an agreement; extend it: rm-plugin programme set {programme.slug} "
            "--setting ends_on=YYYY-MM-DD"
        )
    weekday, time = _slot(session, pair)
    mentee_app = session.scalar(
        select(Application).where(
            Application.programme_id == pair.programme_id, Application.person_id == mentee.id
        )
    )
    body = seed_body(
        skills=matched_skills(session, pair),
        mentee_name=mentee.display_name,
        mentor_name=mentor.display_name,
        cadence_days=programme.cadence_days,
        minutes=int((programme.settings or {}).get("meeting_minutes", 45)),
        weekday=weekday,
        time=time,
        time_zone=mentee.time_zone or "UTC",
        starts_on=starts_on,
        ends_on=ends_on,
        meeting_mode=mentee_app.meeting_mode if mentee_app else "either",
    )
    agreement = Agreement(pair_id=pair.id, status="draft", current_version=1)
    session.add(agreement)
    session.flush()
    session.add(AgreementVersion(agreement_id=agreement.id, version=1, body=body, author_id=None))
    audit.record(session, "system", "agreement.drafted", "agreement", agreement.id, pair_id=pair.id)
    return agreement


def edit_agreement(
    session: Session,
    ctx: ProgrammeContext,
    pair_id: int,
    by_hr_id: str,
    changes: Mapping[str, Any],
    today: dt.date | None = None,
) -> int:
    """Save ``changes`` as a new version by a party; returns its number. Signatures start over.

    With ``today``, an edit after the programme's end date is refused.
    """
    pair = lookups.active_pair(session, pair_id)
    author = lookups.member(session, pair, by_hr_id)
    agreement = get_agreement(session, pair.id)
    if today is not None:
        require_running(_programme_of(session, pair), today, "change agreements")
    if agreement.status == "closed":
        raise ProgrammeError(f"the agreement of pair {pair.id} is closed and can no longer be edited")
    body = merge_edit(version_body(session, agreement), changes)
    agreement.current_version += 1
    agreement.status = "draft"
    session.add(
        AgreementVersion(
            agreement_id=agreement.id, version=agreement.current_version, body=body, author_id=author.id
        )
    )
    audit.record(
        session, by_hr_id, "agreement.edited", "agreement", agreement.id,
        version=agreement.current_version, fields=sorted(changes),
    )  # fmt: skip
    return agreement.current_version


def signatures(session: Session, agreement: Agreement, version: int) -> set[int]:
    return set(
        session.scalars(
            select(AgreementSignature.person_id).where(
                AgreementSignature.agreement_id == agreement.id, AgreementSignature.version == version
            )
        )
    )


def sign_agreement(
    session: Session,
    ctx: ProgrammeContext,
    pair_id: int,
    by_hr_id: str,
    today: dt.date,
    version: int | None = None,
) -> bool:
    """Sign the current version (``version``, if given, must be it); True once both have signed."""
    pair = lookups.active_pair(session, pair_id)
    signer = lookups.member(session, pair, by_hr_id)
    agreement = get_agreement(session, pair.id)
    require_running(_programme_of(session, pair), today, "sign agreements")
    if version is not None and version > agreement.current_version:
        raise ProgrammeError(
            f"pair {pair.id}'s agreement has no version {version}; its current version is "
            f"{agreement.current_version}: read it (agreement show) and sign that one"
        )
    if version is not None and version != agreement.current_version:
        raise ProgrammeError(
            f"version {version} of pair {pair.id}'s agreement was replaced by version "
            f"{agreement.current_version}; read and sign that one"
        )
    current = agreement.current_version
    if signer.id in signatures(session, agreement, current):
        raise ProgrammeError(f"{by_hr_id} already signed version {current} of pair {pair.id}'s agreement")
    session.add(AgreementSignature(agreement_id=agreement.id, version=current, person_id=signer.id))
    session.flush()
    audit.record(session, by_hr_id, "agreement.signed", "agreement", agreement.id, version=current)
    if signatures(session, agreement, current) != {pair.mentee_id, pair.mentor_id}:
        return False
    agreement.status = "active"
    agreement.signed_version = current
    queue_calendar(session, ctx, pair, agreement)
    milestones.evaluate(session, ctx, pair, today)
    if ctx.hook is not None:
        info = lookups.pair_info(session, pair)
        fire_after_commit(
            session, ctx.hook, "rm_agreement_signed", pair=info, version=current, signed_on=today
        )
    return True


def _programme_of(session: Session, pair: Pair) -> Programme:
    programme = session.get(Programme, pair.programme_id)
    assert programme is not None
    return programme


def is_active(agreement: Agreement) -> bool:
    return agreement.signed_version is not None and agreement.signed_version == agreement.current_version


def calendar_for(session: Session, pair: Pair, agreement: Agreement) -> tuple[str, list[dt.datetime]]:
    """The agreed schedule as .ics text and its occurrences through the end date.

    The end is the agreement's, but never after the programme's; the list holds at most
    :data:`CALENDAR_OCCURRENCE_CAP`. The event's SEQUENCE is the agreement version, so a
    re-signed schedule with the same UID replaces the old one in a calendar.
    """
    version = agreement.signed_version or agreement.current_version
    schedule = Schedule.from_body(version_body(session, agreement, version))
    mentee, mentor = session.get(Person, pair.mentee_id), session.get(Person, pair.mentor_id)
    programme = session.get(Programme, pair.programme_id)
    assert mentee is not None and mentor is not None and programme is not None
    if programme.ends_on is not None and programme.ends_on < schedule.ends_on:
        schedule = dataclasses.replace(schedule, ends_on=programme.ends_on)
    signed = signatures(session, agreement, version)
    ics = to_ics(
        schedule,
        uid=f"rm-pair-{pair.id}@{programme.slug}.rm-plugin",
        summary=f"Reverse mentoring: {mentee.display_name} and {mentor.display_name}",
        description=f"{programme.name}: our agreed meeting, every {schedule.cadence_days} days.",
        organiser=Attendee(mentee.display_name, mentee.email, accepted=mentee.id in signed),
        other=Attendee(mentor.display_name, mentor.email, accepted=mentor.id in signed),
        sequence=version,
    )
    return ics, schedule.occurrences(CALENDAR_OCCURRENCE_CAP)


def queue_calendar(session: Session, ctx: ProgrammeContext, pair: Pair, agreement: Agreement) -> None:
    """Queue the signed schedule for every calendar connection (keyed by version: once each)."""
    if not ctx.calendar:
        return
    ics, occurrences = calendar_for(session, pair, agreement)
    info = lookups.pair_info(session, pair)
    mentee = session.get(Person, pair.mentee_id)
    mentor = session.get(Person, pair.mentor_id)
    assert mentee is not None and mentor is not None
    payload = {
        "pair_id": pair.id,
        "programme": info.programme_slug,
        "mentee": info.mentee_hr_id,
        "mentor": info.mentor_hr_id,
        "summary": f"Reverse mentoring: {mentee.display_name} and {mentor.display_name}",
        "ics": ics,
        "occurrences": [o.isoformat() for o in occurrences],
    }
    for connection in ctx.calendar:
        enqueue(
            session,
            key=f"calendar:{info.programme_slug}:{pair.id}:v{agreement.current_version}:{connection}",
            connection=connection,
            action="calendar",
            payload=payload,
            after=[enrolment_key(pair.id, connection)],  # the pair's group and course come first
        )


def agreement_view(session: Session, pair_id: int, version: int | None = None) -> dict[str, Any]:
    """What an agreement export shows: the parties, the body, its version and who signed it."""
    pair = lookups.pair(session, pair_id)
    agreement = get_agreement(session, pair.id)
    shown = version or agreement.current_version
    mentee, mentor = session.get(Person, pair.mentee_id), session.get(Person, pair.mentor_id)
    programme = session.get(Programme, pair.programme_id)
    assert mentee is not None and mentor is not None and programme is not None
    signed = signatures(session, agreement, shown)
    return {
        "programme": {"slug": programme.slug, "name": programme.name},
        "pair_id": pair.id,
        "mentee": {"hr_id": mentee.hr_id, "name": mentee.display_name, "email": mentee.email},
        "mentor": {"hr_id": mentor.hr_id, "name": mentor.display_name, "email": mentor.email},
        "owner": mentee.display_name,
        "version": shown,
        "current_version": agreement.current_version,
        "status": "active" if is_active(agreement) and shown == agreement.current_version else "draft",
        "signed_by": [p.display_name for p in (mentee, mentor) if p.id in signed],
        "body": version_body(session, agreement, shown),
    }


def render_agreement(ctx: ProgrammeContext, view: Mapping[str, Any], fmt: str) -> str:
    if fmt not in ("html", "md"):
        raise ProgrammeError(f"agreement format must be html or md, not {fmt!r}")
    return ctx.renderer.render(f"agreement.{fmt}.j2", view)


def export_agreement(session: Session, ctx: ProgrammeContext, pair_id: int, out_dir: Path) -> list[Path]:
    """Write the agreement as HTML and Markdown, and its schedule as .ics; returns the files."""
    view = agreement_view(session, pair_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"agreement-{view['programme']['slug']}-pair-{pair_id}"
    written = []
    for fmt in ("html", "md"):
        path = out_dir / f"{stem}.{fmt}"
        path.write_text(render_agreement(ctx, view, fmt), encoding="utf-8")
        written.append(path)
    pair = lookups.pair(session, pair_id)
    ics, _ = calendar_for(session, pair, get_agreement(session, pair_id))
    path = out_dir / f"{stem}.ics"
    path.write_text(ics, encoding="utf-8", newline="")
    written.append(path)
    return written


def export_programme(
    session: Session, ctx: ProgrammeContext, programme_slug: str, out_dir: Path
) -> list[Path]:
    """Export every agreement of a programme (see :func:`export_agreement`), pair by pair."""
    programme = lookups.programme(session, programme_slug)
    pair_ids = session.scalars(
        select(Agreement.pair_id)
        .join(Pair, Pair.id == Agreement.pair_id)
        .where(Pair.programme_id == programme.id)
        .order_by(Agreement.pair_id)
    ).all()
    if not pair_ids:
        raise NotFound(f"programme {programme_slug} has no agreements yet; draft them with agreement draft")
    return [path for pair_id in pair_ids for path in export_agreement(session, ctx, pair_id, out_dir)]


# --- what the doors call ---------------------------------------------------------------


def draft_missing(work: UnitOfWork, programme_slug: str) -> int:
    """Draft an agreement for every active pair of the programme that has none; returns how many."""
    session = work.session
    programme = lookups.programme(session, programme_slug)
    pairs = session.scalars(select(Pair).where(Pair.programme_id == programme.id, Pair.status == "active"))
    count = 0
    for pair in pairs:
        before = session.scalar(select(Agreement.id).where(Agreement.pair_id == pair.id))
        draft_agreement(session, work.ctx, pair.id, work.today)
        count += before is None
    return count


@dataclass(frozen=True)
class MemberAgreement:
    """An agreement as a member of the pair reads it: :func:`agreement_view` of one version."""

    pair_id: int
    view: dict[str, Any]


def show_to_member(
    work: UnitOfWork,
    hr_id: str,
    *,
    pair_id: int | None = None,
    programme_slug: str | None = None,
    version: int | None = None,
) -> MemberAgreement:
    """A pair's agreement shown to one of its members, drafted on their first look."""
    session = work.session
    pair_id = lookups.acting_pair(session, hr_id, pair_id, programme_slug)
    lookups.member(session, lookups.pair(session, pair_id), hr_id)
    draft_agreement(session, work.ctx, pair_id, work.today)
    return MemberAgreement(pair_id, agreement_view(session, pair_id, version))


def show_to_admin(work: UnitOfWork, pair_id: int, *, version: int | None = None) -> MemberAgreement:
    """Any pair's agreement as an admin reads it; drafts nothing (an agreement holds no notes)."""
    lookups.pair(work.session, pair_id)
    return MemberAgreement(pair_id, agreement_view(work.session, pair_id, version))


@dataclass(frozen=True)
class Edited:
    pair_id: int
    version: int  # the new version, which both must sign
    signatures_dropped: bool  # someone had signed the version it replaces, and must sign again


def edit_as_member(
    work: UnitOfWork,
    hr_id: str,
    changes: Mapping[str, Any],
    *,
    pair_id: int | None = None,
    programme_slug: str | None = None,
) -> Edited:
    """Save a member's changes as a new version of their pair's agreement."""
    pair_id = lookups.acting_pair(work.session, hr_id, pair_id, programme_slug)
    version = edit_agreement(work.session, work.ctx, pair_id, hr_id, changes, work.today)
    replaced = signatures(work.session, get_agreement(work.session, pair_id), version - 1)
    return Edited(pair_id, version, bool(replaced))


@dataclass(frozen=True)
class Signed:
    pair_id: int
    version: int  # the version signed
    active: bool  # both members have now signed it


def sign_as_member(
    work: UnitOfWork,
    hr_id: str,
    *,
    pair_id: int | None = None,
    programme_slug: str | None = None,
    version: int | None = None,
) -> Signed:
    """A member signs the current version (``version``, when given, must still be it)."""
    session = work.session
    pair_id = lookups.acting_pair(session, hr_id, pair_id, programme_slug)
    active = sign_agreement(session, work.ctx, pair_id, hr_id, work.today, version)
    return Signed(pair_id, get_agreement(session, pair_id).current_version, active)


def export(
    work: UnitOfWork,
    out_dir: Path,
    *,
    hr_id: str | None = None,
    pair_id: int | None = None,
    programme_slug: str | None = None,
) -> list[Path]:
    """Export one pair's agreement (by ``pair_id`` or a member's ``hr_id``), or with only
    ``programme_slug`` every agreement of the programme; returns the files written."""
    if pair_id is None and hr_id is None:
        if programme_slug is None:
            raise ProgrammeError("give --pair, --as, or --programme SLUG for all of a programme's agreements")
        return export_programme(work.session, work.ctx, programme_slug, out_dir)
    pair_id = lookups.acting_pair(work.session, hr_id, pair_id, programme_slug)
    return export_agreement(work.session, work.ctx, pair_id, out_dir)
