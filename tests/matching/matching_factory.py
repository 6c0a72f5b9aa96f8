"""Rows for matching tests, written straight through the models."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from rm_plugin.store.models import Application, Person, Programme


def person(
    session: Session, hr_id: str, level: int | None, manager: str | None = None, **fields: Any
) -> Person:
    row = Person(
        hr_id=hr_id,
        email=f"{hr_id.lower()}@example.com",
        given_name=hr_id,
        job_level=level,
        manager_hr_id=manager,
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def programme(session: Session, slug: str = "rm-2026", **fields: Any) -> Programme:
    fields.setdefault("starts_on", dt.date(2026, 3, 2))
    # Reviewers approve on the real today, and a programme past its end makes no pair.
    fields.setdefault("ends_on", dt.date.today() + dt.timedelta(days=365))
    row = Programme(slug=slug, name=slug.upper(), **fields)
    session.add(row)
    session.flush()
    return row


def apply(session: Session, prog: Programme, who: Person, role: str, **fields: Any) -> Application:
    row = Application(programme_id=prog.id, person_id=who.id, role=role, **fields)
    session.add(row)
    session.flush()
    return row


def small_org(session: Session, **programme_fields: Any) -> Programme:
    """A CEO, two VPs with a senior each, juniors in different branches; all apply.

    ::

        CEO(9)
        ├── VP-A(8) ── SEN-A(7) ── JUN-A1(2), JUN-A2(3)
        └── VP-B(8) ── SEN-B(7) ── JUN-B1(2)
        REV-1(5), REV-2(5), REV-3(5) report to CEO (reviewers)
    """
    person(session, "CEO", 9, department="Board")
    person(session, "VP-A", 8, "CEO", department="Sales")
    person(session, "VP-B", 8, "CEO", department="Tech")
    person(session, "SEN-A", 7, "VP-A", department="Sales", location="London")
    person(session, "SEN-B", 7, "VP-B", department="Tech", location="Berlin")
    person(session, "JUN-A1", 2, "SEN-A", department="Sales", location="London")
    person(session, "JUN-A2", 3, "SEN-A", department="Sales", location="Berlin")
    person(session, "JUN-B1", 2, "SEN-B", department="Tech", location="London")
    for n in (1, 2, 3):
        person(session, f"REV-{n}", 5, "CEO", department="People")
    prog = programme(session, **programme_fields)
    people = {p.hr_id: p for p in session.query(Person)}
    for hr in ("SEN-A", "SEN-B"):
        apply(session, prog, people[hr], "mentee", skills_wanted={"ai": 3, "social": 1})
    apply(session, prog, people["VP-A"], "mentee", skills_wanted={"ai": 1, "design": 3})
    apply(session, prog, people["JUN-A1"], "mentor", skills_offered=["ai"])
    apply(session, prog, people["JUN-A2"], "mentor", skills_offered=["social"])
    apply(session, prog, people["JUN-B1"], "mentor", skills_offered=["ai", "social"])
    return prog
