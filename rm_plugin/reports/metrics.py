"""The programme's measurable criteria (DESIGN.md §2 rules 6, 7 and 9), computed in one place.

:func:`build` reads a programme in a fixed number of queries, whatever its size, and returns
a :class:`ProgrammeReport`: plain values the HTML report, its charts, the CSV and JSON
exports and the admin dashboard all show. Nothing here reads a meeting note, a survey
comment or anyone's opt-in demographic data; survey figures come from
:func:`~rm_plugin.programme.surveys.aggregate` with its minimum group, and every other figure
about a group of people (retention) is withheld below the same minimum.

Definitions (the README repeats them for readers of the report):

- *approved pairs*: pairs whose status is ``active`` or ``closed``.
- *match rate*: people of a role in an approved pair over that role's submitted applications.
- *time to match*: days from the later of the two members' applications to the pair's first
  activation; *time to a signed agreement*: days from that activation to the moment both
  members had signed the same version.
- *meetings against the cadence*: meetings held from the pair's start (the later of the
  programme's start and the pair's activation) to today, the pair's end or the programme's
  end, whichever comes first, over the meetings its agreed cadence asks for in that time. A
  month is 365.25 / 12 days. Pairs younger than one cadence are not counted yet.
- *at risk*: the nudges' rule (:func:`rm_plugin.programme.nudges.plan`): a signed pair that
  has not met for 1.5 times its cadence (banded by the nudge level its gap has reached), or a
  pair whose agreement is still not signed by both after the reminder delay.
- *completion*: approved pairs whose two members both reached the programme's milestone with
  the ``completed`` rule.
- *executive participation*: mentees of approved pairs by job level, against the whole
  organisation's active people at that level; executives are people at or above the
  programme setting ``executive_level`` (default: the organisation's top level minus two).
- *retention*: of the people employed on the programme's start date, the share still
  employed 6 and 12 months later, for participants (members of approved pairs) and everyone
  else, from the HR hire and termination dates. Leavers with no termination date, and people
  whose data was erased (their dates went with it), cannot be placed in time and are left out
  (and counted). See :mod:`rm_plugin.reports.intervals`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rm_plugin.errors import ProgrammeError
from rm_plugin.matching.fairness import audit_in
from rm_plugin.programme import lookups, nudges, surveys
from rm_plugin.programme.cadence import agreed_cadences
from rm_plugin.programme.pair_dates import work_starts
from rm_plugin.reports import reversion
from rm_plugin.reports.intervals import Difference, Proportion, newcombe, wilson
from rm_plugin.store.models import (
    Agreement,
    AgreementSignature,
    Application,
    Meeting,
    MilestoneReached,
    Pair,
    PairStatusChange,
    Person,
    Programme,
)
from rm_plugin.unit_of_work import UnitOfWork

APPROVED = ("active", "closed")
PAIR_STATUSES = ("proposed", "active", "closed", "rejected", "withdrawn")
ROLES = ("mentee", "mentor")
MONTH_DAYS = 365.25 / 12
RETENTION_MONTHS = (6, 12)
#: Day bands for the time-to-match and time-to-agreement histograms: (label, first day, last day).
DAY_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0-7 days", 0, 7),
    ("8-14 days", 8, 14),
    ("15-28 days", 15, 28),
    ("29-56 days", 29, 56),
    ("over 56 days", 57, None),
)
#: Bands of meetings held over meetings the cadence asks for: (label, lower bound inclusive).
CADENCE_BANDS: tuple[tuple[str, float], ...] = (
    ("under half", 0.0),
    ("half to 80%", 0.5),
    ("80% to 99%", 0.8),
    ("on cadence or more", 1.0),
)
AT_RISK_BANDS = {"mentee": "1.5 to 2 cadences", "both": "2 to 3 cadences", "admin": "3 cadences or more"}


@dataclass(frozen=True)
class Heading:
    slug: str
    name: str
    status: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    cadence_days: int
    objectives: tuple[str, ...]


@dataclass(frozen=True)
class Recruitment:
    """Applications per role, people matched per role, and pairs per status."""

    applications: dict[str, int]
    withdrawn: int
    matched: dict[str, int]
    pairs: dict[str, int]

    def match_rate(self, role: str) -> float | None:
        return self.matched[role] / self.applications[role] if self.applications[role] else None


@dataclass(frozen=True)
class Durations:
    """Whole days per pair for one step, summarised; ``unknown``: pairs whose dates are missing."""

    days: tuple[int, ...]
    unknown: int = 0

    @property
    def count(self) -> int:
        return len(self.days)

    @property
    def median(self) -> float | None:
        return statistics.median(self.days) if self.days else None

    def quartiles(self) -> tuple[float, float] | None:
        if len(self.days) < 2:
            return None
        q = statistics.quantiles(self.days, n=4, method="inclusive")
        return q[0], q[2]

    def bands(self) -> dict[str, int]:
        out = {label: 0 for label, _, _ in DAY_BANDS}
        for day in self.days:
            for label, first, last in DAY_BANDS:
                if day >= first and (last is None or day <= last):
                    out[label] += 1
                    break
        return out


@dataclass(frozen=True)
class PairRhythm:
    """One pair's meetings against its cadence over ``days`` days."""

    pair_id: int
    meetings: int
    days: int
    cadence_days: int

    @property
    def expected(self) -> float:
        return self.days / self.cadence_days

    @property
    def ratio(self) -> float:
        return self.meetings / self.expected


@dataclass(frozen=True)
class MonthFigures:
    month: str  # YYYY-MM
    held: int
    expected: float


@dataclass(frozen=True)
class Cadence:
    """Meetings per pair per month against the agreed cadences."""

    pairs: tuple[PairRhythm, ...]
    too_early: int
    monthly: tuple[MonthFigures, ...]

    @property
    def meetings(self) -> int:
        return sum(p.meetings for p in self.pairs)

    @property
    def pair_months(self) -> float:
        return sum(p.days for p in self.pairs) / MONTH_DAYS

    @property
    def expected(self) -> float:
        return sum(p.expected for p in self.pairs)

    @property
    def per_pair_month(self) -> float | None:
        return self.meetings / self.pair_months if self.pairs else None

    @property
    def expected_per_pair_month(self) -> float | None:
        return self.expected / self.pair_months if self.pairs else None

    @property
    def ratio(self) -> float | None:
        return self.meetings / self.expected if self.pairs else None

    def bands(self) -> dict[str, int]:
        out = {label: 0 for label, _ in CADENCE_BANDS}
        for pair in self.pairs:
            label = [label for label, floor in CADENCE_BANDS if pair.ratio >= floor][-1]
            out[label] += 1
        return out


@dataclass(frozen=True)
class AtRisk:
    """Active pairs at risk on ``judged_on`` (the report's day, or the programme's end if that
    came first), by the nudges' own rule (:func:`rm_plugin.programme.nudges.plan`): pairs not
    meeting, banded by the nudge level their gap has reached, and pairs whose agreement is not
    signed by both."""

    judged_on: dt.date
    active_pairs: int
    risks: tuple[nudges.AtRisk, ...]

    @property
    def not_meeting(self) -> tuple[nudges.AtRisk, ...]:
        return tuple(r for r in self.risks if r.kind == "meetings")

    @property
    def not_signed(self) -> tuple[nudges.AtRisk, ...]:
        return tuple(r for r in self.risks if r.kind == "agreement")

    def bands(self) -> dict[str, int]:
        counts = Counter(risk.due[-1] for risk in self.not_meeting)
        return {label: counts.get(level, 0) for level, label in AT_RISK_BANDS.items()}


@dataclass(frozen=True)
class Reversion:
    pairs_answering: int
    flagged: int


@dataclass(frozen=True)
class Survey:
    """One survey kind's aggregate, or why it is withheld (``hidden``)."""

    kind: str
    figures: dict[str, Any] | None
    hidden: str = ""


@dataclass(frozen=True)
class SkillConfidence:
    skill: str
    responses: int
    before: float
    after: float


@dataclass(frozen=True)
class Skills:
    """Confidence before and after per goal skill, from the final retrospective (else the midpoint)."""

    kind: str | None
    skills: tuple[SkillConfidence, ...]


@dataclass(frozen=True)
class MilestoneCount:
    key: str
    pairs: int
    people: int


@dataclass(frozen=True)
class Completion:
    approved_pairs: int
    closed_pairs: int
    completed_pairs: int | None  # None: the programme has no milestone with the ``completed`` rule
    milestones: tuple[MilestoneCount, ...]

    @property
    def rate(self) -> float | None:
        if self.completed_pairs is None or not self.approved_pairs:
            return None
        return self.completed_pairs / self.approved_pairs


@dataclass(frozen=True)
class LevelCount:
    level: int
    organisation: int  # active people at this level
    applied: int  # mentee applications
    matched: int  # mentees in an approved pair


@dataclass(frozen=True)
class Seniority:
    executive_level: int | None
    levels: tuple[LevelCount, ...]

    @property
    def executives(self) -> int:
        return sum(row.organisation for row in self.levels if self._executive(row))

    @property
    def executive_mentees(self) -> int:
        return sum(row.matched for row in self.levels if self._executive(row))

    def _executive(self, row: LevelCount) -> bool:
        return self.executive_level is not None and row.level >= self.executive_level


@dataclass(frozen=True)
class RetentionGroup:
    """People of one group employed at the start, and how many stayed (``None`` until the date
    is reached); ``share`` is withheld (``None``) when the group is smaller than the minimum."""

    name: str
    people: int
    stayed: int | None
    share: Proportion | None


@dataclass(frozen=True)
class RetentionAt:
    months: int
    measured_on: dt.date
    ready: bool  # False: the date is still ahead
    participants: RetentionGroup
    others: RetentionGroup
    difference: Difference | None


@dataclass(frozen=True)
class Retention:
    since: dt.date | None
    horizons: tuple[RetentionAt, ...]
    undated_leavers: int
    min_group: int


@dataclass(frozen=True)
class FairnessRow:
    dimension: str
    role: str
    group: str
    applied: int
    proposed: int
    approved: int
    flags: tuple[str, ...]


@dataclass(frozen=True)
class Fairness:
    """The fairness audit's department, level-band and location rows; for opt-in attributes only
    how many groups were flagged (their values stay out of the report and its exports)."""

    rows: tuple[FairnessRow, ...]
    opt_in_flagged: dict[str, int]


@dataclass(frozen=True)
class ProgrammeReport:
    programme: Heading
    as_of: dt.date
    recruitment: Recruitment
    time_to_match: Durations
    time_to_agreement: Durations
    cadence: Cadence
    at_risk: AtRisk
    reversion: Reversion
    surveys: tuple[Survey, ...]
    skills: Skills
    completion: Completion
    seniority: Seniority
    retention: Retention
    fairness: Fairness


def build(session: Session, programme_slug: str, today: dt.date) -> ProgrammeReport:
    """Every figure of the programme report as of ``today``."""
    programme = lookups.programme(session, programme_slug)
    data = _Rows.load(session, programme)
    answers = tuple(_survey(session, programme.slug, kind) for kind in surveys.KINDS)
    return ProgrammeReport(
        programme=Heading(
            programme.slug,
            programme.name,
            programme.status,
            programme.starts_on,
            programme.ends_on,
            programme.cadence_days,
            tuple(programme.objectives or ()),
        ),
        as_of=today,
        recruitment=_recruitment(data),
        time_to_match=_time_to_match(data),
        time_to_agreement=_time_to_agreement(data),
        cadence=_cadence(session, programme, data, today),
        at_risk=_at_risk(session, programme, data, today),
        reversion=_reversion(session, programme),
        surveys=answers,
        skills=_skills(answers),
        completion=_completion(programme, data),
        seniority=_seniority(session, programme),
        retention=retention(session, programme, data.participants(), today),
        fairness=_fairness(session, programme.slug),
    )


def programme_report(work: UnitOfWork, programme_slug: str, as_of: dt.date | None = None) -> ProgrammeReport:
    """The report as of ``as_of`` (default: the site's today), for ``rm-plugin report`` and the
    admin dashboard. A date after today is refused: the report tells what happened."""
    day = as_of or work.today
    if day > work.today:
        raise ProgrammeError(f"--as-of {day} is after today ({work.today}); a report covers what happened")
    return build(work.session, programme_slug, day)


# --- reading the rows ----------------------------------------------------------------------


@dataclass
class _Rows:
    """What the figures need from the store, read once."""

    pairs: list[Pair]
    applications: list[tuple[int, str, str, dt.datetime]]  # person, role, status, submitted at
    first_active: dict[int, dt.datetime]
    closed_at: dict[int, dt.datetime]
    signatures: list[tuple[int, int, int, dt.datetime]]  # pair, version, person, signed at
    meetings: list[tuple[int, dt.date]]
    reached: list[tuple[int, str, int | None]]  # pair, milestone, person

    @classmethod
    def load(cls, session: Session, programme: Programme) -> _Rows:
        pair_ids = select(Pair.id).where(Pair.programme_id == programme.id)
        approved_ids = pair_ids.where(Pair.status.in_(APPROVED))
        changes = session.execute(
            select(PairStatusChange.pair_id, PairStatusChange.to_status, func.min(PairStatusChange.at))
            .where(PairStatusChange.pair_id.in_(pair_ids), PairStatusChange.to_status.in_(APPROVED))
            .group_by(PairStatusChange.pair_id, PairStatusChange.to_status)
        ).all()
        return cls(
            pairs=list(
                session.scalars(select(Pair).where(Pair.programme_id == programme.id).order_by(Pair.id))
            ),
            applications=[
                tuple(row)  # type: ignore[misc]
                for row in session.execute(
                    select(
                        Application.person_id, Application.role, Application.status, Application.submitted_at
                    ).where(Application.programme_id == programme.id)
                )
            ],
            first_active={pair: at for pair, status, at in changes if status == "active"},
            closed_at={pair: at for pair, status, at in changes if status == "closed"},
            signatures=[
                tuple(row)  # type: ignore[misc]
                for row in session.execute(
                    select(
                        Agreement.pair_id,
                        AgreementSignature.version,
                        AgreementSignature.person_id,
                        AgreementSignature.signed_at,
                    )
                    .join(Agreement, Agreement.id == AgreementSignature.agreement_id)
                    .where(Agreement.pair_id.in_(approved_ids))
                )
            ],
            meetings=[
                (pair, held)
                for pair, held in session.execute(
                    select(Meeting.pair_id, Meeting.held_on).where(Meeting.pair_id.in_(approved_ids))
                )
            ],
            reached=[
                tuple(row)  # type: ignore[misc]
                for row in session.execute(
                    select(
                        MilestoneReached.pair_id, MilestoneReached.milestone, MilestoneReached.person_id
                    ).where(MilestoneReached.pair_id.in_(approved_ids))
                )
            ],
        )

    def approved(self) -> list[Pair]:
        return [p for p in self.pairs if p.status in APPROVED]

    def participants(self) -> set[int]:
        return {person for p in self.approved() for person in (p.mentee_id, p.mentor_id)}


# --- the figures ---------------------------------------------------------------------------


def _recruitment(data: _Rows) -> Recruitment:
    submitted = Counter(role for _, role, status, _ in data.applications if status == "submitted")
    approved = data.approved()
    return Recruitment(
        applications={role: submitted.get(role, 0) for role in ROLES},
        withdrawn=sum(1 for _, _, status, _ in data.applications if status == "withdrawn"),
        matched={
            "mentee": len({p.mentee_id for p in approved}),
            "mentor": len({p.mentor_id for p in approved}),
        },
        pairs={status: sum(1 for p in data.pairs if p.status == status) for status in PAIR_STATUSES},
    )


def _time_to_match(data: _Rows) -> Durations:
    applied = {(person, role): at for person, role, _, at in data.applications}
    days, unknown = [], 0
    for pair in data.approved():
        mentee, mentor = applied.get((pair.mentee_id, "mentee")), applied.get((pair.mentor_id, "mentor"))
        activated = data.first_active.get(pair.id)
        if mentee is None or mentor is None or activated is None:
            unknown += 1
            continue
        days.append(max((activated.date() - max(mentee, mentor).date()).days, 0))
    return Durations(tuple(sorted(days)), unknown)


def _time_to_agreement(data: _Rows) -> Durations:
    """Days from activation to the first version both members had signed (pairs not yet signed
    are left out: they have no such time yet)."""
    signed: dict[tuple[int, int], dict[int, dt.datetime]] = defaultdict(dict)
    for pair_id, version, person, at in data.signatures:
        signed[(pair_id, version)][person] = at
    both_signed: dict[int, dt.datetime] = {}
    members = {p.id: {p.mentee_id, p.mentor_id} for p in data.approved()}
    for (pair_id, _), by in signed.items():
        if members.get(pair_id, set()) <= set(by):
            at = max(by.values())
            both_signed[pair_id] = min(at, both_signed.get(pair_id, at))
    days, unknown = [], 0
    for pair_id, at in both_signed.items():
        activated = data.first_active.get(pair_id)
        if activated is None:
            unknown += 1
            continue
        days.append(max((at.date() - activated.date()).days, 0))
    return Durations(tuple(sorted(days)), unknown)


def _pair_end(programme: Programme, pair: Pair, closed_at: dt.datetime | None, today: dt.date) -> dt.date:
    ends = [today]
    if programme.ends_on is not None:
        ends.append(programme.ends_on)
    if pair.ends_on is not None:
        ends.append(pair.ends_on)
    if pair.status == "closed" and closed_at is not None:
        ends.append(closed_at.date())
    return min(ends)


def _cadence(session: Session, programme: Programme, data: _Rows, today: dt.date) -> Cadence:
    approved = data.approved()
    starts = work_starts(session, programme, approved)
    cadences = agreed_cadences(session, programme, APPROVED)
    held: dict[int, list[dt.date]] = defaultdict(list)
    for pair_id, day in data.meetings:
        held[pair_id].append(day)
    rhythms, too_early = [], 0
    windows: list[tuple[dt.date, dt.date, int]] = []
    counted: list[dt.date] = []
    for pair in approved:
        start = starts[pair.id]
        end = _pair_end(programme, pair, data.closed_at.get(pair.id), today)
        cadence = cadences[pair.id]
        days = (end - start).days
        if days < cadence:
            too_early += 1
            continue
        windows.append((start, end, cadence))
        met = [day for day in held[pair.id] if start <= day <= end]
        counted += met
        rhythms.append(PairRhythm(pair.id, len(met), days, cadence))
    return Cadence(tuple(rhythms), too_early, _monthly(counted, windows))


def _monthly(
    meetings: Sequence[dt.date], windows: Sequence[tuple[dt.date, dt.date, int]]
) -> tuple[MonthFigures, ...]:
    """Meetings held per calendar month, and the meetings the pairs' cadences asked for in it."""
    if not windows:
        return ()
    first = min(start for start, _, _ in windows).replace(day=1)
    last = max(end for _, end, _ in windows)
    held = Counter(f"{day:%Y-%m}" for day in meetings)
    out = []
    month = first
    while month <= last:
        days_in = calendar.monthrange(month.year, month.month)[1]
        after = month + dt.timedelta(days=days_in)
        expected = 0.0
        for start, end, cadence in windows:
            overlap = (min(end, after) - max(start, month)).days
            if overlap > 0:
                expected += overlap / cadence
        out.append(MonthFigures(f"{month:%Y-%m}", held.get(f"{month:%Y-%m}", 0), expected))
        month = after
    return tuple(out)


def _at_risk(session: Session, programme: Programme, data: _Rows, today: dt.date) -> AtRisk:
    day = min(today, programme.ends_on) if programme.ends_on else today
    active = sum(1 for p in data.pairs if p.status == "active")
    return AtRisk(day, active, tuple(nudges.plan(session, programme.slug, day)))


def _reversion(session: Session, programme: Programme) -> Reversion:
    found = reversion.counts(session, programme)
    return Reversion(len(found), sum(1 for c in found if c.flagged))


def _survey(session: Session, slug: str, kind: str) -> Survey:
    try:
        return Survey(kind, surveys.aggregate(session, slug, kind))
    except surveys.TooFewResponses as exc:
        return Survey(kind, None, str(exc))


def _skills(answers: Sequence[Survey]) -> Skills:
    by_kind = {survey.kind: survey for survey in answers}
    for kind in ("final", "midpoint"):
        figures = by_kind[kind].figures
        if figures and figures.get("skill_confidence"):
            rows = tuple(
                SkillConfidence(skill, v["responses"], v["before_mean"], v["after_mean"])
                for skill, v in figures["skill_confidence"].items()
            )
            return Skills(kind, rows)
    return Skills(None, ())


def _completion(programme: Programme, data: _Rows) -> Completion:
    approved = data.approved()
    by_milestone: dict[str, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    for pair_id, key, person in data.reached:
        if person is not None:
            by_milestone[key][pair_id].add(person)
    items = [m for m in programme.milestones or [] if isinstance(m, dict) and "key" in m]
    completing = [m["key"] for m in items if m.get("rule") == "completed"]
    completed: int | None = None
    if completing:
        done = set()
        for pair in approved:
            for key in completing:
                if {pair.mentee_id, pair.mentor_id} <= by_milestone[key].get(pair.id, set()):
                    done.add(pair.id)
        completed = len(done)
    keys = [m["key"] for m in items] + sorted(set(by_milestone) - {m["key"] for m in items})
    return Completion(
        approved_pairs=len(approved),
        closed_pairs=sum(1 for p in approved if p.status == "closed"),
        completed_pairs=completed,
        milestones=tuple(
            MilestoneCount(
                key,
                len(by_milestone[key]),
                sum(len(people) for people in by_milestone[key].values()),
            )
            for key in keys
        ),
    )


def _seniority(session: Session, programme: Programme) -> Seniority:
    organisation = dict(
        session.execute(
            select(Person.job_level, func.count(Person.id))
            .where(Person.status == "active", Person.job_level.is_not(None))
            .group_by(Person.job_level)
        ).all()
    )
    applied = Counter(
        session.scalars(
            select(Person.job_level)
            .join(Application, Application.person_id == Person.id)
            .where(
                Application.programme_id == programme.id,
                Application.role == "mentee",
                Application.status == "submitted",
            )
        )
    )
    matched = Counter(
        level
        for _, level in session.execute(
            select(Pair.mentee_id, Person.job_level)
            .join(Person, Person.id == Pair.mentee_id)
            .where(Pair.programme_id == programme.id, Pair.status.in_(APPROVED))
            .distinct()
        )
    )
    known = sorted(
        {*organisation, *(k for k in applied if k is not None), *(k for k in matched if k is not None)}
    )
    setting = (programme.settings or {}).get("executive_level")
    if setting is not None and (isinstance(setting, bool) or not isinstance(setting, int)):
        raise ProgrammeError(
            f"programme {programme.slug}: setting executive_level must be a whole job level, not {setting!r}"
        )
    executive = setting if setting is not None else (max(organisation) - 2 if organisation else None)
    return Seniority(
        executive,
        tuple(
            LevelCount(level, organisation.get(level, 0), applied.get(level, 0), matched.get(level, 0))
            for level in known
        ),
    )


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def retention(
    session: Session,
    programme: Programme,
    participants: set[int],
    today: dt.date,
    months: Sequence[int] = RETENTION_MONTHS,
) -> Retention:
    """Participants' and everyone else's retention ``months`` after the programme's start.

    Groups smaller than :data:`~rm_plugin.programme.surveys.MIN_GROUP` get no share.
    """
    floor = surveys.MIN_GROUP
    since = programme.starts_on
    if since is None:
        return Retention(None, (), 0, floor)
    employed: list[tuple[bool, dt.date | None]] = []  # (participant, left on)
    undated = 0
    for person_id, hired, left, status in session.execute(
        select(Person.id, Person.hire_date, Person.termination_date, Person.status)
    ):
        if left is None and status in ("left", "erased"):  # gone, but when is not on record
            undated += 1
            continue
        if (hired is not None and hired > since) or (left is not None and left <= since):
            continue
        employed.append((person_id in participants, left))
    horizons = []
    for horizon in months:
        on = add_months(since, horizon)
        ready = on <= today
        groups = []
        for name, member in (("participants", True), ("others", False)):
            lefts = [left for is_member, left in employed if is_member is member]
            stayed = sum(1 for left in lefts if left is None or left > on) if ready else None
            share = wilson(stayed, len(lefts)) if stayed is not None and len(lefts) >= floor else None
            groups.append(RetentionGroup(name, len(lefts), stayed, share))
        first, second = groups
        difference = newcombe(first.share, second.share) if first.share and second.share else None
        horizons.append(RetentionAt(horizon, on, ready, first, second, difference))
    return Retention(since, tuple(horizons), undated, floor)


def _fairness(session: Session, slug: str) -> Fairness:
    rows, flagged = [], Counter[str]()
    for row in audit_in(session, slug, min_group=surveys.MIN_GROUP):
        if row.dimension.startswith("opt-in:"):
            flagged[row.dimension.removeprefix("opt-in:")] += bool(row.flags)
            continue
        rows.append(
            FairnessRow(
                row.dimension, row.role, row.group, row.applied, row.proposed, row.approved, row.flags
            )
        )
    return Fairness(tuple(rows), dict(sorted(flagged.items())))
