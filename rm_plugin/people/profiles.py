"""People read back for the doors: one person's profile, and lists of people."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from rm_plugin.domain.orgtree import OrgIndex, find_cycles
from rm_plugin.errors import NotFound
from rm_plugin.store.models import Application, Person, Programme
from rm_plugin.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class PersonProfile:
    """What HR says of a person, their management chain and their applications."""

    hr_id: str
    display_name: str
    email: str
    status: str
    job_level: int | None
    title: str
    department: str
    team: str
    location: str
    time_zone: str
    languages: tuple[str, ...]
    hire_date: dt.date | None
    termination_date: dt.date | None
    source: str
    chain: tuple[tuple[str, str], ...]  # (HR id, name) of each manager, nearest first
    applications: tuple[tuple[str, str, str], ...]  # (programme slug, role, status)
    chain_problem: str | None = None  # why the chain stops short of the top, if it does


def person_profile(work: UnitOfWork, hr_id: str) -> PersonProfile:
    """One person's profile; :class:`~rm_plugin.errors.NotFound` if no one has that HR id."""
    session = work.session
    person = session.scalar(select(Person).where(Person.hr_id == hr_id))
    if person is None:
        raise NotFound(f"no person with HR id {hr_id}")
    everyone = list(
        session.execute(select(Person.hr_id, Person.manager_hr_id, Person.given_name, Person.family_name))
    )
    managers = {row.hr_id: row.manager_hr_id for row in everyone}
    names = {row.hr_id: f"{row.given_name} {row.family_name}".strip() or row.hr_id for row in everyone}
    looped = find_cycles(managers)
    index = OrgIndex({p: m for p, m in managers.items() if p not in looped})
    chain = index.chain(hr_id)
    problem = None
    if hr_id in looped:
        problem = "loops back on itself"
    elif hr_id in index.broken:
        missing = index.broken[hr_id]
        why = "whose own chain loops" if missing in looped else "who is not in the roster"
        problem = f"broken at {missing}, {why}"
    applications = session.execute(
        select(Programme.slug, Application.role, Application.status)
        .join(Programme, Programme.id == Application.programme_id)
        .where(Application.person_id == person.id)
    ).all()
    return PersonProfile(
        hr_id=person.hr_id,
        display_name=person.display_name,
        email=person.email,
        status=person.status,
        job_level=person.job_level,
        title=person.title,
        department=person.department,
        team=person.team,
        location=person.location,
        time_zone=person.time_zone,
        languages=tuple(person.languages or ()),
        hire_date=person.hire_date,
        termination_date=person.termination_date,
        source=person.source,
        chain=tuple((m, names.get(m, m)) for m in chain),
        applications=tuple((slug, role, status) for slug, role, status in applications),
        chain_problem=problem,
    )


@dataclass(frozen=True)
class PersonRow:
    hr_id: str
    job_level: int | None
    display_name: str
    department: str
    status: str


@dataclass(frozen=True)
class PeopleList:
    """The people asked for, and how many people are stored in all."""

    rows: list[PersonRow]
    total: int


def list_people(work: UnitOfWork, *, department: str | None = None, status: str = "active") -> PeopleList:
    """People by HR id, of one department and/or status (``all`` for every status)."""
    query = select(Person).order_by(Person.hr_id)
    if department:
        query = query.where(Person.department == department)
    if status != "all":
        query = query.where(Person.status == status)
    rows = [
        PersonRow(p.hr_id, p.job_level, p.display_name, p.department, p.status)
        for p in work.session.scalars(query)
    ]
    total = work.session.scalar(select(func.count()).select_from(Person)) or 0
    return PeopleList(rows, total)
