"""Milestones: what a pair reaches, the rule that reaches it, and what every host records.

A programme's ``milestones`` is a list of definitions, checked in order::

    {"key": "first_meeting", "rule": "meetings", "count": 1,
     "records": [{"connection": "*", "action": "completion"}],
     "requires": ["orientation_completed"]}            # optional prerequisites

Rules: ``agreement_signed`` (both signed a version), ``meetings`` (``count`` confirmed
meetings), ``retrospective`` (the person submitted the ``kind`` retrospective: per person),
``completed`` (both submitted the final retrospective) and ``reported`` (reached only when a
host or admin reports it, e.g. an LMS orientation course). ``records`` say what each host
records: ``action`` ``completion`` or ``award`` (with ``award``, the configured badge name)
for ``connection`` ``"*"`` (every enabled progress connection) or one named connection.

Reaching a milestone writes a :class:`MilestoneReached` row per person and one outbox row per
host action in the caller's transaction; ``rm_milestone_reached`` fires after commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rm_plugin.errors import ProgrammeError
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
from rm_plugin.sync.outbox import enqueue
from rm_plugin.unit_of_work import ProgrammeContext, fire_after_commit

RULES = frozenset({"agreement_signed", "meetings", "retrospective", "completed", "reported"})
RECORD_ACTIONS = frozenset({"completion", "award"})
ORIENTATION = "orientation_completed"
DEFAULT_AWARD = "reverse-mentoring"


def default_milestones(
    *, meetings: int = 6, orientation: bool = False, award: str = DEFAULT_AWARD
) -> list[dict[str, Any]]:
    """The issue's defaults; with ``orientation`` the LMS course is a prerequisite of completion."""
    everywhere = [{"connection": "*", "action": "completion"}]
    milestones: list[dict[str, Any]] = []
    if orientation:
        milestones.append({"key": ORIENTATION, "rule": "reported", "records": []})
    milestones += [
        {"key": "agreement_signed", "rule": "agreement_signed", "records": everywhere},
        {"key": "first_meeting", "rule": "meetings", "count": 1, "records": everywhere},
        {"key": f"meetings_{meetings}", "rule": "meetings", "count": meetings, "records": everywhere},
        {"key": "midpoint_retrospective", "rule": "retrospective", "kind": "midpoint", "records": everywhere},
        {"key": "final_retrospective", "rule": "retrospective", "kind": "final", "records": everywhere},
        {
            "key": "programme_completed",
            "rule": "completed",
            "requires": ["agreement_signed", "first_meeting"] + ([ORIENTATION] if orientation else []),
            "records": [*everywhere, {"connection": "*", "action": "award", "award": award}],
        },
    ]
    return milestones


def fill_default_milestones(programme: Programme) -> bool:
    """Give a programme without milestones the defaults (settings ``milestone_meetings``,
    ``orientation_course``, ``award`` tune them); returns True if it changed anything."""
    if programme.milestones:
        return False
    programme.milestones = defaults_for_settings(programme.settings or {})
    return True


def defaults_for_settings(settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The default milestones as a programme's ``settings`` tune them."""
    return default_milestones(
        meetings=int(settings.get("milestone_meetings", 6)),
        orientation=bool(settings.get("orientation_course")),
        award=str(settings.get("award", DEFAULT_AWARD)),
    )


ITEM_FIELDS = frozenset({"key", "rule", "count", "kind", "records", "requires"})
RECORD_FIELDS = frozenset({"connection", "action", "award"})


def check_milestones(definitions: Any) -> list[str]:
    """Every problem in a milestone list, each naming the entry and key; empty when valid."""
    if not isinstance(definitions, Sequence) or isinstance(definitions, str):
        return ["milestones must be a list of milestone entries"]
    problems: list[str] = []
    seen: set[str] = set()
    for i, item in enumerate(definitions):
        where = f"milestones[{i}]"
        if not isinstance(item, Mapping):
            problems.append(f"{where}: must be a table/object with 'key' and 'rule'")
            continue
        key = item.get("key")
        if not isinstance(key, str) or not key:
            problems.append(f"{where}: 'key' must be a non-empty string")
            continue
        where = f"milestones[{i}] ({key})"
        unknown = sorted(set(item) - ITEM_FIELDS)
        if unknown:
            problems.append(f"{where}: unknown field(s) {unknown}; use {sorted(ITEM_FIELDS)}")
        if key in seen:
            problems.append(f"{where}: key {key!r} is used twice")
        rule = item.get("rule")
        if rule not in RULES:
            problems.append(f"{where}: rule {rule!r} is not one of {sorted(RULES)}")
        count = item.get("count")
        if rule == "meetings" and not (isinstance(count, int) and not isinstance(count, bool) and count >= 1):
            problems.append(f"{where}: rule 'meetings' needs a 'count' of at least 1")
        if rule == "retrospective" and item.get("kind") not in ("midpoint", "final"):
            problems.append(f"{where}: rule 'retrospective' needs 'kind' midpoint or final")
        requires = item.get("requires", [])
        if not isinstance(requires, list):
            problems.append(f"{where}: 'requires' must be a list of earlier milestone keys")
            requires = []
        for need in requires:
            if need not in seen:
                problems.append(f"{where}: requires {need!r}, which is not an earlier milestone")
        records = item.get("records", [])
        if not isinstance(records, list):
            problems.append(f"{where}: 'records' must be a list")
            records = []
        for j, record in enumerate(records):
            if not isinstance(record, Mapping):
                problems.append(f"{where}: records[{j}] must be a table/object with 'action'")
                continue
            extra = sorted(set(record) - RECORD_FIELDS)
            if extra:
                problems.append(
                    f"{where}: records[{j}] unknown field(s) {extra}; use {sorted(RECORD_FIELDS)}"
                )
            if record.get("action") not in RECORD_ACTIONS:
                problems.append(f"{where}: records[{j}] action must be one of {sorted(RECORD_ACTIONS)}")
            if record.get("action") == "award" and not record.get("award"):
                problems.append(f"{where}: records[{j}] is an award without an 'award' name")
            if not isinstance(record.get("connection", "*"), str):
                problems.append(f"{where}: records[{j}] connection must be a name or '*'")
        seen.add(key)
    return problems


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
        for row in outbox_rows(programme, pair, item, person.hr_id, on, ctx.progress):
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
) -> list[dict[str, Any]]:
    """The outbox rows (``enqueue`` keyword arguments) one person reaching ``item`` writes.

    ``progress`` are the enabled progress connections ``"*"`` stands for. The keys depend only
    on the milestone, pair, person and connection, so writing them again adds nothing.
    """
    rows = []
    for record in item.get("records", []):
        wanted = record.get("connection", "*")
        for connection in progress if wanted == "*" else (wanted,):
            action = record["action"]
            if action == "award":
                payload = {
                    "programme": programme.slug,
                    "award": record["award"],
                    "person": hr_id,
                    "pair_id": pair.id,
                }
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
                    "key": f"{action}:{programme.slug}:{item['key']}:{pair.id}:{hr_id}:{connection}",
                    "connection": connection,
                    "action": action,
                    "payload": payload,
                }
            )
    return rows


def reached_by(session: Session, pair_id: int) -> list[tuple[str, str, dt.date]]:
    """(milestone, HR id, date) for every milestone a pair reached, in order reached."""
    rows = session.execute(
        select(MilestoneReached.milestone, Person.hr_id, MilestoneReached.reached_on)
        .join(Person, Person.id == MilestoneReached.person_id)
        .where(MilestoneReached.pair_id == pair_id)
        .order_by(MilestoneReached.id)
    )
    return [(m, h, d) for m, h, d in rows]
