"""Creating and reading programmes; the site's programme defaults fill what is not given."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_plugin.domain import text_limits
from rm_plugin.domain.milestones import check_milestones, defaults_for_settings, fill_default_milestones
from rm_plugin.domain.programme_rules import DEFAULT_WEIGHTS, rule_problems, unknown_terms, weight_problems
from rm_plugin.domain.records import ProgrammeInfo
from rm_plugin.enrolment.eligibility import EligibilitySummary, summarise
from rm_plugin.errors import FieldProblems, NotFound, ProgrammeError, keyed
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
    """Create a programme; raises FieldProblems (a ProgrammeError) with every reason it cannot be.

    The matching ``rules`` and ``weights`` are checked here, every bad key named at once, so a
    mistake is found when it is typed and not at the next ``match propose``.
    """
    problems = creation_problems(
        session, slug=slug, name=name, enrolment=enrolment, starts_on=starts_on, ends_on=ends_on,
        overrides=overrides,
    )  # fmt: skip
    if problems:
        raise FieldProblems(problems)
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


def creation_problems(
    session: Session,
    *,
    slug: str,
    name: str,
    enrolment: str = "open",
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> list[tuple[str, str]]:
    """Every reason a programme cannot be created so, each keyed by the field it is about."""
    overrides = overrides or {}
    problems: list[tuple[str, str]] = []
    if not SLUG.fullmatch(slug):
        problems.append(("slug", f"slug {slug!r} must be 2-63 lowercase letters, digits or dashes"))
    elif session.scalar(select(Programme.id).where(Programme.slug == slug)) is not None:
        problems.append(("slug", f"a programme {slug!r} already exists"))
    if not name.strip():
        problems.append(("name", "name must not be empty"))
    elif long_name := text_limits.too_long("name", name.strip(), text_limits.NAME):
        problems.append(("name", long_name))
    if enrolment not in ("open", "invite"):
        problems.append(("enrolment", f"enrolment must be 'open' or 'invite', not {enrolment!r}"))
    if starts_on and ends_on and ends_on <= starts_on:
        problems.append(("ends_on", f"end date {ends_on} must be after start date {starts_on}"))
    unknown = set(overrides) - set(RULE_FIELDS) - {"rules", "weights", "milestones", "settings"}
    if unknown:
        problems.append(("", f"unknown programme setting(s): {', '.join(sorted(unknown))}"))
    problems += keyed(rule_problems(overrides.get("rules") or {}))
    problems += keyed(weight_problems(overrides.get("weights") or {}))
    problems += [("milestones", line) for line in check_milestones(overrides.get("milestones") or [])]
    return problems


def creation_warnings(programme: Programme, today: dt.date) -> list[str]:
    """What is allowed but probably not meant: dates wholly in the past, weights no term uses."""
    warnings = []
    if programme.ends_on is not None and programme.ends_on < today:
        warnings.append(
            f"programme {programme.slug} ended on {programme.ends_on}, before today ({today}): no pair can "
            f"be approved in it; change the end date with `rm-plugin programme set {programme.slug} "
            "--setting ends_on=YYYY-MM-DD` if that was a typo"
        )
    for term in unknown_terms(programme.weights or {}):
        warnings.append(
            f"weights.{term}: not a built-in score term ({', '.join(DEFAULT_WEIGHTS)}); it counts only "
            "if a site plugin scores a term of that name"
        )
    return warnings


@dataclass(frozen=True)
class NewProgramme:
    """A programme just created, and what the admin should know about it."""

    slug: str
    name: str
    warnings: list[str]


def new_programme(work: UnitOfWork, *, slug: str, name: str, **options: Any) -> NewProgramme:
    """Create a programme (see :func:`create_programme`) and say what looks unintended."""
    programme = create_programme(work.session, slug=slug, name=name, **options)
    return NewProgramme(programme.slug, programme.name, creation_warnings(programme, work.today))


def get_programme(session: Session, slug: str, *, for_update: bool = False) -> Programme:
    """The programme ``slug``, the one lookup every command goes through so that a mistyped slug
    is answered the same way everywhere: the error lists the programmes there are."""
    query = select(Programme).where(Programme.slug == slug)
    programme = session.scalar(query.with_for_update() if for_update else query)
    if programme is None:
        known = ", ".join(session.scalars(select(Programme.slug).order_by(Programme.slug))) or "none yet"
        raise NotFound(f"no programme {slug!r} (known: {known})")
    return programme


def has_ended(programme: Programme, on: dt.date) -> bool:
    """True on every day after the programme's end date (a programme without one never ends)."""
    return programme.ends_on is not None and on > programme.ends_on


def shown_status(programme: Programme, today: dt.date) -> str:
    """The status an admin reads: ``ended`` once the end date has passed and it was not closed."""
    if programme.status != "closed" and has_ended(programme, today):
        return "ended"
    return programme.status


def require_running(programme: Programme, on: dt.date, doing: str) -> None:
    """Refuse ``doing`` on day ``on`` when the programme is closed or its end date has passed.

    Nothing new starts in a programme that is over: no pair, agreement or meeting. An admin who
    wants it to go on extends the end date first (``programme set SLUG --setting ends_on=…``).
    """
    if programme.status == "closed":
        closed = f" on {programme.closed_at:%Y-%m-%d}" if programme.closed_at else ""
        raise ProgrammeError(f"programme {programme.slug!r} was closed{closed}; it can no longer {doing}")
    if has_ended(programme, on):
        raise ProgrammeError(
            f"programme {programme.slug!r} ended on {programme.ends_on}, so it can no longer {doing} "
            f"(on {on}); to go on, extend it: rm-plugin programme set {programme.slug} "
            "--setting ends_on=YYYY-MM-DD"
        )


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


def describe(p: Programme, today: dt.date | None = None) -> list[str]:
    """A programme's rules, as lines an admin reads (``programme show``, the demo).

    With ``today``, a programme whose end date has passed shows as ``ended``.
    """
    bounds = []
    if p.mentor_max_level is not None:
        bounds.append(f"mentors at most level {p.mentor_max_level}")
    if p.mentee_min_level is not None:
        bounds.append(f"mentees at least level {p.mentee_min_level}")
    return [
        f"{p.name} ({p.slug}), {shown_status(p, today) if today else p.status}, {p.enrolment} enrolment, "
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
    """Every programme, oldest first; one whose end date has passed shows as ``ended``."""
    return [
        ProgrammeListing(p.slug, p.name, shown_status(p, work.today), p.enrolment, p.starts_on, p.ends_on)
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
    return ProgrammeOverview(describe(programme, work.today), summarise(work.session, programme))


#: Programmes whose pairs can still reach milestones.
LIVE_STATUSES = ("open", "running")


def live_programmes(work: UnitOfWork) -> list[ProgrammeInfo]:
    """The open and running programmes, each with its milestone list (the defaults if it has none)."""
    rows = work.session.scalars(
        select(Programme).where(Programme.status.in_(LIVE_STATUSES)).order_by(Programme.slug)
    )
    return [programme_info(p) for p in rows]
