"""What a participant sees of their own programmes: who they are, where they stand in each
programme and what to do next, their pair and why it was made, their milestones and badges.

Every function takes the acting person's HR id and answers only about them: a pair they are
not in raises :class:`~rm_plugin.errors.NotPermitted`. The portal's pages call these, as the
command line calls the services beside them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import or_, select

from rm_plugin.errors import NotPermitted, ProgrammeError
from rm_plugin.matching.review import reviewer_breakdown, reviewer_score
from rm_plugin.programme import lookups
from rm_plugin.programme.agreement_body import goal_skills
from rm_plugin.programme.agreements import get_agreement, is_active, matched_skills, signatures, version_body
from rm_plugin.programme.meetings import meetings_for_member
from rm_plugin.store.models import (
    Agreement,
    Application,
    Invitation,
    Meeting,
    MilestoneReached,
    OutboxItem,
    Pair,
    Person,
    Programme,
    StoredReceipt,
    SurveyResponse,
)
from rm_plugin.unit_of_work import UnitOfWork

#: Pair statuses a member may open the pages of (a proposal is not theirs to read until approved).
OPEN_PAIR = ("active", "closed")


@dataclass(frozen=True)
class Participant:
    """The signed-in person: enough to greet them and to act as them."""

    person_id: int
    hr_id: str
    name: str
    time_zone: str  # IANA name, "" when the HR record has none


def signed_in(work: UnitOfWork, person_id: int) -> Participant | None:
    """The person a portal session stands for, or None when they are gone or have left."""
    person = work.session.get(Person, person_id)
    if person is None or person.status != "active":
        return None
    return Participant(person.id, person.hr_id, person.display_name, person.time_zone or "")


# --- home ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """One programme as the person stands in it, and the next thing for them to do.

    ``stage``: invited | open (may apply) | applied | proposed | active | closed | withdrawn.
    ``next_step``: apply | accept_invitation | wait_for_match | wait_for_review | sign_agreement |
    wait_for_partner_signature | confirm_meeting | answer_pulse | log_meeting | midpoint |
    final | done | none.
    """

    slug: str
    name: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    stage: str
    role: str | None  # mentor | mentee
    pair_id: int | None = None
    next_step: str = "none"
    meeting_id: int | None = None  # the meeting the next step is about


@dataclass(frozen=True)
class Home:
    programmes: list[Standing] = field(default_factory=list)
    administers: list[str] = field(default_factory=list)  # names of programmes the person runs


def home(work: UnitOfWork, hr_id: str) -> Home:
    """Every programme the person applied to, was invited to, or may apply to, newest first."""
    session = work.session
    me = lookups.person(session, hr_id)
    programmes = session.scalars(
        select(Programme).where(Programme.status != "draft").order_by(Programme.id.desc())
    ).all()
    applied = {
        a.programme_id: a
        for a in session.scalars(
            select(Application)
            .where(Application.person_id == me.id)
            .order_by(Application.submitted_at)  # the latest role wins
        )
    }
    invited = set(session.scalars(select(Invitation.programme_id).where(Invitation.person_id == me.id)))
    pairs: dict[int, list[Pair]] = {}
    for pair in session.scalars(
        select(Pair).where(or_(Pair.mentee_id == me.id, Pair.mentor_id == me.id)).order_by(Pair.id)
    ):
        pairs.setdefault(pair.programme_id, []).append(pair)
    lines = []
    for programme in programmes:
        line = _standing(work, me, programme, applied.get(programme.id), programme.id in invited, pairs)
        if line is not None:
            lines.append(line)
    administers = [p.name for p in programmes if p.admin_hr_id == me.hr_id]
    return Home(lines, sorted(administers))


def _standing(
    work: UnitOfWork,
    me: Person,
    programme: Programme,
    application: Application | None,
    invited: bool,
    pairs: dict[int, list[Pair]],
) -> Standing | None:
    base = {
        "slug": programme.slug,
        "name": programme.name,
        "starts_on": programme.starts_on,
        "ends_on": programme.ends_on,
    }
    mine = pairs.get(programme.id, [])
    for status in ("active", "closed", "proposed"):
        pair = next((p for p in mine if p.status == status), None)
        if pair is not None:
            role = "mentee" if pair.mentee_id == me.id else "mentor"
            if status == "active":
                step, meeting_id = _next_in_pair(work, me, pair)
                return Standing(**base, stage="active", role=role, pair_id=pair.id, next_step=step,
                                meeting_id=meeting_id)  # fmt: skip
            if status == "closed":
                return Standing(**base, stage="closed", role=role, pair_id=pair.id, next_step="done")
            return Standing(**base, stage="proposed", role=role, next_step="wait_for_review")
    taking = programme.status == "open"
    if application is not None:
        if application.status == "withdrawn":
            return Standing(**base, stage="withdrawn", role=application.role,
                            next_step="apply" if taking else "none")  # fmt: skip
        return Standing(**base, stage="applied", role=application.role, next_step="wait_for_match")
    if not taking:
        return None  # nothing to show for a programme the person never joined
    if invited:
        return Standing(**base, stage="invited", role=None, next_step="accept_invitation")
    if programme.enrolment == "open":
        return Standing(**base, stage="open", role=None, next_step="apply")
    return None


def _next_in_pair(work: UnitOfWork, me: Person, pair: Pair) -> tuple[str, int | None]:
    """What the person should do next in an active pair."""
    session = work.session
    agreement = session.scalar(select(Agreement).where(Agreement.pair_id == pair.id))
    if agreement is None or not is_active(agreement):
        if agreement is not None and me.id in signatures(session, agreement, agreement.current_version):
            return "wait_for_partner_signature", None
        return "sign_agreement", None
    unconfirmed = session.scalar(
        select(Meeting.id)
        .where(Meeting.pair_id == pair.id, Meeting.confirmed_at.is_(None), Meeting.logged_by_id != me.id)
        .order_by(Meeting.held_on)
        .limit(1)
    )
    if unconfirmed is not None:
        return "confirm_meeting", unconfirmed
    owed = _pulse_owed(work, me.id, pair.id)
    if owed:
        return "answer_pulse", owed[0]
    answered = set(
        session.scalars(
            select(SurveyResponse.kind).where(
                SurveyResponse.pair_id == pair.id,
                SurveyResponse.person_id == me.id,
                SurveyResponse.kind != "pulse",
            )
        )
    )
    due = retrospectives_due(work, pair)
    for kind in ("midpoint", "final"):
        if kind in due and kind not in answered:
            return kind, None
    return "log_meeting", None


def _pulse_owed(work: UnitOfWork, person_id: int, pair_id: int) -> list[int]:
    """Confirmed meetings of the pair the person has not answered the pulse for, oldest first."""
    answered = select(SurveyResponse.meeting_id).where(
        SurveyResponse.person_id == person_id,
        SurveyResponse.kind == "pulse",
        SurveyResponse.meeting_id.is_not(None),
    )
    return list(
        work.session.scalars(
            select(Meeting.id)
            .where(
                Meeting.pair_id == pair_id,
                Meeting.confirmed_at.is_not(None),
                Meeting.id.not_in(answered),
            )
            .order_by(Meeting.held_on)
        )
    )


def retrospectives_due(work: UnitOfWork, pair: Pair) -> set[str]:
    """``midpoint`` once half the pair's time has passed, ``final`` in its last sixth (by the
    programme's dates; without them, both are open once the agreement is signed)."""
    programme = work.session.get(Programme, pair.programme_id)
    assert programme is not None
    start, end = programme.starts_on, pair.ends_on or programme.ends_on
    if start is None or end is None or end <= start:
        return {"midpoint", "final"}
    length = (end - start).days
    passed = (work.today - start).days
    due = set()
    if passed * 2 >= length:
        due.add("midpoint")
    if passed * 6 >= length * 5:
        due.add("final")
    return due


def administered_by(work: UnitOfWork, hr_id: str) -> list[str]:
    """The names of the programmes ``hr_id`` is the admin of."""
    return list(
        work.session.scalars(
            select(Programme.name).where(Programme.admin_hr_id == hr_id).order_by(Programme.name)
        )
    )


# --- my pair and why -------------------------------------------------------------------------


@dataclass(frozen=True)
class Partner:
    name: str
    title: str
    department: str
    email: str


@dataclass(frozen=True)
class PairWhy:
    """A pair as its member reads it: the partner, the reviewer-visible score terms and the
    skills matched. Never a term computed from opt-in demographic data."""

    pair_id: int
    programme_slug: str
    programme_name: str
    status: str
    my_role: str  # mentor | mentee
    partner: Partner
    owner: str  # the senior mentee, who owns the relationship
    score: float
    terms: list[tuple[str, float, float, float]]  # (term, value 0-1, weight, points)
    matched_skills: list[str]
    rules_passed: list[str]


def member_pair(work: UnitOfWork, hr_id: str, pair_id: int) -> Pair:
    """The pair ``pair_id`` if ``hr_id`` is in it and it was approved; NotPermitted otherwise."""
    pair = lookups.pair(work.session, pair_id)
    lookups.member(work.session, pair, hr_id)
    if pair.status not in OPEN_PAIR:
        raise NotPermitted(f"pair {pair_id} is {pair.status}; its pages open once reviewers approve it")
    return pair


def pair_and_why(work: UnitOfWork, hr_id: str, pair_id: int) -> PairWhy:
    session = work.session
    pair = member_pair(work, hr_id, pair_id)
    programme = session.get(Programme, pair.programme_id)
    mentee, mentor = session.get(Person, pair.mentee_id), session.get(Person, pair.mentor_id)
    assert programme is not None and mentee is not None and mentor is not None
    me_mentee = mentee.hr_id == hr_id
    other = mentor if me_mentee else mentee
    visible = reviewer_breakdown(pair.breakdown or {})
    terms = sorted(
        (
            (term, float(parts.get("value", 0.0)), float(parts.get("weight", 0.0)),
             float(parts.get("points", 0.0)))
            for term, parts in visible.items()
        ),
        key=lambda t: (-t[3], t[0]),
    )  # fmt: skip
    return PairWhy(
        pair_id=pair.id,
        programme_slug=programme.slug,
        programme_name=programme.name,
        status=pair.status,
        my_role="mentee" if me_mentee else "mentor",
        partner=Partner(other.display_name, other.title, other.department, other.email),
        owner=mentee.display_name,
        score=reviewer_score(pair.breakdown or {}),
        terms=terms,
        matched_skills=matched_skills(session, pair),
        rules_passed=list(pair.rules_passed or []),
    )


# --- milestones and badges -------------------------------------------------------------------


@dataclass(frozen=True)
class MilestoneLine:
    key: str
    reached_on: dt.date | None  # None: not reached yet


@dataclass(frozen=True)
class Badge:
    award: str  # the award's configured name
    name: str  # the badge's name on the host, when the host told us
    link: str  # where the badge can be seen on the host ("" until the host issued it)
    status: str  # issued | pending | failed


@dataclass(frozen=True)
class Progress:
    pair_id: int
    milestones: list[MilestoneLine]
    badges: list[Badge]

    @property
    def reached(self) -> int:
        return sum(1 for m in self.milestones if m.reached_on is not None)


def my_progress(work: UnitOfWork, hr_id: str, pair_id: int) -> Progress:
    """The programme's milestones with the date the person reached each, and the host badges
    awarded to them in this pair (with a link once the host issued them)."""
    session = work.session
    pair = member_pair(work, hr_id, pair_id)
    me = lookups.person(session, hr_id)
    programme = session.get(Programme, pair.programme_id)
    assert programme is not None
    reached = dict(
        session.execute(
            select(MilestoneReached.milestone, MilestoneReached.reached_on).where(
                MilestoneReached.pair_id == pair.id, MilestoneReached.person_id == me.id
            )
        ).all()
    )
    milestones = [MilestoneLine(m["key"], reached.get(m["key"])) for m in programme.milestones or []]
    return Progress(pair.id, milestones, _badges(work, programme.slug, pair.id, hr_id))


def _badges(work: UnitOfWork, slug: str, pair_id: int, hr_id: str) -> list[Badge]:
    rows = work.session.execute(
        select(OutboxItem, StoredReceipt)
        .outerjoin(
            StoredReceipt,
            (StoredReceipt.key == OutboxItem.key) & (StoredReceipt.connection == OutboxItem.connection),
        )
        .where(OutboxItem.action == "award", OutboxItem.key.like(f"award:{slug}:%:{pair_id}:%"))
        .order_by(OutboxItem.id)
    ).all()
    badges = []
    for item, receipt in rows:
        if (item.payload or {}).get("person") != hr_id:
            continue
        data = receipt.data if receipt is not None else {}
        status = {"done": "issued", "parked": "failed"}.get(item.status, "pending")
        badges.append(
            Badge(
                award=str(item.payload.get("award", "")),
                name=str(data.get("badge") or ""),
                link=_badge_link(receipt),
                status=status,
            )
        )
    return badges


def _badge_link(receipt: StoredReceipt | None) -> str:
    """The page a person sees their badge on: the host's ``page`` when its receipt names one
    (Moodle's receipt is its JSON assertion, which is for verifiers), else the receipt itself."""
    if receipt is None:
        return ""
    page = str((receipt.data or {}).get("page") or "")
    return next((link for link in (page, receipt.host_ref) if _is_web_link(link)), "")


def _is_web_link(value: str) -> bool:
    return value.startswith(("https://", "http://"))


# --- meetings and surveys as the member sees them ---------------------------------------------


@dataclass(frozen=True)
class MeetingLine:
    meeting_id: int
    held_on: dt.date
    minutes: int
    mode: str
    topics: tuple[str, ...]
    logged_by_me: bool
    confirmed: bool
    private_note: str
    may_confirm: bool
    pulse_owed: bool


@dataclass(frozen=True)
class MeetingsPage:
    pair_id: int
    agreement_signed: bool
    meetings: list[MeetingLine]
    retrospectives_due: list[str]  # kinds open to the person now and not answered yet
    retrospectives_done: list[str]


def meetings_page(work: UnitOfWork, hr_id: str, pair_id: int) -> MeetingsPage:
    """The pair's meetings with their private notes (members only), what the person may confirm,
    which pulses they owe, and which retrospectives are open to them."""
    session = work.session
    pair = member_pair(work, hr_id, pair_id)
    me = lookups.person(session, hr_id)
    owed = set(_pulse_owed(work, me.id, pair.id))
    lines = [
        MeetingLine(
            meeting_id=row.meeting.id,
            held_on=row.meeting.held_on,
            minutes=row.meeting.minutes,
            mode=row.meeting.mode,
            topics=row.meeting.topics,
            logged_by_me=row.logged_by == hr_id,
            confirmed=row.meeting.confirmed,
            private_note=row.private_note,
            may_confirm=not row.meeting.confirmed and row.logged_by != hr_id and pair.status == "active",
            pulse_owed=row.meeting.id in owed,
        )
        for row in meetings_for_member(session, pair.id, hr_id)
    ]
    agreement = session.scalar(select(Agreement).where(Agreement.pair_id == pair.id))
    done = sorted(
        set(
            session.scalars(
                select(SurveyResponse.kind).where(
                    SurveyResponse.pair_id == pair.id,
                    SurveyResponse.person_id == me.id,
                    SurveyResponse.kind != "pulse",
                )
            )
        )
    )
    due = [k for k in ("midpoint", "final") if k in retrospectives_due(work, pair) and k not in done]
    signed = agreement is not None and agreement.signed_version is not None
    return MeetingsPage(pair.id, signed, list(reversed(lines)), due if signed else [], done)


@dataclass(frozen=True)
class PulseQuestion:
    pair_id: int
    meeting_id: int
    held_on: dt.date
    answered: bool


def pulse_question(work: UnitOfWork, hr_id: str, pair_id: int, meeting_id: int) -> PulseQuestion:
    """The pulse survey about one confirmed meeting of the person's pair."""
    pair = member_pair(work, hr_id, pair_id)
    meeting = work.session.get(Meeting, meeting_id)
    if meeting is None or meeting.pair_id != pair.id:
        raise NotPermitted(f"meeting {meeting_id} is not a meeting of pair {pair_id}")
    if meeting.confirmed_at is None:
        raise ProgrammeError(
            f"meeting {meeting_id} is not confirmed yet; the pulse follows a confirmed meeting"
        )
    me = lookups.person(work.session, hr_id)
    return PulseQuestion(
        pair.id, meeting.id, meeting.held_on, meeting.id not in _pulse_owed(work, me.id, pair.id)
    )


@dataclass(frozen=True)
class RetrospectiveQuestions:
    pair_id: int
    kind: str
    skills: list[str]  # the agreement's goal skills, each rated before/after
    answered: bool


def retrospective_questions(work: UnitOfWork, hr_id: str, pair_id: int, kind: str) -> RetrospectiveQuestions:
    """What the ``midpoint`` or ``final`` retrospective asks the person."""
    if kind not in ("midpoint", "final"):
        raise ProgrammeError(f"a retrospective is midpoint or final, not {kind!r}")
    pair = member_pair(work, hr_id, pair_id)
    me = lookups.person(work.session, hr_id)
    skills = goal_skills(version_body(work.session, get_agreement(work.session, pair.id)))
    answered = work.session.scalar(
        select(SurveyResponse.id).where(
            SurveyResponse.pair_id == pair.id, SurveyResponse.person_id == me.id, SurveyResponse.kind == kind
        )
    )
    return RetrospectiveQuestions(pair.id, kind, skills, answered is not None)
