"""Who may take part in which role under a programme's seniority rule, for the summary admins see."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rm_plugin.domain.seniority import SeniorityRule
from rm_plugin.store.models import Application, Person, Programme


@dataclass
class EligibilitySummary:
    people_active: int = 0
    people_left: int = 0
    levels: Counter[int] = field(default_factory=Counter)
    departments: Counter[str] = field(default_factory=Counter)
    applications: Counter[str] = field(default_factory=Counter)
    eligible: Counter[str] = field(default_factory=Counter)
    ineligible: list[tuple[str, str, str]] = field(default_factory=list)  # (hr_id, role, reason)

    def lines(self) -> list[str]:
        """The summary as lines an admin reads (``programme show``, the demo)."""
        levels = "  ".join(f"L{level}:{n}" for level, n in sorted(self.levels.items()))
        departments = ", ".join(f"{d} {n}" for d, n in self.departments.most_common())
        lines = [
            f"people: {self.people_active} active, {self.people_left} left",
            f"  levels: {levels}",
            f"  departments: {departments}",
            f"applications: {self.applications['mentee']} mentee(s), {self.applications['mentor']} mentor(s)",
            f"  eligible under the seniority rule: {self.eligible['mentee']} mentee(s), "
            f"{self.eligible['mentor']} mentor(s)",
        ]
        for hr_id, role, reason in self.ineligible:
            lines.append(f"  not eligible: {hr_id} as {role}: {reason}")
        return lines


def summarise(session: Session, programme: Programme) -> EligibilitySummary:
    rule = SeniorityRule(
        programme.min_level_gap,
        programme.tenure_tiebreak,
        programme.mentor_max_level,
        programme.mentee_min_level,
    )
    summary = EligibilitySummary()
    active = list(session.scalars(select(Person).where(Person.status == "active")))
    summary.people_active = len(active)
    summary.people_left = session.scalar(select(func.count()).where(Person.status == "left")) or 0
    summary.levels.update(p.job_level for p in active if p.job_level is not None)
    summary.departments.update(p.department or "(none)" for p in active)
    top = max(summary.levels) if summary.levels else None
    bottom = min(summary.levels) if summary.levels else None
    rows = session.execute(
        select(Application, Person)
        .join(Person, Application.person_id == Person.id)
        .where(Application.programme_id == programme.id, Application.status == "submitted")
    )
    for application, person in rows:
        summary.applications[application.role] += 1
        if application.role == "mentor":
            reason = rule.why_not_mentor(person.job_level, top)
        else:
            reason = rule.why_not_mentee(person.job_level, bottom)
        if reason is None:
            summary.eligible[application.role] += 1
        else:
            summary.ineligible.append((person.hr_id, application.role, reason))
    return summary
