"""An agreement's content: seeding a first draft and checking every edit. No I/O.

The body is a plain dict (stored as JSON, one per version)::

    purpose, goals [{skill, aim}], norms {communication, where, language, confidentiality},
    schedule {cadence_days, weekday, time "HH:MM", minutes, time_zone}, starts_on, ends_on
    (ISO dates), wrap_up
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable, Mapping
from typing import Any

from rm_plugin.domain import text_limits
from rm_plugin.errors import ProgrammeError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TOP_KEYS = ("purpose", "goals", "norms", "schedule", "starts_on", "ends_on", "wrap_up")
NORM_KEYS = ("communication", "where", "language", "confidentiality")
SCHEDULE_KEYS = ("cadence_days", "weekday", "time", "minutes", "time_zone")
CONFIDENTIALITY = (
    "What we say in our meetings stays between us. Our notes are private to the two of us; "
    "the programme sees only that we met, never what we discussed."
)
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def seed_body(
    *,
    skills: Iterable[str],
    mentee_name: str,
    mentor_name: str,
    cadence_days: int,
    minutes: int,
    weekday: str,
    time: str,
    time_zone: str,
    starts_on: dt.date,
    ends_on: dt.date,
    meeting_mode: str = "either",
) -> dict[str, Any]:
    """A first draft both parties then edit; goals come from the skills the match was made on."""
    skills = list(dict.fromkeys(skills))
    where = {"in_person": "in person", "remote": "by video call"}.get(
        meeting_mode, "in person or by video call"
    )
    body = {
        "purpose": (
            f"{mentor_name} helps {mentee_name} see the organisation from another angle and grow in "
            + (", ".join(skills) if skills else "the areas we agree on")
            + "; we both learn from each other."
        ),
        "goals": [{"skill": s, "aim": f"Feel more confident with {s}"} for s in skills],
        "norms": {
            "communication": (
                "Chat or email between meetings; either of us may move a meeting with a day's notice."
            ),
            "where": f"We meet {where}.",
            "language": "Informal: first names, no titles, every question is welcome.",
            "confidentiality": CONFIDENTIALITY,
        },
        "schedule": {
            "cadence_days": cadence_days,
            "weekday": weekday,
            "time": time,
            "minutes": minutes,
            "time_zone": time_zone,
        },
        "starts_on": starts_on.isoformat(),
        "ends_on": ends_on.isoformat(),
        "wrap_up": "A final retrospective together, then we share what we learned with the programme team.",
    }
    check_body(body)
    return body


def changes_from_fields(fields: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Changes typed as ``FIELD=VALUE`` pairs, in the body's shape.

    ``norms.x`` and ``schedule.x`` set one entry of that group, ``goals=a,b`` lists the skills
    (each with an empty aim), and a whole number becomes a number.
    """
    changes: dict[str, Any] = {}
    for key, raw in fields:
        value: Any = raw
        if key == "goals":
            value = [{"skill": s.strip(), "aim": ""} for s in raw.split(",") if s.strip()]
        elif raw.lstrip("-").isdigit():
            value = int(raw)
        if "." in key:
            group, field = key.split(".", 1)
            changes.setdefault(group, {})[field] = value
        else:
            changes[key] = value
    return changes


def merge_edit(body: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``body`` with ``changes`` applied (``norms`` and ``schedule`` merge key by key), checked.

    Every problem is named at once: unknown fields and bad values of the known ones.
    """
    unknown = sorted(set(changes) - set(TOP_KEYS))
    problems = [f"{key} is not an agreement field (fields are {', '.join(TOP_KEYS)})" for key in unknown]
    merged = copy.deepcopy(dict(body))
    for key, value in changes.items():
        if key in unknown:
            continue
        if key in ("norms", "schedule") and isinstance(value, Mapping):
            merged[key] = {**merged.get(key, {}), **value}
        else:
            merged[key] = value
    problems += body_problems(merged)
    if problems:
        raise ProgrammeError("agreement is not valid:\n" + "\n".join(problems))
    return merged


def check_body(body: Mapping[str, Any]) -> None:
    """Raise a ProgrammeError listing every problem in ``body``."""
    problems = body_problems(body)
    if problems:
        raise ProgrammeError("agreement is not valid:\n" + "\n".join(problems))


def body_problems(body: Mapping[str, Any]) -> list[str]:
    """Every problem in ``body``, one line each naming the field (empty when it is valid)."""
    problems: list[str] = []
    for key in ("purpose", "wrap_up"):
        if not isinstance(body.get(key), str) or not body[key].strip():
            problems.append(f"{key} must be non-empty text")
        elif long := text_limits.too_long(key, body[key], text_limits.TEXT):
            problems.append(long)
    goals = body.get("goals")
    if not isinstance(goals, list) or not all(
        isinstance(g, Mapping) and isinstance(g.get("skill"), str) and g["skill"].strip() for g in goals
    ):
        problems.append("goals must be a list of {skill, aim} with a skill name each")
    else:
        for i, goal in enumerate(goals):
            problems += [
                p
                for p in (
                    text_limits.too_long(f"goals[{i}].skill", goal["skill"], text_limits.NAME),
                    text_limits.too_long(f"goals[{i}].aim", goal.get("aim"), text_limits.LINE),
                )
                if p
            ]
    norms = body.get("norms")
    if not isinstance(norms, Mapping):
        problems.append(f"norms must hold {list(NORM_KEYS)}")
    else:
        problems += [
            f"norms.{k} must be non-empty text" for k in NORM_KEYS if not str(norms.get(k, "")).strip()
        ]
        problems += [f"norms.{k} is not a known norm" for k in norms if k not in NORM_KEYS]
        problems += [
            p for k in NORM_KEYS if (p := text_limits.too_long(f"norms.{k}", norms.get(k), text_limits.LINE))
        ]
    problems += _schedule_problems(body.get("schedule"))
    dates: dict[str, dt.date] = {}
    for key in ("starts_on", "ends_on"):
        try:
            dates[key] = dt.date.fromisoformat(str(body.get(key)))
        except ValueError:
            problems.append(f"{key} must be a date like 2026-03-01, not {body.get(key)!r}")
    if len(dates) == 2 and dates["ends_on"] <= dates["starts_on"]:
        problems.append("ends_on must be after starts_on")
    return problems


def _schedule_problems(schedule: Any) -> list[str]:
    if not isinstance(schedule, Mapping):
        return [f"schedule must hold {list(SCHEDULE_KEYS)}"]
    problems = [f"schedule.{k} is not a known field" for k in schedule if k not in SCHEDULE_KEYS]
    cadence = schedule.get("cadence_days")
    if not isinstance(cadence, int) or isinstance(cadence, bool) or not 1 <= cadence <= 365:
        problems.append(
            f"schedule.cadence_days must be a whole number of days from 1 to 365, not {cadence!r}"
        )
    if schedule.get("weekday") not in WEEKDAYS:
        problems.append(f"schedule.weekday must be one of {list(WEEKDAYS)}, not {schedule.get('weekday')!r}")
    if not isinstance(schedule.get("time"), str) or not _TIME.match(schedule["time"]):
        problems.append(f"schedule.time must be HH:MM (24-hour), not {schedule.get('time')!r}")
    minutes = schedule.get("minutes")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 5 <= minutes <= 480:
        problems.append(f"schedule.minutes must be from 5 to 480, not {minutes!r}")
    try:
        zoneinfo.ZoneInfo(str(schedule.get("time_zone")))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problems.append(
            f"schedule.time_zone must be an IANA zone like Europe/London, not {schedule.get('time_zone')!r}"
        )
    return problems


def goal_skills(body: Mapping[str, Any]) -> list[str]:
    return [g["skill"] for g in body.get("goals", [])]
