"""Who applied to a programme, as what, with which skills: what an admin reads before matching.

Opt-in demographic data and free-text goals are never part of it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from rm_plugin.enrolment.programmes import get_programme
from rm_plugin.errors import ProgrammeError
from rm_plugin.store.models import Application, Person
from rm_plugin.unit_of_work import UnitOfWork

ROLES = ("mentee", "mentor")


@dataclass(frozen=True)
class ApplicationRow:
    hr_id: str
    name: str
    role: str
    status: str  # the application's: submitted | withdrawn
    skills: tuple[str, ...]  # offered by a mentor; wanted by a mentee, highest priority first
    submitted_on: dt.date
    person_status: str  # active | left
    job_level: int | None = None
    department: str = ""


def list_applications(
    work: UnitOfWork,
    programme_slug: str,
    role: str | None = None,
    *,
    level: int | None = None,
    department: str | None = None,
) -> list[ApplicationRow]:
    """A programme's applications, mentees first, then by HR id; ``role``, ``level`` (job level)
    and ``department`` each keep only the applications that match."""
    if role is not None and role not in ROLES:
        raise ProgrammeError(f"role must be mentee or mentor, not {role!r}")
    programme = get_programme(work.session, programme_slug)
    query = (
        select(Application, Person)
        .join(Person, Person.id == Application.person_id)
        .where(Application.programme_id == programme.id)
        .order_by(Application.role.desc(), Person.hr_id)
    )
    if role is not None:
        query = query.where(Application.role == role)
    if level is not None:
        query = query.where(Person.job_level == level)
    if department:
        query = query.where(Person.department == department)
    rows = []
    for application, person in work.session.execute(query).all():
        if application.role == "mentor":
            skills = tuple(application.skills_offered or ())
        else:
            wanted = sorted((application.skills_wanted or {}).items(), key=lambda kv: (-int(kv[1]), kv[0]))
            skills = tuple(f"{skill} ({priority})" for skill, priority in wanted)
        rows.append(
            ApplicationRow(
                hr_id=person.hr_id,
                name=person.display_name,
                role=application.role,
                status=application.status,
                skills=skills,
                submitted_on=application.submitted_at.date(),
                person_status=person.status,
                job_level=person.job_level,
                department=person.department or "",
            )
        )
    return rows


@dataclass(frozen=True)
class ApplicantFilters:
    """The values an admin may filter a programme's applications by: those its applicants have."""

    levels: list[int]
    departments: list[str]


def applicant_filters(work: UnitOfWork, programme_slug: str) -> ApplicantFilters:
    """The job levels and departments of a programme's applicants, sorted."""
    programme = get_programme(work.session, programme_slug)
    rows = work.session.execute(
        select(Person.job_level, Person.department)
        .join(Application, Application.person_id == Person.id)
        .where(Application.programme_id == programme.id)
        .distinct()
    ).all()
    return ApplicantFilters(
        levels=sorted({level for level, _ in rows if level is not None}),
        departments=sorted({department for _, department in rows if department}),
    )
