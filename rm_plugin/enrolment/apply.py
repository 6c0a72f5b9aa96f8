"""One person applying to a programme themselves (the portal's Apply page), or accepting an
invitation in one click.

The checks are the applications import's: a known, active person; a role the programme's
seniority rule allows them; skills offered (mentor) or wanted (mentee) with priorities 1-3;
weekly availability in the person's own time zone; a meeting mode; consent. Every problem is
reported at once and nothing is saved until all are fixed. Applying again updates the answers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select

from rm_plugin.domain.seniority import SeniorityRule
from rm_plugin.enrolment.applications import MODES, ROLES, mark_responses
from rm_plugin.enrolment.programmes import get_programme
from rm_plugin.errors import NotFound, NotPermitted, ProgrammeError
from rm_plugin.store.audit import record
from rm_plugin.store.models import Application, Invitation, Person, Programme
from rm_plugin.unit_of_work import UnitOfWork

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: The week grid's hours (each cell is the hour starting then), in the person's own time zone.
GRID_HOURS = tuple(range(7, 20))
LEARNING_STYLES = ("hands-on", "discussion", "reading", "visual")
MAX_SKILLS = 12
TEXT_LIMIT = 2000


@dataclass(frozen=True)
class Answers:
    """What a person answers on the Apply page. ``availability`` holds week-grid cells
    ``"mon-09"`` (the hour from 09:00 in the person's own time zone)."""

    role: str = ""
    skills_offered: list[str] = field(default_factory=list)
    skills_wanted: dict[str, int] = field(default_factory=dict)
    learning_style: str = ""
    interests: list[str] = field(default_factory=list)
    availability: list[str] = field(default_factory=list)
    meeting_mode: str = "either"
    goals: str = ""
    consent: bool = False


@dataclass(frozen=True)
class ApplyForm:
    """What the Apply page shows: the programme, who may apply as what, and the answers so far."""

    slug: str
    name: str
    roles: dict[str, str | None]  # role -> why the person may not take it (None: they may)
    invited: bool
    invite_only: bool
    answers: Answers | None  # the person's current application here, if any
    reusable_from: str | None  # a programme whose answers one click can reuse
    languages: list[str]  # from the HR record (matching reads them there)
    time_zone: str


@dataclass(frozen=True)
class Applied:
    slug: str
    role: str
    created: bool  # False: an earlier application was updated


def cells_to_windows(cells: Iterable[str]) -> list[dict[str, str]]:
    """Week-grid cells as the weekly windows applications store, adjacent hours merged."""
    hours: dict[str, set[int]] = {}
    for cell in cells:
        day, _, hour = cell.partition("-")
        hours.setdefault(day, set()).add(int(hour))
    windows = []
    for day in DAYS:
        run: list[int] = []
        for hour in [*sorted(hours.get(day, ())), -1]:
            if run and hour != run[-1] + 1:
                windows.append({"day": day, "start": f"{run[0]:02d}:00", "end": f"{run[-1] + 1:02d}:00"})
                run = []
            if hour >= 0:
                run.append(hour)
    return windows


def windows_to_cells(windows: Iterable[Mapping[str, str]]) -> list[str]:
    """The grid cells a stored window touches (a window 09:30-10:15 marks 09 and 10)."""
    cells = []
    for window in windows:
        start_h = int(str(window.get("start", "00:00")).split(":")[0])
        end_h, end_m = (int(x) for x in str(window.get("end", "00:00")).split(":"))
        last = end_h if end_m else end_h - 1
        cells += [f"{window.get('day')}-{h:02d}" for h in range(start_h, last + 1) if h in GRID_HOURS]
    return cells


def _answers(application: Application) -> Answers:
    return Answers(
        role=application.role,
        skills_offered=list(application.skills_offered or []),
        skills_wanted=dict(application.skills_wanted or {}),
        learning_style=application.learning_style or "",
        interests=list(application.interests or []),
        availability=windows_to_cells(application.availability or []),
        meeting_mode=application.meeting_mode or "either",
        goals=application.goals or "",
        consent=bool((application.consent or {}).get("data_processing")),
    )


def _person(work: UnitOfWork, hr_id: str) -> Person:
    person = work.session.scalar(select(Person).where(Person.hr_id == hr_id))
    if person is None or person.status != "active":
        raise NotFound(f"no active person with HR id {hr_id!r}")
    return person


def _roles(work: UnitOfWork, programme: Programme, person: Person) -> dict[str, str | None]:
    rule = SeniorityRule(
        programme.min_level_gap,
        programme.tenure_tiebreak,
        programme.mentor_max_level,
        programme.mentee_min_level,
    )
    top, bottom = work.session.execute(
        select(func.max(Person.job_level), func.min(Person.job_level)).where(Person.status == "active")
    ).one()
    return {
        "mentee": rule.why_not_mentee(person.job_level, bottom),
        "mentor": rule.why_not_mentor(person.job_level, top),
    }


def _invited(work: UnitOfWork, programme: Programme, person: Person) -> bool:
    return (
        work.session.scalar(
            select(Invitation.id).where(
                Invitation.programme_id == programme.id, Invitation.person_id == person.id
            )
        )
        is not None
    )


def _may_apply(work: UnitOfWork, programme: Programme, person: Person) -> None:
    if programme.status != "open":
        raise ProgrammeError(f"{programme.name} does not take applications (it is {programme.status})")
    if programme.enrolment == "invite" and not _invited(work, programme, person):
        raise NotPermitted(f"{programme.name} is by invitation only, and you were not invited")


def _reusable(
    work: UnitOfWork, programme: Programme, person: Person, roles: Mapping[str, str | None]
) -> Application | None:
    """The person's latest application to another programme in a role they may take here."""
    for application in work.session.scalars(
        select(Application)
        .where(Application.person_id == person.id, Application.programme_id != programme.id)
        .order_by(Application.submitted_at.desc(), Application.id.desc())
    ):
        if roles.get(application.role) is None:
            return application
    return None


def apply_form(work: UnitOfWork, hr_id: str, programme_slug: str) -> ApplyForm:
    """The Apply page of one programme for one person."""
    person = _person(work, hr_id)
    programme = get_programme(work.session, programme_slug)
    _may_apply(work, programme, person)
    roles = _roles(work, programme, person)
    current = work.session.scalar(
        select(Application)
        .where(Application.programme_id == programme.id, Application.person_id == person.id)
        .order_by(Application.submitted_at.desc())
    )
    reusable = None if current is not None else _reusable(work, programme, person, roles)
    reusable_name = None
    if reusable is not None:
        reusable_name = work.session.scalar(
            select(Programme.name).where(Programme.id == reusable.programme_id)
        )
    return ApplyForm(
        slug=programme.slug,
        name=programme.name,
        roles=roles,
        invited=_invited(work, programme, person),
        invite_only=programme.enrolment == "invite",
        answers=_answers(current) if current is not None else None,
        reusable_from=reusable_name,
        languages=list(person.languages or []),
        time_zone=person.time_zone or "",
    )


def check_answers(answers: Answers, roles: Mapping[str, str | None]) -> list[str]:
    """Every problem with ``answers``, each naming the field; empty when they can be saved."""
    problems = []
    if answers.role not in ROLES:
        problems.append("role: choose mentee (you learn) or mentor (you teach)")
    elif roles.get(answers.role):
        problems.append(f"role: you cannot apply as {answers.role} here: {roles[answers.role]}")
    if answers.role == "mentor" and not answers.skills_offered:
        problems.append("skills offered: a mentor offers at least one skill")
    if answers.role == "mentee" and not answers.skills_wanted:
        problems.append("skills wanted: a mentee wants at least one skill")
    for name, skills in (
        ("skills offered", answers.skills_offered),
        ("skills wanted", list(answers.skills_wanted)),
    ):
        if len(skills) > MAX_SKILLS:
            problems.append(f"{name}: at most {MAX_SKILLS}")
        problems += [f"{name}: {s[:40]!r} is longer than 80 characters" for s in skills if len(s) > 80]
    for skill, priority in answers.skills_wanted.items():
        if priority not in (1, 2, 3):
            problems.append(f"skills wanted: the priority of {skill!r} must be 1, 2 or 3")
    if answers.learning_style and answers.learning_style not in LEARNING_STYLES:
        problems.append(f"learning style: choose one of {', '.join(LEARNING_STYLES)}")
    if answers.meeting_mode not in MODES:
        problems.append(f"meeting mode: choose one of {', '.join(MODES)}")
    bad = [c for c in answers.availability if not _is_cell(c)]
    if bad:
        problems.append(f"availability: unknown grid cell(s) {bad[:3]}")
    elif not answers.availability:
        problems.append("availability: mark at least one hour of the week you could meet")
    if len(answers.goals) > TEXT_LIMIT:
        problems.append(f"goals: at most {TEXT_LIMIT} characters")
    if not answers.consent:
        problems.append("consent: we need your consent to use your answers for matching")
    return problems


def _is_cell(cell: str) -> bool:
    day, _, hour = cell.partition("-")
    return day in DAYS and hour.isdigit() and int(hour) in GRID_HOURS


def apply(work: UnitOfWork, hr_id: str, programme_slug: str, answers: Answers) -> Applied:
    """Save the person's application (or update it); ProgrammeError lists every problem."""
    session = work.session
    person = _person(work, hr_id)
    programme = get_programme(session, programme_slug)
    _may_apply(work, programme, person)
    problems = check_answers(answers, _roles(work, programme, person))
    if problems:
        raise ProgrammeError("\n".join(problems))
    values = {
        "skills_offered": [s.strip().lower() for s in answers.skills_offered if s.strip()],
        "skills_wanted": {k.strip().lower(): v for k, v in answers.skills_wanted.items() if k.strip()},
        "learning_style": answers.learning_style,
        "interests": [i.strip().lower() for i in answers.interests if i.strip()],
        "availability": cells_to_windows(answers.availability),
        "meeting_mode": answers.meeting_mode,
        "goals": answers.goals.strip(),
        "consent": {"data_processing": True},
    }
    if answers.role == "mentee":
        values["skills_offered"] = []
    else:
        values["skills_wanted"] = {}
    existing = session.scalars(
        select(Application).where(
            Application.programme_id == programme.id, Application.person_id == person.id
        )
    ).all()
    same = next((a for a in existing if a.role == answers.role), None)
    for other in existing:  # one role per programme: applying in the other role withdraws this one
        if other is not same:
            other.status = "withdrawn"
    if same is None:
        session.add(Application(programme_id=programme.id, person_id=person.id, role=answers.role, **values))
    else:
        for name, value in values.items():
            setattr(same, name, value)
        same.status = "submitted"
    session.flush()
    mark_responses(session, programme)
    record(session, hr_id, "application.submitted", "programme", programme.id, role=answers.role)
    return Applied(programme.slug, answers.role, same is None)


def accept_invitation(work: UnitOfWork, hr_id: str, programme_slug: str) -> Applied | None:
    """Accept an invitation in one click by reusing the person's answers to an earlier
    programme; None when there are none to reuse (the Apply form is needed)."""
    person = _person(work, hr_id)
    programme = get_programme(work.session, programme_slug)
    _may_apply(work, programme, person)
    if not _invited(work, programme, person):
        raise NotPermitted(f"you were not invited to {programme.name}")
    source = _reusable(work, programme, person, _roles(work, programme, person))
    if source is None:
        return None
    # The one click is the consent: the button says the answers are used for matching.
    return apply(work, hr_id, programme_slug, dataclasses.replace(_answers(source), consent=True))
