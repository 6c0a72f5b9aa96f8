"""The recruitment page of a programme's admin: invitations and the reminder (the services
``rm-plugin programme invite|remind`` call), who applied, filtered, and skill supply against
demand. Only the programme's admin (its ``admin_hr_id``) sees it or acts on it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rm_plugin.enrolment.application_list import (
    ROLES,
    ApplicantFilters,
    ApplicationRow,
    applicant_filters,
    list_applications,
)
from rm_plugin.enrolment.skill_supply import SkillBalance, skill_supply
from rm_plugin.errors import FieldProblems
from rm_plugin.programme import lookups, recruitment
from rm_plugin.programme.admin_rights import programme_for_admin
from rm_plugin.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Filters:
    """What the admin filtered the applications by (None: everyone)."""

    role: str | None = None
    level: int | None = None
    department: str | None = None


@dataclass(frozen=True)
class RecruitmentPage:
    slug: str
    name: str
    enrolment: str  # open | invite
    reminder_days: int
    invitations: list[recruitment.InvitationRow]
    applications: list[ApplicationRow]
    filters: Filters
    choices: ApplicantFilters
    skills: list[SkillBalance]

    @property
    def short_skills(self) -> list[SkillBalance]:
        return [b for b in self.skills if b.short]


def recruitment_page(work: UnitOfWork, hr_id: str, slug: str, filters: Filters) -> RecruitmentPage:
    """Everything the page shows, for the programme's admin; NotPermitted for anyone else."""
    programme_for_admin(work, hr_id, slug)
    programme = lookups.programme(work.session, slug)
    role = filters.role if filters.role in ROLES else None
    kept = Filters(role, filters.level, filters.department or None)
    return RecruitmentPage(
        slug=slug,
        name=programme.name,
        enrolment=programme.enrolment,
        reminder_days=int((programme.settings or {}).get("reminder_days", recruitment.DEFAULT_REMINDER_DAYS)),
        invitations=recruitment.invitations(work.session, slug),
        applications=list_applications(work, slug, role, level=kept.level, department=kept.department),
        filters=kept,
        choices=applicant_filters(work, slug),
        skills=skill_supply(work, slug),
    )


def _listed(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,;]+", text) if part]


def invite_from_form(
    work: UnitOfWork, hr_id: str, slug: str, form: Mapping[str, str]
) -> recruitment.InviteResult:
    """Invite the HR ids and the people the selection picks (invite-only), or send the
    announcement (open); each bad value of the selection named at once."""
    programme_for_admin(work, hr_id, slug)
    rule: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for key in ("min_level", "max_level"):
        text = form.get(key, "").strip()
        if text:
            if text.isascii() and text.isdigit():  # "²" is a digit to isdigit, not to int
                rule[key] = int(text)
            else:
                problems.append(
                    (key, f"{key.replace('_', ' ')} must be a job level (a whole number), not {text!r}")
                )
    for key in ("departments", "locations"):
        values = [part.strip() for part in form.get(key, "").split(",") if part.strip()]
        if values:
            rule[key] = values
    if problems:
        raise FieldProblems(problems)
    return recruitment.invite(
        work.session, work.ctx, slug, hr_ids=_listed(form.get("hr_ids", "")), rule=rule or None
    )


def remind_as_admin(work: UnitOfWork, hr_id: str, slug: str) -> list[str]:
    """Remind, once, those invited long enough ago who have not applied; returns their HR ids."""
    programme_for_admin(work, hr_id, slug)
    return recruitment.remind(work.session, work.ctx, slug)
