"""Recruitment: invitations (invite-only programmes) or an announcement (open ones), and one reminder.

Who was invited and when is kept in :class:`Invitation`; an application marks it answered
(:func:`~rm_plugin.enrolment.applications.mark_responses`, run by ``invite`` and ``remind``
and by every applications import). Someone who applied before being invited is recorded as invited and
answered, and sent nothing. Messages go out as ``notify`` outbox rows rendered from the
``invitation``, ``announcement`` and ``invitation_reminder`` templates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_plugin.enrolment.applications import first_applied, mark_responses
from rm_plugin.errors import ProgrammeError
from rm_plugin.programme import lookups
from rm_plugin.programme.messages import send_message
from rm_plugin.store import audit
from rm_plugin.store.models import Invitation, Person, Programme
from rm_plugin.store.types import utcnow
from rm_plugin.unit_of_work import ProgrammeContext

RULE_KEYS = ("min_level", "max_level", "departments", "locations")
DEFAULT_REMINDER_DAYS = 7


@dataclass(frozen=True)
class InviteResult:
    invited: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # listed HR ids with no active person
    applied: list[str] = field(default_factory=list)  # had applied already: recorded, not messaged


def select_people(session: Session, rule: Mapping[str, Any]) -> list[Person]:
    """Active people matching a rule: ``min_level``, ``max_level``, ``departments``, ``locations``."""
    unknown = sorted(set(rule) - set(RULE_KEYS))
    if unknown:
        raise ProgrammeError(f"unknown selection rule key(s) {unknown}; use {list(RULE_KEYS)}")
    query = select(Person).where(Person.status == "active")
    if rule.get("min_level") is not None:
        query = query.where(Person.job_level >= int(rule["min_level"]))
    if rule.get("max_level") is not None:
        query = query.where(Person.job_level <= int(rule["max_level"]))
    if rule.get("departments"):
        query = query.where(Person.department.in_(list(rule["departments"])))
    if rule.get("locations"):
        query = query.where(Person.location.in_(list(rule["locations"])))
    return list(session.scalars(query.order_by(Person.hr_id)))


def eligible_population(session: Session, programme: Programme) -> list[Person]:
    """Everyone who may apply in some role: a possible mentor or a possible mentee."""
    people = select_people(session, {})
    if programme.mentor_max_level is None and programme.mentee_min_level is None:
        return people

    def may_apply(p: Person) -> bool:
        if p.job_level is None:
            return False
        as_mentor = programme.mentor_max_level is None or p.job_level <= programme.mentor_max_level
        as_mentee = programme.mentee_min_level is None or p.job_level >= programme.mentee_min_level
        return as_mentor or as_mentee

    return [p for p in people if may_apply(p)]


def _programme_view(programme: Programme) -> dict[str, Any]:
    return {
        "slug": programme.slug,
        "name": programme.name,
        "starts_on": programme.starts_on.isoformat() if programme.starts_on else "",
        "ends_on": programme.ends_on.isoformat() if programme.ends_on else "",
    }


def invite(
    session: Session,
    ctx: ProgrammeContext,
    programme_slug: str,
    *,
    hr_ids: Iterable[str] = (),
    rule: Mapping[str, Any] | None = None,
) -> InviteResult:
    """Invite listed or selected people (invite-only), or announce to the eligible (open).

    Nobody is invited twice; listed HR ids that match no active person are reported back.
    """
    programme = lookups.open_programme(session, programme_slug, "invite anyone")
    hr_ids = list(dict.fromkeys(hr_ids))
    result = InviteResult()
    if programme.enrolment == "invite":
        if not hr_ids and rule is None:
            raise ProgrammeError(
                f"{programme.slug} is invite-only: list the people to invite (HR ids) or give a rule"
            )
        people = select_people(session, rule) if rule is not None else []
        if hr_ids:
            found = {p.hr_id: p for p in session.scalars(select(Person).where(Person.hr_id.in_(hr_ids)))}
            for hr_id in hr_ids:
                person = found.get(hr_id)
                if person is None or person.status != "active":
                    result.unknown.append(hr_id)
                else:
                    people.append(person)
        kind, template = "invitation", "invitation.txt.j2"
    else:
        if hr_ids or rule is not None:
            raise ProgrammeError(
                f"{programme.slug} is open: its announcement goes to everyone eligible, not to a list"
            )
        people = eligible_population(session, programme)
        kind, template = "announcement", "announcement.txt.j2"
    mark_responses(session, programme)
    already = set(
        session.scalars(
            select(Person.hr_id)
            .join(Invitation, Invitation.person_id == Person.id)
            .where(Invitation.programme_id == programme.id)
        )
    )
    applied_at = first_applied(session, programme)
    for person in dict.fromkeys(people):
        if person.hr_id in already:
            result.already.append(person.hr_id)
            continue
        already.add(person.hr_id)
        answered = applied_at.get(person.id)
        session.add(
            Invitation(programme_id=programme.id, person_id=person.id, kind=kind, responded_at=answered)
        )
        if answered is not None:
            result.applied.append(person.hr_id)
            continue
        send_message(
            session,
            ctx,
            key=f"{kind}:{programme.slug}:{person.hr_id}",
            audience=[person.hr_id],
            template=template,
            context={"programme": _programme_view(programme), "person": {"name": person.display_name}},
            kind=kind if kind == "invitation" else "announcement",
        )
        result.invited.append(person.hr_id)
    session.flush()
    audit.record(
        session, "admin", f"programme.{kind}s_sent", "programme", programme.id, count=len(result.invited)
    )
    return result


@dataclass(frozen=True)
class InvitationRow:
    """One invitation as an admin lists it."""

    hr_id: str
    name: str
    kind: str
    sent_at: dt.datetime
    reminded_at: dt.datetime | None
    responded_at: dt.datetime | None


def invitations(session: Session, programme_slug: str) -> list[InvitationRow]:
    """Who was invited to a programme, when, whether reminded, and when they applied."""
    programme = lookups.programme(session, programme_slug)
    applied_at = first_applied(session, programme)
    rows = session.execute(
        select(Invitation, Person)
        .join(Person, Person.id == Invitation.person_id)
        .where(Invitation.programme_id == programme.id)
        .order_by(Invitation.sent_at, Person.hr_id)
    )
    return [
        InvitationRow(
            hr_id=person.hr_id,
            name=person.display_name,
            kind=invitation.kind,
            sent_at=invitation.sent_at,
            reminded_at=invitation.reminded_at,
            responded_at=invitation.responded_at or applied_at.get(person.id),
        )
        for invitation, person in rows
    ]


def remind(
    session: Session,
    ctx: ProgrammeContext,
    programme_slug: str,
    *,
    now: dt.datetime | None = None,
    after_days: int | None = None,
) -> list[str]:
    """Remind, once, everyone invited at least ``after_days`` ago who has not applied.

    ``after_days`` defaults to the programme's ``settings.reminder_days`` (else 7).
    Returns the HR ids reminded.
    """
    programme = lookups.open_programme(session, programme_slug, "remind anyone to apply")
    now = now or utcnow()
    days = (
        after_days
        if after_days is not None
        else int((programme.settings or {}).get("reminder_days", DEFAULT_REMINDER_DAYS))
    )
    if days < 0:
        raise ProgrammeError(f"reminder days must be 0 or more, not {days}")
    mark_responses(session, programme)
    cutoff = now - dt.timedelta(days=days)
    due = session.execute(
        select(Invitation, Person)
        .join(Person, Person.id == Invitation.person_id)
        .where(
            Invitation.programme_id == programme.id,
            Invitation.responded_at.is_(None),
            Invitation.reminded_at.is_(None),
            Invitation.sent_at <= cutoff,
        )
        .order_by(Person.hr_id)
    ).all()
    reminded = []
    for invitation, person in due:
        send_message(
            session,
            ctx,
            key=f"reminder:{programme.slug}:{person.hr_id}",
            audience=[person.hr_id],
            template="invitation_reminder.txt.j2",
            context={
                "programme": _programme_view(programme),
                "person": {"name": person.display_name},
                "invited_on": invitation.sent_at.date().isoformat(),
            },
            kind="reminder",
        )
        invitation.reminded_at = now
        reminded.append(person.hr_id)
    session.flush()
    return reminded
