"""Creating and reading programmes; the site's programme defaults fill what is not given."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_plugin.domain.milestones import check_milestones, defaults_for_settings, fill_default_milestones
from rm_plugin.domain.records import ProgrammeInfo
from rm_plugin.enrolment.eligibility import EligibilitySummary, summarise
from rm_plugin.errors import ProgrammeError
from rm_plugin.store.audit import record
from rm_plugin.store.models import Programme
from rm_plugin.unit_of_work import UnitOfWork

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
RULE_FIELDS = (
    "min_level_gap",
    "tenure_tiebreak",
    "mentor_max_level",
    "mentee_min_level",
    "reviewers_required",
    "cadence_days",
    "mentor_capacity",
    "allow_mutual",
)


def create_programme(
    session: Session,
    *,
    slug: str,
    name: str,
    defaults: Mapping[str, Any],
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    enrolment: str = "open",
    objectives: tuple[str, ...] = (),
    admin_hr_id: str | None = None,
    actor: str = "admin",
    **overrides: Any,
) -> Programme:
    """Create a programme; raises ProgrammeError with every reason it cannot be created."""
    problems = []
    if not SLUG.match(slug):
        problems.append(f"slug {slug!r} must be 2-63 lowercase letters, digits or dashes")
    elif session.scalar(select(Programme.id).where(Programme.slug == slug)) is not None:
        problems.append(f"a programme {slug!r} already exists")
    if not name.strip():
        problems.append("name must not be empty")
    if enrolment not in ("open", "invite"):
        problems.append(f"enrolment must be 'open' or 'invite', not {enrolment!r}")
    if starts_on and ends_on and ends_on <= starts_on:
        problems.append(f"end date {ends_on} must be after start date {starts_on}")
    unknown = set(overrides) - set(RULE_FIELDS) - {"rules", "weights", "milestones", "settings"}
    if unknown:
        problems.append(f"unknown programme setting(s): {', '.join(sorted(unknown))}")
    if problems:
        raise ProgrammeError("; ".join(problems))
    milestone_problems = check_milestones(overrides.get("milestones") or [])
    if milestone_problems:
        raise ProgrammeError("; ".join(milestone_problems))
    values = {key: defaults[key] for key in RULE_FIELDS if key in defaults}
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = dict(values.pop("settings", None) or {})
    settings.setdefault("meeting_minutes", defaults.get("meeting_minutes", 45))
    values["settings"] = settings
    programme = Programme(
        slug=slug,
        name=name.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        enrolment=enrolment,
        objectives=list(objectives),
        admin_hr_id=admin_hr_id,
        **values,
    )
    fill_default_milestones(programme)
    session.add(programme)
    session.flush()
    record(session, actor, "programme.create", "programme", programme.id, slug=slug)
    return programme


def get_programme(session: Session, slug: str) -> Programme:
    """The programme ``slug``; the error lists the programmes there are."""
    programme = session.scalar(select(Programme).where(Programme.slug == slug))
    if programme is None:
        known = ", ".join(session.scalars(select(Programme.slug).order_by(Programme.slug))) or "none yet"
        raise ProgrammeError(f"no programme {slug!r} (known: {known})")
    return programme


def programme_info(programme: Programme) -> ProgrammeInfo:
    """The programme as hooks see it."""
    return ProgrammeInfo(
        id=programme.id,
        slug=programme.slug,
        name=programme.name,
        starts_on=programme.starts_on,
        ends_on=programme.ends_on,
        milestones=tuple(str(m.get("key", "")) for m in programme.milestones or () if isinstance(m, dict)),
        objectives=tuple(programme.objectives or ()),
        definitions=tuple(
            dict(m) for m in programme.milestones or defaults_for_settings(programme.settings or {})
        ),
    )


def describe(p: Programme) -> list[str]:
    """A programme's rules, as lines an admin reads (``programme show``, the demo)."""
    bounds = []
    if p.mentor_max_level is not None:
        bounds.append(f"mentors at most level {p.mentor_max_level}")
    if p.mentee_min_level is not None:
        bounds.append(f"mentees at least level {p.mentee_min_level}")
    return [
        f"{p.name} ({p.slug}), {p.status}, {p.enrolment} enrolment, "
        f"{p.starts_on or '?'} to {p.ends_on or '?'}",
        f"  objectives: {', '.join(p.objectives) or '-'}",
        f"  seniority: mentee at least {p.min_level_gap} level(s) above the mentor"
        + (", tenure breaks ties" if p.tenure_tiebreak else "")
        + (f"; {', '.join(bounds)}" if bounds else ""),
        f"  reviewers per pair: {p.reviewers_required}; meetings every {p.cadence_days} days; "
        f"{p.mentor_capacity} mentee(s) per mentor; mutual learning {'on' if p.allow_mutual else 'off'}",
        f"  rules: {p.rules or '-'}  weights: {p.weights or '-'}",
    ]


@dataclass(frozen=True)
class ProgrammeListing:
    """One programme in a list of them."""

    slug: str
    name: str
    status: str
    enrolment: str
    starts_on: dt.date | None
    ends_on: dt.date | None


def list_programmes(work: UnitOfWork) -> list[ProgrammeListing]:
    """Every programme, oldest first."""
    return [
        ProgrammeListing(p.slug, p.name, p.status, p.enrolment, p.starts_on, p.ends_on)
        for p in work.session.scalars(select(Programme).order_by(Programme.created_at))
    ]


@dataclass(frozen=True)
class ProgrammeOverview:
    """A programme's rules (as :func:`describe` words them) and who is eligible under them."""

    rules: list[str]
    eligibility: EligibilitySummary


def programme_overview(work: UnitOfWork, slug: str) -> ProgrammeOverview:
    """A programme's rules and who is eligible under its seniority rule (``programme show``)."""
    programme = get_programme(work.session, slug)
    return ProgrammeOverview(describe(programme), summarise(work.session, programme))


#: Programmes whose pairs can still reach milestones.
LIVE_STATUSES = ("open", "running")


def live_programmes(work: UnitOfWork) -> list[ProgrammeInfo]:
    """The open and running programmes, each with its milestone list (the defaults if it has none)."""
    rows = work.session.scalars(
        select(Programme).where(Programme.status.in_(LIVE_STATUSES)).order_by(Programme.slug)
    )
    return [programme_info(p) for p in rows]
