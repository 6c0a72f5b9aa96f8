"""What a programme's matching starts from, read from the store in one pass.

Applicants (submitted applications of active people), the management tree, the pairs kept
from earlier runs (active, pinned, or already approved by someone) and the combinations the
rules forbid (rejected by a reviewer; paired before).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_plugin.domain.orgtree import OrgIndex, find_cycles
from rm_plugin.domain.seniority import SeniorityRule
from rm_plugin.enrolment.programmes import get_programme
from rm_plugin.errors import UserError
from rm_plugin.matching.applicants import Applicant, MatchSettings, SettingsError
from rm_plugin.matching.availability import AvailabilityError, weekly_slots
from rm_plugin.store.models import Application, Pair, Person, Programme, ReviewDecision

MEETING_MODES = ("in_person", "remote", "either")


class MatchingError(UserError):
    """A matching action cannot be done; the message says what was wrong and what to do."""


def load_programme(session: Session, slug: str, *, for_update: bool = False) -> Programme:
    return get_programme(session, slug, for_update=for_update)


def require_open(programme: Programme) -> None:
    """Matching changes pairs, which a closed programme no longer has."""
    if programme.status == "closed":
        raise MatchingError(f"programme {programme.slug!r} is closed; its pairs can no longer change")


def settings_for(programme: Programme) -> MatchSettings:
    try:
        return MatchSettings.from_programme(
            rules=programme.rules or {},
            weights=programme.weights or {},
            seniority=SeniorityRule(
                min_level_gap=programme.min_level_gap,
                tenure_tiebreak=programme.tenure_tiebreak,
                mentor_max_level=programme.mentor_max_level,
                mentee_min_level=programme.mentee_min_level,
            ),
            allow_mutual=programme.allow_mutual,
            objectives=programme.objectives or [],
            week_of=programme.starts_on,
            objective=(programme.settings or {}).get("match_objective"),
        )
    except SettingsError as exc:
        raise MatchingError(f"programme {programme.slug!r}: {exc}") from exc


@dataclass
class ProgrammeState:
    programme: Programme
    settings: MatchSettings
    org: OrgIndex
    mentees: dict[str, Applicant]
    mentors: dict[str, Applicant]
    problems: list[str]
    kept: list[Pair]
    replaceable: list[Pair]
    forbidden: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    hr_of: dict[int, str] = field(default_factory=dict)
    excluded: dict[tuple[str, str], str] = field(default_factory=dict)  # (HR id, role) -> why left out

    def mentor_load(self) -> dict[str, int]:
        load: dict[str, int] = {}
        for pair in self.kept:
            hr = self.hr_of[pair.mentor_id]
            load[hr] = load.get(hr, 0) + 1
        return load

    def kept_mentees(self) -> set[str]:
        return {self.hr_of[p.mentee_id] for p in self.kept}


def _applicant(app: Application, person: Person, programme: Programme, settings: MatchSettings) -> Applicant:
    if app.role not in ("mentor", "mentee"):
        raise ValueError(f"role {app.role!r} is neither mentor nor mentee")
    wanted: dict[str, int] = {}
    for skill, priority in (app.skills_wanted or {}).items():
        if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 3:
            raise ValueError(f"skills_wanted.{skill}: priority must be 1, 2 or 3, got {priority!r}")
        wanted[str(skill)] = priority
    if app.meeting_mode not in MEETING_MODES:
        raise ValueError(f"meeting_mode {app.meeting_mode!r} is not one of {', '.join(MEETING_MODES)}")
    capacity = programme.mentor_capacity if app.capacity is None else app.capacity
    if app.role == "mentor" and capacity < 0:
        raise ValueError(f"capacity {capacity} is negative")
    windows = tuple(app.availability or ())
    try:
        weekly_slots(windows, person.time_zone, settings.week_of)
    except AvailabilityError as exc:
        raise ValueError(str(exc)) from exc
    return Applicant(
        hr_id=person.hr_id,
        role=app.role,
        job_level=person.job_level,
        hire_date=person.hire_date,
        department=person.department,
        team=person.team,
        location=person.location,
        time_zone=person.time_zone,
        languages=tuple(person.languages or ()),
        skills_offered=tuple(app.skills_offered or ()),
        skills_wanted=wanted,
        topics_offered=tuple(app.topics_offered or ()),
        topics_wanted=tuple(app.topics_wanted or ()),
        learning_style=app.learning_style or "",
        interests=tuple(app.interests or ()),
        availability=windows,
        meeting_mode=app.meeting_mode,
        capacity=capacity if app.role == "mentor" else 1,
        demographics=dict(app.demographics or {}),
        person_id=person.id,
    )


def managers_map(session: Session) -> dict[str, str | None]:
    """Everyone's manager, leavers included: a manager who left still links a skip-level chain,
    and leaving them out would let a senior be paired with (or review) their own report."""
    rows = session.execute(select(Person.hr_id, Person.manager_hr_id))
    return {hr: manager for hr, manager in rows}


class ManagerLookup(Mapping[str, str | None]):
    """Managers read on demand (and remembered): a review checks three chains of about ten
    links, so it reads a few dozen rows instead of the whole organisation. An HR id that is
    not stored raises ``KeyError``, so a chain can tell a broken link from the top."""

    BATCH = 500  # HR ids per query (well under every database's limit on bound values)

    def __init__(self, session: Session) -> None:
        self._session = session
        self._known: dict[str, str | None] = {}
        self._absent: set[str] = set()

    def prefetch_chains(self, hr_ids: Iterable[str]) -> None:
        """Read the chains of ``hr_ids`` a level at a time: one query per level and batch."""
        level = set(hr_ids)
        while level:
            unknown = sorted(hr for hr in level if hr not in self._known and hr not in self._absent)
            for start in range(0, len(unknown), self.BATCH):
                batch = unknown[start : start + self.BATCH]
                rows = self._session.execute(
                    select(Person.hr_id, Person.manager_hr_id).where(Person.hr_id.in_(batch))
                )
                self._known.update(dict(rows.all()))
                self._absent.update(hr for hr in batch if hr not in self._known)
            level = {
                manager
                for hr in unknown
                if (manager := self._known.get(hr)) is not None
                and manager not in self._known
                and manager not in self._absent
            }

    def __getitem__(self, hr_id: str) -> str | None:
        if hr_id in self._known:
            return self._known[hr_id]
        if hr_id in self._absent:
            raise KeyError(hr_id)
        row = self._session.execute(select(Person.manager_hr_id).where(Person.hr_id == hr_id)).first()
        if row is None:
            self._absent.add(hr_id)
            raise KeyError(hr_id)
        self._known[hr_id] = row[0]
        return row[0]

    def __iter__(self) -> Iterator[str]:
        return iter(self._known)

    def __len__(self) -> int:
        return len(self._known)


def active_hr_ids(session: Session, among: Sequence[str] | None = None) -> set[str]:
    """Active people's HR ids, or only those of ``among`` that are active."""
    query = select(Person.hr_id).where(Person.status == "active")
    if among is not None:
        query = query.where(Person.hr_id.in_(among))
    return set(session.scalars(query))


def chain_problem(org: OrgIndex, looped: set[str], hr_id: str) -> str | None:
    """Why ``hr_id``'s management chain cannot be checked, or ``None`` if it can."""
    if hr_id in looped:
        return "the management chain loops back on itself; fix the manager field in HR"
    missing = org.broken.get(hr_id)
    if missing is None:
        return None
    why = "whose chain loops back on itself" if missing in looped else "who is not in the roster"
    return (
        f"the management chain is broken at {missing}, {why}, so who is above them is unknown; "
        "fix the manager field in HR"
    )


def load_state(session: Session, programme: Programme) -> ProgrammeState:
    settings = settings_for(programme)
    managers = managers_map(session)
    looped = find_cycles(managers)
    org = OrgIndex({p: m for p, m in managers.items() if p not in looped})
    problems: list[str] = []
    excluded: dict[tuple[str, str], str] = {}
    mentees: dict[str, Applicant] = {}
    mentors: dict[str, Applicant] = {}
    rows = session.execute(
        select(Application, Person)
        .join(Person, Person.id == Application.person_id)
        .where(Application.programme_id == programme.id, Application.status == "submitted")
        .where(Person.status == "active")
        .order_by(Application.id)
    )
    for app, person in rows:
        where = f"application {app.id} ({person.hr_id}, {app.role})"
        broken = chain_problem(org, looped, person.hr_id)
        if broken:
            problems.append(f"{where}: {broken}")
            excluded[(person.hr_id, app.role)] = broken
            continue
        try:
            applicant = _applicant(app, person, programme, settings)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            excluded[(person.hr_id, app.role)] = str(exc)
            continue
        (mentees if app.role == "mentee" else mentors)[person.hr_id] = applicant

    pairs = list(session.scalars(select(Pair).where(Pair.programme_id == programme.id).order_by(Pair.id)))
    reviewed = set(
        session.scalars(
            select(ReviewDecision.pair_id).where(ReviewDecision.pair_id.in_([p.id for p in pairs] or [-1]))
        )
    )
    person_ids = {p.mentee_id for p in pairs} | {p.mentor_id for p in pairs}
    kept = [
        p
        for p in pairs
        if p.status == "active" or (p.status == "proposed" and (p.pinned or p.id in reviewed))
    ]
    replaceable = [p for p in pairs if p.status == "proposed" and not p.pinned and p.id not in reviewed]
    previous: list[Pair] = []
    if settings.not_previous_pair:
        previous = list(
            session.scalars(
                select(Pair).where(
                    Pair.status.in_(("active", "closed")),
                    (Pair.programme_id != programme.id) | (Pair.status == "closed"),
                )
            )
        )
        person_ids |= {p.mentee_id for p in previous} | {p.mentor_id for p in previous}
    hr_of = (
        dict(session.execute(select(Person.id, Person.hr_id).where(Person.id.in_(person_ids))).all())
        if person_ids
        else {}
    )
    forbidden: dict[str, set[tuple[str, str]]] = {
        "not_rejected": {(hr_of[p.mentee_id], hr_of[p.mentor_id]) for p in pairs if p.status == "rejected"},
        "not_previous_pair": {(hr_of[p.mentee_id], hr_of[p.mentor_id]) for p in previous},
    }
    return ProgrammeState(
        programme, settings, org, mentees, mentors, problems, kept, replaceable, forbidden, hr_of, excluded
    )
