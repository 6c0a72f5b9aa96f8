"""Milestones reached: the pair's state checked against the programme's list, and what every host records.

The definitions and their rules are in :mod:`rm_plugin.domain.milestones`; they are
re-exported here, so one name space both defines milestones and reaches them.

Reaching a milestone writes a :class:`MilestoneReached` row per person and one outbox row per
host action in the caller's transaction; ``rm_milestone_reached`` fires after commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rm_plugin.domain.milestones import (
    DEFAULT_AWARD,
    ORIENTATION,
    RULES,
    check_milestones,
    default_milestones,
    defaults_for_settings,
    fill_default_milestones,
)
from rm_plugin.enrolment.programmes import require_running
from rm_plugin.errors import ProgrammeError
from rm_plugin.outbox import enqueue, enrolment_key
from rm_plugin.programme import lookups
from rm_plugin.store.models import (
    Agreement,
    Meeting,
    MilestoneReached,
    Pair,
    Person,
    Programme,
    SurveyResponse,
)
from rm_plugin.unit_of_work import ProgrammeContext, UnitOfWork, fire_after_commit

__all__ = [
    "DEFAULT_AWARD",
    "ORIENTATION",
    "RULES",
    "check_milestones",
    "default_milestones",
    "defaults_for_settings",
    "evaluate",
    "fill_default_milestones",
    "outbox_rows",
    "reached_by",
    "report_for_person",
    "report_milestone",
]


@dataclass(frozen=True)
class _PairState:
    """What the rules read about one pair, fetched in a few queries per evaluation."""

    both: frozenset[int]
    signed: bool
    confirmed_meetings: int
    answered: Mapping[str, frozenset[int]]  # survey kind -> people who answered it

    @classmethod
    def load(cls, session: Session, pair: Pair) -> _PairState:
        signed = session.scalar(select(Agreement.signed_version).where(Agreement.pair_id == pair.id))
        confirmed = session.scalar(
            select(func.count(Meeting.id)).where(
                Meeting.pair_id == pair.id, Meeting.confirmed_at.is_not(None)
            )
        )
        answered: dict[str, set[int]] = {}
        for kind, person_id in session.execute(
            select(SurveyResponse.kind, SurveyResponse.person_id)
            .where(SurveyResponse.pair_id == pair.id, SurveyResponse.kind != "pulse")
            .distinct()
        ):
            answered.setdefault(kind, set()).add(person_id)
        return cls(
            both=frozenset({pair.mentee_id, pair.mentor_id}),
            signed=signed is not None,
            confirmed_meetings=confirmed or 0,
            answered={k: frozenset(v) for k, v in answered.items()},
        )

    def holds_for(self, item: Mapping[str, Any]) -> set[int]:
        """The people for whom ``item``'s rule holds now (its prerequisites aside)."""
        rule = item["rule"]
        if rule == "agreement_signed":
            return set(self.both) if self.signed else set()
        if rule == "meetings":
            return set(self.both) if self.confirmed_meetings >= item["count"] else set()
        if rule == "retrospective":
            return set(self.answered.get(item["kind"], frozenset()) & self.both)
        if rule == "completed":
            return set(self.both) if self.both <= self.answered.get("final", frozenset()) else set()
        return set()  # "reported": only report_milestone() reaches it


def _reached_map(session: Session, pair_id: int) -> dict[str, set[int]]:
    reached: dict[str, set[int]] = {}
    for key, person_id in session.execute(
        select(MilestoneReached.milestone, MilestoneReached.person_id).where(
            MilestoneReached.pair_id == pair_id
        )
    ):
        if person_id is not None:
            reached.setdefault(key, set()).add(person_id)
    return reached


def evaluate(session: Session, ctx: ProgrammeContext, pair: Pair, on: dt.date) -> list[str]:
    """Reach every milestone of ``pair`` whose rule now holds; returns the keys newly reached."""
    programme = session.get(Programme, pair.programme_id)
    assert programme is not None
    state = _PairState.load(session, pair)
    reached = _reached_map(session, pair.id)
    newly: list[str] = []
    for item in programme.milestones or []:
        if item["rule"] == "reported":
            continue
        people = state.holds_for(item)
        for need in item.get("requires", []):
            people &= reached.get(need, set())
        people -= reached.get(item["key"], set())
        if people:
            _reach(session, ctx, programme, pair, item, people, on)
            reached.setdefault(item["key"], set()).update(people)
            newly.append(item["key"])
    return newly


def report_milestone(
    session: Session, ctx: ProgrammeContext, pair_id: int, key: str, hr_id: str, on: dt.date
) -> bool:
    """Record a ``reported`` milestone (e.g. the LMS orientation course) for one member.

    Returns False when it was already reached. The pair's milestones are re-checked either
    way, so those that required it are reached now. ``rm-plugin milestone report`` calls this.
    """
    pair = lookups.pair(session, pair_id)
    who = lookups.member(session, pair, hr_id)
    programme = session.get(Programme, pair.programme_id)
    assert programme is not None
    item = next((m for m in programme.milestones or [] if m["key"] == key), None)
    if item is None or item["rule"] != "reported":
        reportable = [m["key"] for m in programme.milestones or [] if m["rule"] == "reported"]
        can = (
            f"milestones that can be reported: {', '.join(reportable)}"
            if reportable
            else "none of its milestones is reported (they are reached by what the pair does)"
        )
        raise ProgrammeError(f"programme {programme.slug} has no reported milestone {key!r}; {can}")
    fresh = who.id not in _reached_map(session, pair.id).get(key, set())
    if fresh:
        _reach(session, ctx, programme, pair, item, {who.id}, on)
    evaluate(session, ctx, pair, on)
    return fresh


def _reach(
    session: Session,
    ctx: ProgrammeContext,
    programme: Programme,
    pair: Pair,
    item: Mapping[str, Any],
    people: set[int],
    on: dt.date,
) -> None:
    hr_ids: list[str] = []
    for person_id in sorted(people):
        person = session.get(Person, person_id)
        assert person is not None
        hr_ids.append(person.hr_id)
        session.add(
            MilestoneReached(pair_id=pair.id, milestone=item["key"], person_id=person_id, reached_on=on)
        )
        for row in outbox_rows(programme, pair, item, person.hr_id, on, ctx.progress, ctx.takes):
            enqueue(session, **row)
    session.flush()
    if ctx.hook is not None:
        info = lookups.pair_info(session, pair)
        fire_after_commit(
            session, ctx.hook, "rm_milestone_reached",
            pair=info, milestone=item["key"], people=tuple(hr_ids), reached_on=on,
        )  # fmt: skip


def outbox_rows(
    programme: Programme,
    pair: Pair,
    item: Mapping[str, Any],
    hr_id: str,
    on: dt.date,
    progress: Sequence[str],
    takes: Mapping[str, Collection[str]] | None = None,
) -> list[dict[str, Any]]:
    """The outbox rows (``enqueue`` keyword arguments) one person reaching ``item`` writes.

    ``progress`` are the enabled progress connections ``"*"`` stands for, less those that
    ``takes`` says do not take the row's action (``ProgrammeContext.takes``); a connection a
    milestone names itself gets its row whatever it takes. The keys depend only
    on the milestone, pair, person and connection, so writing them again adds nothing. Every
    row follows the pair's enrolment on its connection; an award also follows the person's
    completions on that connection (the badge's criteria), whichever of them get queued.
    """
    rows = []
    for record in item.get("records", []):
        wanted = record.get("connection", "*")
        action = record["action"]
        if wanted == "*":
            targets = [c for c in progress if takes is None or c not in takes or action in takes[c]]
        else:
            targets = [wanted]
        for connection in targets:
            after = [enrolment_key(pair.id, connection)]
            if action == "award":
                payload = {
                    "programme": programme.slug,
                    "award": record["award"],
                    "person": hr_id,
                    "pair_id": pair.id,
                }
                after += completion_keys(programme, pair.id, hr_id, connection, progress)
            else:
                payload = {
                    "programme": programme.slug,
                    "milestone": item["key"],
                    "person": hr_id,
                    "pair_id": pair.id,
                    "reached_on": on.isoformat(),
                }
            rows.append(
                {
                    "key": row_key(action, programme.slug, item["key"], pair.id, hr_id, connection),
                    "connection": connection,
                    "action": action,
                    "payload": payload,
                    "after": after,
                }
            )
    return rows


def row_key(action: str, slug: str, milestone: str, pair_id: int, hr_id: str, connection: str) -> str:
    """The idempotency key of a milestone's row for one person on one connection."""
    return f"{action}:{slug}:{milestone}:{pair_id}:{hr_id}:{connection}"


def completion_keys(
    programme: Programme, pair_id: int, hr_id: str, connection: str, progress: Sequence[str]
) -> list[str]:
    """The keys of every completion row the programme's milestones may write for this person on
    ``connection``: what an award there waits for (rows never queued hold nothing back)."""
    keys = []
    for item in programme.milestones or []:
        for record in item.get("records", []):
            wanted = record.get("connection", "*")
            targets = progress if wanted == "*" else (wanted,)
            if record["action"] == "completion" and connection in targets:
                keys.append(row_key("completion", programme.slug, item["key"], pair_id, hr_id, connection))
    return keys


def reached_by(session: Session, pair_id: int) -> list[tuple[str, str, dt.date]]:
    """(milestone, HR id, date) for every milestone a pair reached, in order reached."""
    rows = session.execute(
        select(MilestoneReached.milestone, Person.hr_id, MilestoneReached.reached_on)
        .join(Person, Person.id == MilestoneReached.person_id)
        .where(MilestoneReached.pair_id == pair_id)
        .order_by(MilestoneReached.id)
    )
    return [(m, h, d) for m, h, d in rows]


@dataclass(frozen=True)
class Reported:
    """What reporting a milestone did: whether it was new, and what it let the pair reach too."""

    pair_id: int
    fresh: bool  # False: the person had reached it already
    also: tuple[tuple[str, str], ...]  # (milestone, HR id) reached because of it


def report_for_person(
    work: UnitOfWork, programme_slug: str, key: str, hr_id: str, on: dt.date | None = None
) -> Reported:
    """Report that ``hr_id`` reached the reported milestone ``key`` on ``on`` (default: today).

    A date after today is refused; the person's active pair in the programme is re-checked,
    so milestones that required this one are reached at once.
    """
    session, today = work.session, work.today
    day = on or today
    if day > today:
        raise ProgrammeError(f"--on {day} is in the future (today is {today}); report it once it happened")
    require_running(lookups.programme(session, programme_slug), day, "reach milestones")
    pair_id = lookups.acting_pair(session, hr_id, None, programme_slug)
    before = set(reached_by(session, pair_id))
    fresh = report_milestone(session, work.ctx, pair_id, key, hr_id, day)
    newly = [row for row in reached_by(session, pair_id) if row not in before]
    return Reported(pair_id, fresh, tuple((reached, who) for reached, who, _ in newly if reached != key))
