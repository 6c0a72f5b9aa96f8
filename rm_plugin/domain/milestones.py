"""Milestone definitions: the rules that reach them, the defaults, and the checks of a list.

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

Pure rules: :mod:`rm_plugin.programme.milestones` reaches them for pairs in the store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol


class HasMilestones(Protocol):
    """A programme as far as its milestone list and settings go."""

    milestones: list[dict[str, Any]]
    settings: dict[str, Any]


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


def fill_default_milestones(programme: HasMilestones) -> bool:
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
