"""Who runs a programme: its ``admin_hr_id``, from rm-plugin's own data.

A platform's roles (a Moodle administrator, a teacher) grant nothing here; the admin pages
and the admin's services ask these functions. A programme that does not exist is refused the
same way as one the person does not run, so the answer never says which slugs exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from rm_plugin.errors import NotPermitted
from rm_plugin.store.models import Programme
from rm_plugin.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class AdminProgramme:
    """A programme as its admin's pages name it."""

    slug: str
    name: str
    status: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    reviewers_required: int
    cadence_days: int


def _view(programme: Programme) -> AdminProgramme:
    return AdminProgramme(
        slug=programme.slug,
        name=programme.name,
        status=programme.status,
        starts_on=programme.starts_on,
        ends_on=programme.ends_on,
        reviewers_required=programme.reviewers_required,
        cadence_days=programme.cadence_days,
    )


def administered(work: UnitOfWork, hr_id: str) -> list[AdminProgramme]:
    """The programmes ``hr_id`` is the admin of, by name."""
    found = work.session.scalars(
        select(Programme).where(Programme.admin_hr_id == hr_id).order_by(Programme.name, Programme.slug)
    )
    return [_view(p) for p in found]


def programme_for_admin(work: UnitOfWork, hr_id: str, slug: str) -> AdminProgramme:
    """Programme ``slug`` if ``hr_id`` is its admin; NotPermitted otherwise (also when there is none)."""
    programme = work.session.scalar(select(Programme).where(Programme.slug == slug))
    if programme is None or not programme.admin_hr_id or programme.admin_hr_id != hr_id:
        raise NotPermitted(f"{hr_id} is not the admin of programme {slug!r}")
    return _view(programme)
