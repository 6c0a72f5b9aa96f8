"""A programme's ``settings`` and ``milestones``, changed by an admin without code.

Every value is checked before anything is written; one bad key or value refuses the whole
change, naming each problem. Values may come typed (Python) or as the text an admin typed
(``"6"``, ``"yes"``), and are stored typed.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_plugin.domain import text_limits
from rm_plugin.domain.milestones import check_milestones, defaults_for_settings
from rm_plugin.domain.programme_rules import rule_problems, unknown_terms, weight_problems
from rm_plugin.errors import FieldProblems, ProgrammeError, keyed
from rm_plugin.matching.applicants import OBJECTIVES
from rm_plugin.programme import lookups, milestones
from rm_plugin.programme.meetings import MAX_MINUTES
from rm_plugin.store import audit
from rm_plugin.store.models import Pair, Person, Programme
from rm_plugin.unit_of_work import ProgrammeContext


def _whole(low: int, high: int | None = None) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError
        number = int(value) if isinstance(value, int) else int(str(value).strip())
        if number < low or (high is not None and number > high):
            raise ValueError
        return number

    parse.__doc__ = f"a whole number from {low}" + (f" to {high}" if high is not None else " up")
    return parse


def _text(value: Any) -> str:
    """text (empty to unset)"""
    if not isinstance(value, str):
        raise ValueError
    return value.strip()


def _objective(value: Any) -> str:
    """most_pairs or best_score"""
    if not isinstance(value, str) or value.strip() not in OBJECTIVES:
        raise ValueError
    return value.strip()


def _hr_ids(value: Any) -> list[str]:
    """HR ids separated by commas (empty: no panel)"""
    if isinstance(value, str):
        items: list[Any] = value.replace(",", " ").split()
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise ValueError
    if not all(isinstance(item, str) and item.strip() for item in items):
        raise ValueError
    return list(dict.fromkeys(item.strip() for item in items))


def _name(value: Any) -> str:
    """a non-empty name"""
    if not isinstance(value, str) or not value.strip():
        raise ValueError
    return value.strip()


# key -> (parser, what it means). The parser's docstring says what a good value looks like.
SETTINGS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "milestone_meetings": (_whole(1, 100), "confirmed meetings for the meetings_N milestone (default 6)"),
    "orientation_course": (_text, "the LMS course that is a prerequisite of completion (empty: none)"),
    "award": (_name, "the badge awarded on completion (default reverse-mentoring)"),
    "reminder_days": (_whole(0, 365), "days after an invitation before the one reminder (default 7)"),
    "agreement_reminder_days": (_whole(1, 365), "days an agreement waits before reminders (default 7)"),
    "meeting_minutes": (_whole(1, MAX_MINUTES), "the agreed meeting length in new agreements (default 45)"),
    "retention_days": (
        _whole(1, 3650),
        "days after a pair ends before its private notes and survey free text are deleted (default 90)",
    ),
    "match_objective": (
        _objective,
        "what matching maximises: most_pairs (default: the most pairs, then the best total score) "
        "or best_score (the best total score, even if fewer people get a partner)",
    ),
    "reviewers": (
        _hr_ids,
        "the review panel: the only people who may review the programme's pairs, and those the portal "
        "shows its review queue (empty: anyone not in conflict, from the command line only)",
    ),
    "executive_level": (
        _whole(0),
        "the lowest job level the programme report counts as executive (default: the top level minus two)",
    ),
}


def _optional_level(value: Any) -> int | None:
    """a job level, a whole number from 0 (empty to unset)"""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _whole(0)(value)


def _enrolment(value: Any) -> str:
    """open or invite"""
    if not isinstance(value, str) or value.strip() not in ("open", "invite"):
        raise ValueError
    return value.strip()


def _flag(value: Any) -> bool:
    """true or false (yes/no, on/off)"""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0", ""):
        return False
    raise ValueError


def _objectives(value: Any) -> list[str]:
    """objectives separated by commas, e.g. digital-skills, dei (empty: none)"""
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    if not all(isinstance(item, str) for item in items):
        raise ValueError
    return list(dict.fromkeys(item.strip() for item in items if item.strip()))


def _hr_id(value: Any) -> str:
    """the HR id of an active person"""
    return _name(value)


def _date(value: Any) -> dt.date:
    """a date like 2026-12-31"""
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


# Programme columns an admin may change the same way (the same ranges as ``programme create``).
COLUMNS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "name": (_name, "the programme's name as participants see it"),
    "objectives": (
        _objectives,
        "what the programme is for; an objective such as dei lets matching use opt-in data",
    ),
    "starts_on": (_date, "the programme's first day; it no longer changes once a pair was approved"),
    "tenure_tiebreak": (_flag, "tenure breaks ties when job levels are equal"),
    "allow_mutual": (_flag, "mutual learning: the senior also teaches topics back"),
    "admin_hr_id": (_hr_id, "who gets the escalated nudges (an active person)"),
    "cadence_days": (_whole(1, 365), "days between agreed meetings in new agreements"),
    "enrolment": (_enrolment, "open (anyone eligible applies) or invite (invited people only)"),
    "reviewers_required": (_whole(1, 10), "distinct reviewer approvals a pair needs"),
    "mentor_capacity": (_whole(1, 20), "mentees one mentor may have"),
    "min_level_gap": (_whole(0, 20), "job levels the mentee must be above the mentor"),
    "mentor_max_level": (_optional_level, "the highest job level a mentor may have (empty: none)"),
    "mentee_min_level": (_optional_level, "the lowest job level a mentee may have (empty: none)"),
    "ends_on": (_date, "the programme's last day; a later one extends it"),
}
KNOWN = {**COLUMNS, **SETTINGS}

# Settings the default milestone list is built from.
SHAPES_MILESTONES = ("milestone_meetings", "orientation_course", "award")


def parse_settings(values: Mapping[str, Any]) -> dict[str, Any]:
    """Typed settings and columns from ``values``; every unknown key and bad value named in one error."""
    out, problems = _parse(values)
    if problems:
        raise FieldProblems(problems)
    return out


def parse_values(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Typed settings and columns from ``values``, and each bad one keyed by its name (no raise)."""
    return _parse(values)


def _parse(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    out: dict[str, Any] = {}
    for key, raw in values.items():
        if key not in KNOWN:
            problems.append((key, f"unknown setting {key!r}; known: {', '.join(sorted(KNOWN))}"))
            continue
        parse = KNOWN[key][0]
        try:
            out[key] = parse(raw)
        except (TypeError, ValueError):
            problems.append((key, f"setting {key} must be {parse.__doc__}, not {raw!r}"))
    return out, problems


@dataclass(frozen=True)
class SettingsChange:
    """What ``update_programme`` did, for the admin to read."""

    settings: dict[str, Any]
    columns: dict[str, Any]
    milestone_keys: list[str]
    milestones_rebuilt: bool = False
    newly_reached: int = 0
    notes: list[str] = field(default_factory=list)
    #: Connections the new milestone list records to that are not enabled progress connections.
    unknown_connections: list[str] = field(default_factory=list)
    rules: dict[str, Any] = field(default_factory=dict)
    weights: dict[str, Any] = field(default_factory=dict)


def update_programme(
    session: Session,
    ctx: ProgrammeContext,
    programme_slug: str,
    *,
    settings: Mapping[str, Any] | None = None,
    milestone_list: Sequence[Mapping[str, Any]] | None = None,
    rules: Mapping[str, Any] | None = None,
    weights: Mapping[str, Any] | None = None,
    today: dt.date | None = None,
    actor: str = "admin",
) -> SettingsChange:
    """Change a programme's settings and, optionally, replace its milestone list.

    Every value is checked before anything is written, and every problem is named in one
    error: settings, columns, matching ``rules`` and ``weights`` (``None`` removes a key), and
    the milestone list. When the programme still has the default milestones and a setting
    they are built from changes (``milestone_meetings``, ``orientation_course``, ``award``),
    they are rebuilt; customised milestones are kept, with a note. With ``today`` every
    active pair's milestones are re-checked against the new list, so a lowered bar is reached
    at once.
    """
    programme = lookups.programme(session, programme_slug)
    problems = change_problems(session, programme, settings, milestone_list, rules, weights)
    if problems:
        raise FieldProblems(problems)
    parsed, _ = _parse(settings or {})
    columns = {k: v for k, v in parsed.items() if k in COLUMNS}
    typed = {k: v for k, v in parsed.items() if k in SETTINGS}
    set_weights = {k: v for k, v in (weights or {}).items() if v is not None}
    notes: list[str] = []
    if rules:
        programme.rules = {k: v for k, v in {**(programme.rules or {}), **rules}.items() if v is not None}
    if weights:
        programme.weights = {
            k: v for k, v in {**(programme.weights or {}), **weights}.items() if v is not None
        }
        notes += [f"weights.{term}: not a built-in score term; it counts only if a site plugin scores "
                  "it" for term in unknown_terms(set_weights)]  # fmt: skip
    old_settings = dict(programme.settings or {})
    new_settings = {**old_settings, **typed}
    for key, value in typed.items():
        if key in ("orientation_course", "reviewers") and not value:
            new_settings.pop(key)
    rebuilt = False
    if milestone_list is not None:
        programme.milestones = [dict(m) for m in milestone_list]
    elif any(new_settings.get(k) != old_settings.get(k) for k in SHAPES_MILESTONES):
        if list(programme.milestones or []) == defaults_for_settings(old_settings):
            programme.milestones = defaults_for_settings(new_settings)
            rebuilt = True
        else:
            notes.append(
                "the milestones were customised, so they were kept as they are; "
                f"{', '.join(k for k in SHAPES_MILESTONES if k in typed)} shape only the default list "
                "(give --milestones FILE to change them)"
            )
    changed = {
        key: [_plain(getattr(programme, key)), _plain(value)]
        for key, value in columns.items()
        if getattr(programme, key) != value
    }
    for key, value in columns.items():
        setattr(programme, key, value)
    programme.settings = new_settings
    session.flush()
    audit.record(
        session, actor, "programme.settings_changed", "programme", programme.id,
        settings=sorted(typed), columns=changed, milestones=milestone_list is not None or rebuilt,
        rules=sorted(rules or {}), weights=sorted(weights or {}),
    )  # fmt: skip
    newly = 0
    if today is not None and (milestone_list is not None or rebuilt):
        pairs = session.scalars(
            select(Pair).where(Pair.programme_id == programme.id, Pair.status == "active").order_by(Pair.id)
        )
        for pair in pairs:
            newly += len(milestones.evaluate(session, ctx, pair, today))
    named = {
        record.get("connection", "*") for item in milestone_list or [] for record in item.get("records", [])
    }
    return SettingsChange(
        settings=new_settings,
        columns={k: _plain(getattr(programme, k)) for k in COLUMNS},
        rules=dict(programme.rules or {}),
        weights=dict(programme.weights or {}),
        milestone_keys=[m["key"] for m in programme.milestones or []],
        milestones_rebuilt=rebuilt,
        newly_reached=newly,
        notes=notes,
        unknown_connections=sorted(named - {"*", *ctx.progress}),
    )


def change_problems(
    session: Session,
    programme: Programme,
    settings: Mapping[str, Any] | None = None,
    milestone_list: Sequence[Mapping[str, Any]] | None = None,
    rules: Mapping[str, Any] | None = None,
    weights: Mapping[str, Any] | None = None,
) -> list[tuple[str, str]]:
    """Every problem with a change :func:`update_programme` is asked for, keyed by its field
    (a setting's key, ``rules.<key>``, ``weights.<term>``, ``milestones``)."""
    parsed, problems = _parse(settings or {})
    problems += _column_problems(session, programme, {k: v for k, v in parsed.items() if k in COLUMNS})
    problems += _panel_problems(session, {k: v for k, v in parsed.items() if k in SETTINGS})
    problems += keyed(rule_problems({k: v for k, v in (rules or {}).items() if v is not None}))
    problems += keyed(weight_problems({k: v for k, v in (weights or {}).items() if v is not None}))
    if milestone_list is not None:
        problems += [("milestones", line) for line in check_milestones(milestone_list)]
        if not milestone_list:
            problems.append(
                ("milestones", "the milestone list is empty; a programme needs at least one milestone")
            )
    return problems


def _plain(value: Any) -> Any:
    """A value as JSON holds it (dates as ISO text), for the audit log and the admin's summary."""
    return value.isoformat() if isinstance(value, dt.date) else value


def read_milestone_file(path: Path) -> Any:
    """The milestone list in a TOML (``[[milestones]]`` tables) or JSON file.

    JSON may hold the list itself or ``{"milestones": [...]}``. Errors name the file and line;
    the list itself is checked by :func:`update_programme`.
    """
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in ("json", "toml"):
        raise ProgrammeError(f"{path}: the milestone file must end in .toml or .json")
    return milestones_from_text(path.read_text(encoding="utf-8"), suffix, str(path))


def milestones_from_text(text: str, kind: str, source: str) -> Any:
    """The milestone list in ``text``, ``kind`` ``json`` or ``toml`` (as in a milestone file);
    errors name ``source`` and the line."""
    if kind == "json":
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProgrammeError(f"{source}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
        if isinstance(loaded, dict):
            if set(loaded) != {"milestones"}:
                raise ProgrammeError(f'{source}: expected a list, or an object with only "milestones"')
            loaded = loaded["milestones"]
        return loaded
    try:
        loaded = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProgrammeError(f"{source}: not valid TOML ({exc})") from exc
    if set(loaded) != {"milestones"}:
        raise ProgrammeError(f"{source}: expected only [[milestones]] tables, found {sorted(loaded)}")
    return loaded["milestones"]


def _column_problems(
    session: Session, programme: Programme, columns: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """What only the stored rows can confirm: the admin is an active person, the end follows the
    start, a name fits, and the start date stays once a pair was approved."""
    problems: list[tuple[str, str]] = []
    starts_on = columns.get("starts_on", programme.starts_on)
    if "starts_on" in columns and columns["starts_on"] != programme.starts_on:
        approved = session.scalar(
            select(Pair.id).where(Pair.programme_id == programme.id, Pair.status.in_(("active", "closed")))
        )
        if approved is not None:
            problems.append(
                ("starts_on", f"setting starts_on: {programme.slug} already has approved pairs, so its start "
                 f"date ({programme.starts_on}) no longer changes")
            )  # fmt: skip
    ends_on = columns.get("ends_on")
    if ends_on is not None and starts_on is not None and ends_on <= starts_on:
        problems.append(
            ("ends_on", f"setting ends_on: {ends_on} must be after the programme's start, {starts_on}")
        )
    if "name" in columns and (long_name := text_limits.too_long("name", columns["name"], text_limits.NAME)):
        problems.append(("name", f"setting {long_name}"))
    if "admin_hr_id" in columns:
        hr_id = columns["admin_hr_id"]
        status = session.scalar(select(Person.status).where(Person.hr_id == hr_id))
        if status is None:
            problems.append(("admin_hr_id", f"setting admin_hr_id: no person with HR id {hr_id!r}"))
        elif status != "active":
            problems.append(
                ("admin_hr_id", f"setting admin_hr_id: {hr_id} is {status}, not an active person")
            )
    return problems


def _panel_problems(session: Session, settings: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every review panel member must be an active person (a leaver cannot review)."""
    wanted = settings.get("reviewers") or []
    found = dict(session.execute(select(Person.hr_id, Person.status).where(Person.hr_id.in_(wanted))).all())
    problems = []
    for hr_id in wanted:
        if hr_id not in found:
            problems.append(("reviewers", f"setting reviewers: no person with HR id {hr_id!r}"))
        elif found[hr_id] != "active":
            status = found[hr_id]
            problems.append(("reviewers", f"setting reviewers: {hr_id} is {status}, not an active person"))
    return problems
