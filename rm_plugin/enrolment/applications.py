"""Importing programme applications from CSV: good rows go in, each bad row is reported by line.

Columns: ``hr_id, role`` (mentor = the junior, mentee = the senior), then optional
``skills_offered`` and ``topics_offered`` / ``topics_wanted`` (``;``-separated),
``skills_wanted`` (``skill:priority;…`` with priority 1-3), ``learning_style``, ``interests``,
``availability`` (``mon 09:00-11:00;thu 14:00-15:30`` in the person's own time zone),
``meeting_mode`` (in_person, remote, either), ``capacity``, ``goals``, ``consent`` (yes/no),
``demographics`` (opt-in ``key=value;…``). Re-importing updates each person's application.

What a row gives that matching would not use is not dropped silently: a mentee's
``skills_offered`` or ``capacity`` and a mentor's ``skills_wanted`` are ignored with a
warning naming the line, a skill without a priority is read as 2 with a warning, and items
separated by ``,`` or ``|`` instead of ``;`` are split with a warning.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rm_plugin.domain.csv_records import records
from rm_plugin.domain.records import RowProblem
from rm_plugin.enrolment.programmes import get_programme
from rm_plugin.errors import ProgrammeError, RowError
from rm_plugin.store.audit import record
from rm_plugin.store.models import Application, Invitation, Person, Programme
from rm_plugin.unit_of_work import UnitOfWork

ROLES = ("mentor", "mentee")
MODES = ("in_person", "remote", "either")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SLOT = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)\s+([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class ClosedProgramme(ProgrammeError):
    """The programme is closed and takes no more applications."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)  # imported, but read differently than written

    @property
    def imported(self) -> int:
        return self.created + self.updated

    def lines(self) -> list[str]:
        head = f"applications: {self.created} created, {self.updated} updated; "
        head += f"{len(self.problems)} row(s) skipped"
        if self.warnings:
            head += f", {len(self.warnings)} warning(s)"
        return [
            head,
            *(f"  skipped: {p}" for p in self.problems),
            *(f"  warning: {w}" for w in self.warnings),
        ]


def import_applications(
    session: Session, programme: Programme, path: Path, actor: str = "admin"
) -> ImportReport:
    """Import the applications of a CSV file: good rows are created or updated, bad ones reported."""
    if programme.status == "closed":
        raise ClosedProgramme(f"programme {programme.slug} is closed; it takes no more applications")
    report = ImportReport()
    people = {p.hr_id: p for p in session.scalars(select(Person))}
    existing = {
        (a.person_id, a.role): a
        for a in session.scalars(select(Application).where(Application.programme_id == programme.id))
    }
    seen: dict[tuple[str, str], str] = {}
    invited: set[int] | None = None
    if programme.enrolment == "invite":
        invited = set(
            session.scalars(select(Invitation.person_id).where(Invitation.programme_id == programme.id))
        )
    source = path.name
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            missing = {"hr_id", "role"} - set(reader.fieldnames or [])
            if missing:
                report.problems.append(
                    RowProblem(source, "line 1", f"the header lacks {', '.join(sorted(missing))}")
                )
                return report
            for found in records(reader):
                raw, line = found.values, found.where
                hr_id = (raw.get("hr_id") or "").strip()
                if found.problem:
                    report.problems.append(RowProblem(source, line, found.problem, hr_id or None))
                    continue
                try:
                    values, person, warnings = _parse(raw, people)
                    if invited is not None and person.id not in invited:
                        raise RowError(
                            f"{hr_id} was not invited to this invite-only programme "
                            "(invite them first with `rm-plugin programme invite`)"
                        )
                    key = (hr_id, values["role"])
                    if key in seen:
                        raise RowError(f"duplicate application as {values['role']} (first at {seen[key]})")
                    seen[key] = line
                except RowError as exc:
                    report.problems.append(RowProblem(source, line, str(exc), hr_id or None))
                    continue
                report.warnings += [RowProblem(source, line, warning, hr_id) for warning in warnings]
                application = existing.get((person.id, values["role"]))
                if application is None:
                    session.add(Application(programme_id=programme.id, person_id=person.id, **values))
                    report.created += 1
                else:
                    for name, value in values.items():
                        setattr(application, name, value)
                    application.status = "submitted"
                    report.updated += 1
    except UnicodeDecodeError as exc:
        reason = f"not UTF-8 ({exc.reason}); save the file as UTF-8 CSV and import again"
        report.problems.append(RowProblem(source, "file", reason))
        return report
    except csv.Error as exc:
        report.problems.append(RowProblem(source, "file", f"not valid CSV: {exc}"))
        return report
    record(
        session,
        actor,
        "applications.import",
        "programme",
        programme.id,
        file=source,
        imported=report.imported,
    )
    return report


def _parse(
    raw: Mapping[str, str | None], people: Mapping[str, Person]
) -> tuple[dict[str, Any], Person, list[str]]:
    warnings: list[str] = []

    def get(name: str) -> str:
        return (raw.get(name) or "").strip()

    def items(name: str) -> list[str]:
        found, separators = _list(get(name))
        if separators:
            shown = " and ".join(f"'{s}'" for s in separators)
            warnings.append(f"{name}: {shown} read as separating {len(found)} items; separate them with ';'")
        return found

    hr_id = get("hr_id")
    if not hr_id:
        raise RowError("missing HR id")
    person = people.get(hr_id)
    if person is None:
        raise RowError(f"no person with HR id {hr_id} (sync people first)")
    if person.status != "active":
        raise RowError(f"{hr_id} has left the organisation")
    role = get("role").lower()
    if role not in ROLES:
        raise RowError(f"role {get('role')!r} must be mentor (the junior) or mentee (the senior)")
    mode = get("meeting_mode").lower() or "either"
    if mode not in MODES:
        raise RowError(f"meeting mode {mode!r} must be one of {', '.join(MODES)}")
    capacity_text = get("capacity")
    capacity = None
    if capacity_text:
        if not capacity_text.isdigit() or not 1 <= int(capacity_text) <= 20:
            raise RowError(f"capacity {capacity_text!r} must be a whole number from 1 to 20")
        capacity = int(capacity_text)
    consent_text = get("consent").lower() or "yes"
    if consent_text not in ("yes", "no"):
        raise RowError(f"consent {consent_text!r} must be yes or no")
    if consent_text == "no":
        raise RowError("no consent to process the application; not imported")
    wanted, unprioritised = _priorities(items("skills_wanted"))
    values: dict[str, Any] = {
        "role": role,
        "skills_offered": items("skills_offered"),
        "skills_wanted": wanted,
        "topics_offered": items("topics_offered"),
        "topics_wanted": items("topics_wanted"),
        "learning_style": get("learning_style").lower(),
        "interests": items("interests"),
        "availability": _availability(items("availability")),
        "meeting_mode": mode,
        "capacity": capacity,
        "goals": get("goals"),
        "consent": {"data_processing": True},
        "demographics": _pairs(_list(get("demographics"), strict=True)[0]),
    }
    if role == "mentor" and not values["skills_offered"]:
        raise RowError("a mentor must offer at least one skill")
    if role == "mentee" and not values["skills_wanted"]:
        raise RowError("a mentee must want at least one skill")
    if role == "mentee" and unprioritised:
        named = ", ".join(f"'{skill}'" for skill in unprioritised)
        warnings.append(f"skills_wanted: {named} has no priority; read as 2 (write skill:1, :2 or :3)")
    if role == "mentee" and values["skills_offered"]:
        warnings.append(
            "skills_offered is read for mentors only and was ignored on this mentee row "
            "(what a senior can teach back goes in topics_offered)"
        )
        values["skills_offered"] = []
    if role == "mentor" and values["skills_wanted"]:
        warnings.append(
            "skills_wanted is read for mentees only and was ignored on this mentor row "
            "(what a junior wants to learn goes in topics_wanted)"
        )
        values["skills_wanted"] = {}
    if role == "mentee" and capacity is not None:
        warnings.append(
            "capacity is read for mentors only (mentees per mentor) and was ignored on this mentee row"
        )
        values["capacity"] = None
    return values, person, warnings


OTHER_SEPARATORS = (",", "|")


def _list(text: str, *, strict: bool = False) -> tuple[list[str], list[str]]:
    """The ``;``-separated items of ``text`` (lowercased), and which other separators were read
    as ``;`` (none when ``strict``: there a ``,`` belongs to the value)."""
    used = [] if strict else [sep for sep in OTHER_SEPARATORS if sep in text]
    for sep in used:
        text = text.replace(sep, ";")
    return [item.strip().lower() for item in text.split(";") if item.strip()], used


def _priorities(items: list[str]) -> tuple[dict[str, int], list[str]]:
    """Skill -> priority, and the skills given without one (read as 2)."""
    out: dict[str, int] = {}
    bare: list[str] = []
    for item in items:
        skill, _, priority = item.rpartition(":")
        if not skill:
            skill, priority = priority, "2"
            bare.append(skill.strip())
        if priority not in ("1", "2", "3"):
            raise RowError(f"skill priority in {item!r} must be 1, 2 or 3")
        out[skill.strip()] = int(priority)
    return out, bare


def _availability(items: list[str]) -> list[dict[str, str]]:
    slots = []
    for item in items:
        match = _SLOT.match(item)
        if not match:
            raise RowError(f"availability {item!r} must look like 'mon 09:00-11:00'")
        day, h1, m1, h2, m2 = match.groups()
        if (int(h2), int(m2)) <= (int(h1), int(m1)):
            raise RowError(f"availability {item!r} ends before it starts")
        slots.append({"day": day, "start": f"{h1}:{m1}", "end": f"{h2}:{m2}"})
    return slots


def _pairs(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise RowError(f"demographics entry {item!r} must look like key=value")
        out[key.strip()] = value.strip()
    return out


def first_applied(session: Session, programme: Programme) -> dict[int, dt.datetime]:
    """Person id -> when they first applied to ``programme`` (in any role)."""
    return {
        person_id: submitted_at
        for person_id, submitted_at in session.execute(
            select(Application.person_id, func.min(Application.submitted_at))
            .where(Application.programme_id == programme.id)
            .group_by(Application.person_id)
        )
    }


def mark_responses(session: Session, programme: Programme) -> int:
    """Set ``responded_at`` on invitations whose person has applied; returns how many changed.

    Two queries whatever the programme's size. Call it after importing applications, so
    ``programme invitations`` and the reminder see who answered.
    """
    applied_at = first_applied(session, programme)
    if not applied_at:
        return 0
    changed = 0
    open_invites = session.scalars(
        select(Invitation).where(Invitation.programme_id == programme.id, Invitation.responded_at.is_(None))
    )
    for invitation in open_invites:
        answered = applied_at.get(invitation.person_id)
        if answered is not None:
            invitation.responded_at = answered
            changed += 1
    session.flush()
    return changed


def import_file(work: UnitOfWork, programme_slug: str, path: Path, actor: str = "admin") -> ImportReport:
    """Import a programme's applications from a CSV file, then mark the invitations they answer."""
    programme = get_programme(work.session, programme_slug)
    report = import_applications(work.session, programme, path, actor)
    mark_responses(work.session, programme)
    return report
