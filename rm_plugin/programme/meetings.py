"""Meetings: logged by one member of a pair, confirmed by the other.

A meeting's private note is confidential to the pair: it is stored, shown back only to a
member of the pair (:func:`meeting_for_member`), and never put in a hook argument, an
outbox payload, an export, a log line or an admin view.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rm_plugin.domain.records import MeetingInfo
from rm_plugin.enrolment.programmes import require_running
from rm_plugin.errors import NotFound, ProgrammeError
from rm_plugin.programme import lookups, milestones
from rm_plugin.programme.pair_dates import work_start
from rm_plugin.store import audit
from rm_plugin.store.models import Agreement, AgreementVersion, Meeting, Pair, Person, Programme
from rm_plugin.store.types import utcnow
from rm_plugin.unit_of_work import ProgrammeContext, UnitOfWork, fire_after_commit

MODES = ("in_person", "video", "phone", "chat")
MAX_MINUTES = 480


def info(meeting: Meeting) -> MeetingInfo:
    """The meeting as hooks and admins see it: no note."""
    return MeetingInfo(
        id=meeting.id,
        pair_id=meeting.pair_id,
        held_on=meeting.held_on,
        minutes=meeting.minutes,
        mode=meeting.mode,
        topics=tuple(meeting.topics or ()),
        confirmed=meeting.confirmed_at is not None,
    )


def log_meeting(
    session: Session,
    ctx: ProgrammeContext,
    pair_id: int,
    by_hr_id: str,
    *,
    held_on: dt.date,
    minutes: int,
    mode: str,
    topics: Sequence[str] = (),
    private_note: str = "",
    today: dt.date,
) -> Meeting:
    """Log a meeting a member of the pair held; the other member confirms it."""
    pair = lookups.active_pair(session, pair_id)
    author = lookups.member(session, pair, by_hr_id)
    agreement = session.scalar(select(Agreement).where(Agreement.pair_id == pair.id))
    if agreement is None or agreement.signed_version is None:
        raise ProgrammeError(
            f"pair {pair.id} has no signed agreement yet: an agreement comes before the work, so "
            "both members sign the agreement first (rm-plugin agreement sign --as HR_ID), then log meetings"
        )
    if held_on > today:
        raise ProgrammeError(
            f"meeting date {held_on} is in the future (today is {today}); log it once it happened"
        )
    programme = session.get(Programme, pair.programme_id)
    assert programme is not None
    require_running(programme, held_on, "log meetings")
    starts_on = pair_start(session, pair)
    if starts_on is not None and held_on < starts_on:
        raise ProgrammeError(
            f"meeting date {held_on} is before pair {pair.id} started on {starts_on}; check the date"
        )
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
        raise ProgrammeError(f"meeting length must be a positive number of minutes, not {minutes!r}")
    if minutes > MAX_MINUTES:
        raise ProgrammeError(f"meeting length {minutes} minutes is more than {MAX_MINUTES}; check the number")
    if mode not in MODES:
        raise ProgrammeError(f"meeting mode must be one of {list(MODES)}, not {mode!r}")
    clean_topics = [t.strip() for t in topics if t.strip()]
    _refuse_duplicate(session, pair.id, held_on)
    meeting = Meeting(
        pair_id=pair.id,
        held_on=held_on,
        minutes=minutes,
        mode=mode,
        topics=clean_topics,
        private_note=private_note,
        logged_by_id=author.id,
    )
    if not _insert(session, meeting):
        # The other member logged the same day between the check and the insert.
        _refuse_duplicate(session, pair.id, held_on)
        raise ProgrammeError(
            f"the database refused meeting of pair {pair.id} on {held_on}; nothing was saved, try again"
        )
    audit.record(session, by_hr_id, "meeting.logged", "meeting", meeting.id, pair_id=pair.id)
    _announce(session, ctx, meeting)
    return meeting


def pair_start(session: Session, pair: Pair) -> dt.date | None:
    """When the pair's work began: the agreement's start date, else :func:`pair_dates.work_start`."""
    agreement = session.scalar(select(Agreement).where(Agreement.pair_id == pair.id))
    if agreement is not None:
        body = session.scalar(
            select(AgreementVersion.body).where(
                AgreementVersion.agreement_id == agreement.id,
                AgreementVersion.version == (agreement.signed_version or agreement.current_version),
            )
        )
        if body and body.get("starts_on"):
            return dt.date.fromisoformat(body["starts_on"])
    return work_start(session, pair)


def _refuse_duplicate(session: Session, pair_id: int, held_on: dt.date) -> None:
    duplicate = session.scalar(
        select(Meeting.id).where(Meeting.pair_id == pair_id, Meeting.held_on == held_on)
    )
    if duplicate is not None:
        raise ProgrammeError(f"pair {pair_id} already logged a meeting on {held_on} (meeting {duplicate})")


def _insert(session: Session, meeting: Meeting) -> bool:
    """Insert in a savepoint; False when the (pair, day) unique key refuses it.

    The database error is dropped here, not chained: its text carries the row's values,
    private note included, and must reach no traceback or log. The savepoint keeps the
    caller's transaction usable.
    """
    try:
        with session.begin_nested():
            session.add(meeting)
            session.flush()
    except IntegrityError:
        return False
    return True


def confirm_meeting(
    session: Session, ctx: ProgrammeContext, meeting_id: int, by_hr_id: str, today: dt.date
) -> Meeting:
    """The other member confirms a logged meeting; milestones that count meetings are checked."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(f"no meeting {meeting_id}")
    pair = lookups.active_pair(session, meeting.pair_id)
    confirmer = lookups.member(session, pair, by_hr_id)
    if confirmer.id == meeting.logged_by_id:
        raise ProgrammeError(
            f"{by_hr_id} logged meeting {meeting_id}; the other member of the pair confirms it"
        )
    if meeting.confirmed_at is not None:
        raise ProgrammeError(f"meeting {meeting_id} is already confirmed")
    meeting.confirmed_by_id = confirmer.id
    meeting.confirmed_at = utcnow()
    session.flush()
    audit.record(session, by_hr_id, "meeting.confirmed", "meeting", meeting.id, pair_id=pair.id)
    milestones.evaluate(session, ctx, pair, today)
    _announce(session, ctx, meeting)
    return meeting


def _announce(session: Session, ctx: ProgrammeContext, meeting: Meeting) -> None:
    if ctx.hook is None:
        return
    pair_info = lookups.pair_info(session, lookups.pair(session, meeting.pair_id))
    fire_after_commit(session, ctx.hook, "rm_meeting_logged", pair=pair_info, meeting=info(meeting))


@dataclass(frozen=True)
class MemberMeeting:
    """A meeting as a member of its pair sees it, note included."""

    meeting: MeetingInfo
    logged_by: str
    private_note: str


def meetings_for_member(session: Session, pair_id: int, hr_id: str) -> list[MemberMeeting]:
    """Every meeting of a pair with its notes, for a member of that pair only."""
    pair = lookups.pair(session, pair_id)
    lookups.member(session, pair, hr_id)
    rows = session.scalars(select(Meeting).where(Meeting.pair_id == pair.id).order_by(Meeting.held_on))
    out = []
    for m in rows:
        author = session.get(Person, m.logged_by_id)
        out.append(MemberMeeting(info(m), author.hr_id if author else "", m.private_note))
    return out


def meetings_for_admin(session: Session, pair_id: int) -> list[MeetingInfo]:
    """What admins see of a pair's meetings: dates, lengths, modes, topics; never notes."""
    lookups.pair(session, pair_id)
    return [
        info(m)
        for m in session.scalars(select(Meeting).where(Meeting.pair_id == pair_id).order_by(Meeting.held_on))
    ]


# --- what the doors call ---------------------------------------------------------------


@dataclass(frozen=True)
class Logged:
    pair_id: int
    meeting_id: int


def log_as_member(
    work: UnitOfWork,
    hr_id: str,
    *,
    held_on: dt.date,
    minutes: int,
    mode: str,
    topics: Sequence[str] = (),
    private_note: str = "",
    pair_id: int | None = None,
    programme_slug: str | None = None,
) -> Logged:
    """A member logs a meeting of their pair (found from them unless ``pair_id`` is given)."""
    pair_id = lookups.acting_pair(work.session, hr_id, pair_id, programme_slug)
    logged = log_meeting(
        work.session, work.ctx, pair_id, hr_id, held_on=held_on, minutes=minutes, mode=mode,
        topics=topics, private_note=private_note, today=work.today,
    )  # fmt: skip
    return Logged(pair_id, logged.id)


def confirm_as_member(work: UnitOfWork, hr_id: str, meeting_id: int) -> Meeting:
    """The other member of the pair confirms a meeting."""
    return confirm_meeting(work.session, work.ctx, meeting_id, hr_id, work.today)


@dataclass(frozen=True)
class MemberMeetings:
    pair_id: int
    meetings: list[MemberMeeting]


def list_for_member(
    work: UnitOfWork, hr_id: str, *, pair_id: int | None = None, programme_slug: str | None = None
) -> MemberMeetings:
    """A member's view of their pair's meetings, private notes included."""
    pair_id = lookups.acting_pair(work.session, hr_id, pair_id, programme_slug)
    return MemberMeetings(pair_id, meetings_for_member(work.session, pair_id, hr_id))
