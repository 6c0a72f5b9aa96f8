"""A programme's optional matching rules and score weights: what they may hold, checked. No I/O.

Creating a programme, changing its settings and running the matching all read these, so a
mistyped rule or a weight that is not a number is refused where it is typed, naming every
bad key at once, rather than at the next ``match propose``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Optional hard rules a programme switches on in ``Programme.rules`` (name -> expected type).
RULE_KEYS: Mapping[str, type] = {
    "not_same_department": bool,
    "not_same_team": bool,
    "not_previous_pair": bool,
    "shared_language": bool,
    "min_overlap_hours": float,
}

# Built-in score terms and their default weights (``Programme.weights`` overrides them).
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "skills": 3.0,
    "learning_style": 1.0,
    "interests": 1.0,
    "availability": 1.0,
    "meeting_mode": 0.5,
    "cross_department": 0.5,
    "reciprocal": 1.0,  # only when the programme allows mutual learning
    "diverse_pair": 0.5,  # only when an objective asks for it, from opt-in data
}


def rule_problems(rules: Mapping[str, Any]) -> list[str]:
    """One line per unknown rule or value of the wrong type, each naming ``rules.<key>``."""
    problems = []
    for key, value in (rules or {}).items():
        expected = RULE_KEYS.get(key)
        if expected is None:
            problems.append(f"rules.{key}: unknown matching rule; known: {', '.join(RULE_KEYS)}")
        elif expected is bool and not isinstance(value, bool):
            problems.append(f"rules.{key}: expected true or false, got {value!r}")
        elif expected is float and not _non_negative_number(value):
            problems.append(f"rules.{key}: expected a number of hours >= 0, got {value!r}")
    return problems


def weight_problems(weights: Mapping[str, Any]) -> list[str]:
    """One line per weight that is not a number >= 0, each naming ``weights.<term>``."""
    return [
        f"weights.{term}: expected a number >= 0, got {weight!r}"
        for term, weight in (weights or {}).items()
        if not _non_negative_number(weight)
    ]


def _non_negative_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and value >= 0


def unknown_terms(weights: Mapping[str, Any]) -> list[str]:
    """Weighted terms that are not built in: they count only if a site plugin scores a term so named."""
    return sorted(str(term) for term in weights or {} if term not in DEFAULT_WEIGHTS)
