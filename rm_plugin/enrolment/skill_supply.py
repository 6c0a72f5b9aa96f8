"""Skill supply against demand, before matching: for each skill mentees want, how many mentor
applicants offer it.

The practice names "insufficient mentees with the appropriate skill set" as a reason programmes
fail: a skill nobody offers, or fewer mentors offer than mentees want, is where the admin should
recruit more mentors. Only submitted applications of people still employed count; the list
holds counts only, never who.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from rm_plugin.enrolment.programmes import get_programme
from rm_plugin.store.models import Application, Person
from rm_plugin.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class SkillBalance:
    """One skill mentees want: how many mentees want it and how many mentors offer it."""

    skill: str
    mentees: int
    mentors: int

    @property
    def unmet(self) -> bool:
        """No mentor applicant offers it."""
        return self.mentors == 0

    @property
    def short(self) -> bool:
        """Fewer mentors offer it than mentees want it (includes :attr:`unmet`)."""
        return self.mentors < self.mentees


def _skill(name: str) -> str:
    return " ".join(str(name).split()).lower()


def skill_supply(work: UnitOfWork, programme_slug: str) -> list[SkillBalance]:
    """Every skill a mentee applicant wants, the scarcest first (fewest mentors per mentee wanting it)."""
    programme = get_programme(work.session, programme_slug)
    rows = work.session.execute(
        select(Application.role, Application.skills_offered, Application.skills_wanted)
        .join(Person, Person.id == Application.person_id)
        .where(
            Application.programme_id == programme.id,
            Application.status == "submitted",
            Person.status == "active",
        )
    ).all()
    wanted: Counter[str] = Counter()
    offered: Counter[str] = Counter()
    for role, skills_offered, skills_wanted in rows:
        if role == "mentee":
            wanted.update({_skill(s) for s in (skills_wanted or {}) if _skill(s)})
        elif role == "mentor":
            offered.update({_skill(s) for s in (skills_offered or ()) if _skill(s)})
    balances = [SkillBalance(skill, wanted[skill], offered[skill]) for skill in wanted]
    return sorted(balances, key=lambda b: (b.mentors - b.mentees, b.mentors, b.skill))
