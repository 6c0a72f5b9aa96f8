"""What the engine matches: applicants as plain values, and a programme's matching settings.

Both are built from the store by :mod:`.service` and synthetically by the benchmark; the
engine never sees an ORM object.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rm_plugin.domain.programme_rules import DEFAULT_WEIGHTS, RULE_KEYS, rule_problems, weight_problems
from rm_plugin.domain.records import ApplicantView
from rm_plugin.domain.seniority import SeniorityRule

# Terms computed from opt-in demographic data: never shown to reviewers.
DEMOGRAPHIC_TERMS: frozenset[str] = frozenset({"diverse_pair"})
# Objectives that allow the demographic term.
DIVERSITY_OBJECTIVES: frozenset[str] = frozenset({"dei", "diversity", "inclusion", "diversity_and_inclusion"})
# How many hours of weekly overlap count as full marks on the availability term.
FULL_OVERLAP_HOURS = 2.0
# What a run maximises (``match_objective`` in a programme's settings): the most pairs, then
# the best total score among them (the default); or the best total score alone.
OBJECTIVES: Mapping[str, str] = {
    "most_pairs": "the most pairs, then the best total score among them",
    "best_score": "the best total score, even if fewer people get a partner",
}


def visible(breakdown: Mapping[str, Any]) -> dict[str, Any]:
    """The terms of a score breakdown anyone outside the matching step may see: none computed
    from opt-in demographic data."""
    return {term: parts for term, parts in breakdown.items() if term not in DEMOGRAPHIC_TERMS}


def visible_score(breakdown: Mapping[str, Any]) -> float:
    """The score of the visible terms, so the hidden term cannot be worked out as a difference."""
    return round(sum(float(parts.get("points", 0.0)) for parts in visible(breakdown).values()), 4)


class SettingsError(ValueError):
    """A programme's matching settings are wrong; the message names the key."""


@dataclass(frozen=True)
class Applicant:
    """One submitted application with the person's HR facts, as the engine needs them."""

    hr_id: str
    role: str  # "mentee" (the senior) or "mentor" (the junior)
    job_level: int | None
    hire_date: dt.date | None = None
    department: str = ""
    team: str = ""
    location: str = ""
    time_zone: str = ""
    languages: tuple[str, ...] = ()
    skills_offered: tuple[str, ...] = ()
    skills_wanted: Mapping[str, int] = field(default_factory=dict)
    topics_offered: tuple[str, ...] = ()
    topics_wanted: tuple[str, ...] = ()
    learning_style: str = ""
    interests: tuple[str, ...] = ()
    availability: tuple[Mapping[str, Any], ...] = ()
    meeting_mode: str = "either"
    capacity: int = 1
    demographics: Mapping[str, Any] = field(default_factory=dict)
    person_id: int = 0

    def view(self) -> ApplicantView:
        """The hook-facing view: no demographic data, no topics."""
        return ApplicantView(
            hr_id=self.hr_id,
            role=self.role,
            job_level=self.job_level,
            department=self.department,
            location=self.location,
            time_zone=self.time_zone,
            languages=self.languages,
            skills_offered=self.skills_offered,
            skills_wanted=dict(self.skills_wanted),
            interests=self.interests,
            learning_style=self.learning_style,
            meeting_mode=self.meeting_mode,
        )


@dataclass(frozen=True)
class MatchSettings:
    """A programme's matching rules and weights, validated."""

    seniority: SeniorityRule = field(default_factory=SeniorityRule)
    not_same_department: bool = False
    not_same_team: bool = False
    not_previous_pair: bool = False
    shared_language: bool = False
    min_overlap_hours: float = 0.0
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    allow_mutual: bool = False
    use_demographics: bool = False
    week_of: dt.date = dt.date(2026, 1, 5)
    objective: str = "most_pairs"

    @classmethod
    def from_programme(
        cls,
        *,
        rules: Mapping[str, Any],
        weights: Mapping[str, Any],
        seniority: SeniorityRule,
        allow_mutual: bool,
        objectives: tuple[str, ...] | list[str],
        week_of: dt.date | None,
        objective: str | None = None,
    ) -> MatchSettings:
        values: dict[str, Any] = {}
        if objective is not None:
            if objective not in OBJECTIVES:
                raise SettingsError(
                    f"settings.match_objective: {objective!r} is not one of {', '.join(OBJECTIVES)}"
                )
            values["objective"] = objective
        problems = rule_problems(rules) + weight_problems(weights)
        if problems:
            raise SettingsError("; ".join(problems))
        values.update(
            {key: float(value) if RULE_KEYS[key] is float else value for key, value in (rules or {}).items()}
        )
        merged = dict(DEFAULT_WEIGHTS)
        merged.update({str(term): float(weight) for term, weight in (weights or {}).items()})
        wanted = {o.strip().lower() for o in objectives or ()}
        return cls(
            seniority=seniority,
            weights=merged,
            allow_mutual=allow_mutual,
            use_demographics=bool(wanted & DIVERSITY_OBJECTIVES),
            week_of=week_of or dt.date.today(),
            **values,
        )

    def weight(self, term: str) -> float:
        return self.weights.get(term, 1.0)

    def active_rules(self) -> list[str]:
        """The built-in hard rules this programme checks, in the order they are reported."""
        names = ["eligible_level", "reversal", "not_management_chain", "not_rejected"]
        for key in ("not_same_department", "not_same_team", "not_previous_pair", "shared_language"):
            if getattr(self, key):
                names.append(key)
        if self.min_overlap_hours > 0:
            names.append("min_overlap_hours")
        return names
