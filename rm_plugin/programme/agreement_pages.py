"""The agreement as its two members work on it in the portal: every version and what changed,
edits from a form (refused when the partner saved a newer version meanwhile), the ``.ics`` of
the agreed schedule, and the schedule's delivery to the host calendars.

Reading, editing and signing are :mod:`rm_plugin.programme.agreements`' rules; this module only
shapes them for one member of the pair.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from rm_plugin.errors import ProgrammeError
from rm_plugin.programme import agreements, lookups
from rm_plugin.programme.agreement_body import NORM_KEYS, SCHEDULE_KEYS
from rm_plugin.programme.participant import member_pair
from rm_plugin.store.models import AgreementSignature, AgreementVersion, OutboxItem, Person, StoredReceipt
from rm_plugin.unit_of_work import UnitOfWork

#: The fields of an agreement in the order a person reads them (``norms.x``, ``schedule.x``).
FIELDS = (
    "purpose",
    "goals",
    *(f"norms.{k}" for k in NORM_KEYS),
    *(f"schedule.{k}" for k in SCHEDULE_KEYS),
    "starts_on",
    "ends_on",
    "wrap_up",
)


@dataclass(frozen=True)
class Change:
    field: str  # one of FIELDS
    before: str
    after: str


@dataclass(frozen=True)
class VersionLine:
    version: int
    author: str  # "" for the first draft
    created_at: dt.datetime
    signed_by: list[str]


@dataclass(frozen=True)
class CalendarLine:
    connection: str
    status: str  # queued | delivered | failed
    link: str


@dataclass(frozen=True)
class AgreementPage:
    pair_id: int
    view: dict[str, Any]  # agreements.agreement_view of the version shown
    versions: list[VersionLine]  # newest first
    changes: list[Change]  # what the version shown changed from the one before it
    signed_by_me: bool
    may_edit: bool
    calendars: list[CalendarLine]
    has_calendar: bool  # the site has a calendar connection the schedule can go to


def field_text(body: Mapping[str, Any], name: str) -> str:
    """One field of a body as text: goals one per line as ``skill: aim``."""
    if name == "goals":
        return "\n".join(
            f"{g.get('skill', '')}: {g.get('aim', '')}".rstrip(": ") for g in body.get("goals", [])
        )
    group, _, key = name.partition(".")
    value = body.get(group, {}).get(key, "") if key else body.get(name, "")
    return "" if value is None else str(value)


def changes_between(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """The fields whose text differs between two versions' bodies, in reading order."""
    return [
        Change(name, field_text(before, name), field_text(after, name))
        for name in FIELDS
        if field_text(before, name) != field_text(after, name)
    ]


def agreement_page(work: UnitOfWork, hr_id: str, pair_id: int, version: int | None = None) -> AgreementPage:
    """The pair's agreement for one of its members (drafted on the first look)."""
    session = work.session
    pair = member_pair(work, hr_id, pair_id)
    shown = agreements.show_to_member(work, hr_id, pair_id=pair.id, version=version)
    agreement = agreements.get_agreement(session, pair.id)
    rows = session.execute(
        select(AgreementVersion, Person)
        .outerjoin(Person, Person.id == AgreementVersion.author_id)
        .where(AgreementVersion.agreement_id == agreement.id)
        .order_by(AgreementVersion.version.desc())
    ).all()
    signed: dict[int, list[str]] = {}
    for version_no, name_given, name_family, signer_hr in session.execute(
        select(AgreementSignature.version, Person.given_name, Person.family_name, Person.hr_id)
        .join(Person, Person.id == AgreementSignature.person_id)
        .where(AgreementSignature.agreement_id == agreement.id)
        .order_by(AgreementSignature.id)
    ):
        signed.setdefault(version_no, []).append(f"{name_given} {name_family}".strip() or signer_hr)
    versions = [
        VersionLine(
            row.version, author.display_name if author else "", row.created_at, signed.get(row.version, [])
        )
        for row, author in rows
    ]
    number = shown.view["version"]
    changes: list[Change] = []
    if number > 1:
        earlier = agreements.version_body(session, agreement, number - 1)
        changes = changes_between(earlier, shown.view["body"])
    me = lookups.person(session, hr_id)
    signed_by_me = me.id in agreements.signatures(session, agreement, agreement.current_version)
    return AgreementPage(
        pair_id=pair.id,
        view=shown.view,
        versions=versions,
        changes=changes,
        signed_by_me=signed_by_me,
        may_edit=pair.status == "active" and agreement.status != "closed",
        calendars=_calendars(work, shown.view["programme"]["slug"], pair.id),
        has_calendar=bool(work.ctx.calendar),
    )


def history(
    work: UnitOfWork, hr_id: str, *, pair_id: int | None = None, programme_slug: str | None = None
) -> list[tuple[VersionLine, list[Change]]]:
    """Every version of a member's pair agreement, oldest first, with what each changed."""
    pair_id = lookups.acting_pair(work.session, hr_id, pair_id, programme_slug)
    versions = agreement_page(work, hr_id, pair_id).versions
    bodies = {
        v.version: agreements.version_body(
            work.session, agreements.get_agreement(work.session, pair_id), v.version
        )
        for v in versions
    }
    return [
        (line, changes_between(bodies[line.version - 1], bodies[line.version]) if line.version > 1 else [])
        for line in reversed(versions)
    ]


def form_changes(body: Mapping[str, Any], form: Mapping[str, str]) -> dict[str, Any]:
    """The changes a submitted form makes to ``body``, in the body's shape (only fields that differ).

    ``goals`` is one goal a line, ``skill: aim``; whole numbers in the schedule become numbers.
    Checking the result is :func:`~rm_plugin.programme.agreement_body.merge_edit`'s job.
    """
    changes: dict[str, Any] = {}
    for name in FIELDS:
        if name not in form:
            continue
        raw = form[name].replace("\r\n", "\n").strip()
        if raw == field_text(body, name):
            continue
        value: Any = raw
        if name == "goals":
            value = []
            for line in raw.splitlines():
                skill, _, aim = line.partition(":")
                if skill.strip():
                    value.append({"skill": skill.strip(), "aim": aim.strip()})
        elif name in ("schedule.cadence_days", "schedule.minutes") and raw.lstrip("-").isdigit():
            value = int(raw)
        group, _, key = name.partition(".")
        if key:
            changes.setdefault(group, {})[key] = value
        else:
            changes[name] = value
    return changes


def edit_from_form(
    work: UnitOfWork, hr_id: str, pair_id: int, form: Mapping[str, str], based_on: int
) -> agreements.Edited:
    """Save a member's form as a new version, unless the partner saved a newer one since the
    member opened it (``based_on``): then nothing is saved and the error says so."""
    session = work.session
    pair = member_pair(work, hr_id, pair_id)
    agreement = agreements.get_agreement(session, pair.id)
    if based_on != agreement.current_version:
        raise ProgrammeError(
            f"your partner saved version {agreement.current_version} while you were editing version "
            f"{based_on}; nothing was saved: read their version, then make your change again"
        )
    changes = form_changes(agreements.version_body(session, agreement), form)
    if not changes:
        raise ProgrammeError("nothing was changed, so no new version was made")
    return agreements.edit_as_member(work, hr_id, changes, pair_id=pair.id)


def agreement_ics(work: UnitOfWork, hr_id: str, pair_id: int) -> tuple[str, str]:
    """The agreed schedule as an ``.ics`` file for a member: (file name, text)."""
    pair = member_pair(work, hr_id, pair_id)
    agreement = agreements.get_agreement(work.session, pair.id)
    ics, _ = agreements.calendar_for(work.session, pair, agreement)
    programme = lookups.pair_info(work.session, pair).programme_slug
    return f"reverse-mentoring-{programme}-pair-{pair.id}.ics", ics


def add_to_host_calendars(work: UnitOfWork, hr_id: str, pair_id: int) -> list[str]:
    """Queue the signed schedule for every calendar connection that has not got it yet; returns
    the connections queued (none when the agreement is not signed or all have it)."""
    pair = member_pair(work, hr_id, pair_id)
    agreement = agreements.get_agreement(work.session, pair.id)
    if not agreements.is_active(agreement):
        raise ProgrammeError("the schedule goes to your calendar once you both signed the agreement")
    before = {
        line.connection
        for line in _calendars(work, lookups.pair_info(work.session, pair).programme_slug, pair.id)
    }
    agreements.queue_calendar(work.session, work.ctx, pair, agreement)
    return [c for c in work.ctx.calendar if c not in before]


def _calendars(work: UnitOfWork, slug: str, pair_id: int) -> list[CalendarLine]:
    """The latest calendar delivery of the pair per connection."""
    rows = work.session.execute(
        select(OutboxItem, StoredReceipt)
        .outerjoin(
            StoredReceipt,
            (StoredReceipt.key == OutboxItem.key) & (StoredReceipt.connection == OutboxItem.connection),
        )
        .where(OutboxItem.action == "calendar", OutboxItem.key.like(f"calendar:{slug}:{pair_id}:%"))
        .order_by(OutboxItem.id)
    ).all()
    latest: dict[str, CalendarLine] = {}
    for item, receipt in rows:
        status = {"done": "delivered", "parked": "failed"}.get(item.status, "queued")
        link = receipt.host_ref if receipt is not None and receipt.host_ref.startswith("http") else ""
        latest[item.connection] = CalendarLine(item.connection, status, link)
    return list(latest.values())
