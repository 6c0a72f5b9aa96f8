"""Applicants as column arrays, so rules and scores are evaluated a block of pairs at a time.

Categorical fields become integer codes; an unknown value gets a code of its own that
matches nobody (so "same department" is one comparison). Sets (languages, skills,
interests, topics) become bit sets packed in 64-bit words over a shared vocabulary, so an
overlap is an AND and a bit count. The management tree becomes Euler-tour intervals from
:class:`~rm_plugin.domain.orgtree.OrgIndex`: two people are in one chain exactly when their
intervals intersect, since tour intervals are either nested or disjoint.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix

from rm_plugin.domain.orgtree import OrgIndex
from rm_plugin.matching.applicants import Applicant, MatchSettings
from rm_plugin.matching.availability import SLOTS_PER_WEEK, slot_numbers

MODES = {"either": 0, "": 0, "in_person": 1, "remote": 2}


class Vocabulary:
    """Stable integer codes for strings, shared by both sides of a run."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}

    def code(self, value: str) -> int:
        return self.codes.setdefault(value, len(self.codes))

    def __len__(self) -> int:
        return len(self.codes)


def _codes(values: Iterable[str], vocab: Vocabulary, unknown_base: int) -> np.ndarray:
    """Codes >= 0 for known values; a distinct negative code per person for an unknown one."""
    return np.fromiter(
        (vocab.code(v) if v else unknown_base - i for i, v in enumerate(values)), dtype=np.int64
    )


def _bits(sets: Sequence[Iterable[str]], vocab: Vocabulary) -> list[list[int]]:
    return [sorted({vocab.code(item) for item in items if item}) for items in sets]


def _pack(codes: list[list[int]], words: int) -> np.ndarray:
    masks = [sum(1 << code for code in row) for row in codes]
    if words == 1:
        return np.array(masks, dtype=np.uint64).reshape(len(codes), 1)
    full = (1 << 64) - 1
    return np.array([[(mask >> (64 * w)) & full for w in range(words)] for mask in masks], dtype=np.uint64)


def common(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """How many members two packed bit sets share, pair by pair (rows of ``a`` with rows of ``b``)."""
    return np.bitwise_count(a & b).sum(axis=-1, dtype=np.int32)


@dataclass
class Side:
    """One side (mentees or mentors) as arrays indexed like ``applicants``."""

    applicants: list[Applicant]
    level: np.ndarray
    has_level: np.ndarray
    hire: np.ndarray
    has_hire: np.ndarray
    dept: np.ndarray
    team: np.ndarray
    location: np.ndarray
    style: np.ndarray
    mode: np.ndarray
    tin: np.ndarray
    tout: np.ndarray
    capacity: np.ndarray
    languages: np.ndarray  # packed bit sets
    interests: np.ndarray
    interest_count: np.ndarray
    skills: np.ndarray  # mentee: (n, 3, words), wanted skills by priority 1..3; mentor: offered (n, words)
    skill_weight: np.ndarray  # mentee: sum of priorities wanted
    topics: np.ndarray  # mentee: topics offered; mentor: topics wanted (mutual learning)
    topic_count: np.ndarray
    availability: csr_matrix  # people x half-hour slots of the UTC week
    demographics: np.ndarray  # codes per opt-in key, -1 where not given

    def __len__(self) -> int:
        return len(self.applicants)


@dataclass
class Encoded:
    mentees: Side
    mentors: Side
    demographic_keys: list[str]


def encode(
    mentees: Sequence[Applicant], mentors: Sequence[Applicant], settings: MatchSettings, org: OrgIndex | None
) -> Encoded:
    """Encode both sides over shared vocabularies. Availability must already be valid."""
    vocab = {
        name: Vocabulary() for name in ("dept", "team", "loc", "style", "lang", "interest", "skill", "topic")
    }
    keys = (
        sorted({k for a in [*mentees, *mentors] for k in a.demographics}) if settings.use_demographics else []
    )
    demo_vocab = Vocabulary()
    sets: dict[tuple[str, bool], list[list[int]]] = {}
    for is_mentee, people in ((True, mentees), (False, mentors)):
        sets[("lang", is_mentee)] = _bits([a.languages for a in people], vocab["lang"])
        sets[("interest", is_mentee)] = _bits([a.interests for a in people], vocab["interest"])
        sets[("topic", is_mentee)] = _bits(
            [a.topics_offered if is_mentee else a.topics_wanted for a in people], vocab["topic"]
        )
        if is_mentee:
            for p in (1, 2, 3):
                sets[(f"skill{p}", True)] = _bits(
                    [[s for s, prio in a.skills_wanted.items() if prio == p] for a in people], vocab["skill"]
                )
        else:
            sets[("skill", False)] = _bits([a.skills_offered for a in people], vocab["skill"])
    words = {name: max(1, (len(v) + 63) // 64) for name, v in vocab.items()}
    # everyone outside the tree gets an empty interval of their own beyond the tour's clock
    clock_end = 2 * len(org.tin) + 2 if org is not None else 0

    def side(people: Sequence[Applicant], is_mentee: bool) -> Side:
        n = len(people)
        base = -1 if is_mentee else -(n + 2) - len(mentees)
        outside = clock_end + np.arange(n, dtype=np.int64) + (0 if is_mentee else len(mentees))
        tin, tout = outside.copy(), outside.copy()
        if org is not None:
            for i, a in enumerate(people):
                if a.hr_id in org.tin:
                    tin[i], tout[i] = org.tin[a.hr_id], org.tout[a.hr_id]
        slot_rows: list[int] = []
        slot_cols: list[int] = []
        for i, a in enumerate(people):
            if a.availability:
                found = slot_numbers(a.availability, a.time_zone, settings.week_of)
                slot_rows.extend([i] * len(found))
                slot_cols.extend(found)
        availability = csr_matrix(
            (np.ones(len(slot_rows), dtype=np.float32), (slot_rows, slot_cols)), shape=(n, SLOTS_PER_WEEK)
        )
        demographics = np.full((n, len(keys)), -1, dtype=np.int64)
        for i, a in enumerate(people):
            for j, key in enumerate(keys):
                value = a.demographics.get(key)
                if value not in (None, ""):
                    demographics[i, j] = demo_vocab.code(f"{key}={value}")
        interests = _pack(sets[("interest", is_mentee)], words["interest"])
        topics = _pack(sets[("topic", is_mentee)], words["topic"])
        if is_mentee:
            skills = np.stack([_pack(sets[(f"skill{p}", True)], words["skill"]) for p in (1, 2, 3)], axis=1)
            skill_weight = np.array([sum(a.skills_wanted.values()) for a in people], dtype=np.float32)
        else:
            skills = _pack(sets[("skill", False)], words["skill"])
            skill_weight = np.zeros(n, dtype=np.float32)
        return Side(
            applicants=list(people),
            level=np.array([a.job_level if a.job_level is not None else 0 for a in people], dtype=np.int64),
            has_level=np.array([a.job_level is not None for a in people], dtype=bool),
            hire=np.array([a.hire_date.toordinal() if a.hire_date else 0 for a in people], dtype=np.int64),
            has_hire=np.array([a.hire_date is not None for a in people], dtype=bool),
            dept=_codes((a.department for a in people), vocab["dept"], base),
            team=_codes(
                (f"{a.department}\x1f{a.team}" if a.team else "" for a in people), vocab["team"], base
            ),
            location=_codes((a.location for a in people), vocab["loc"], base),
            style=_codes((a.learning_style for a in people), vocab["style"], base),
            mode=np.array([MODES.get(a.meeting_mode, 0) for a in people], dtype=np.int64),
            tin=tin,
            tout=tout,
            capacity=np.array([max(a.capacity, 0) for a in people], dtype=np.int64),
            languages=_pack(sets[("lang", is_mentee)], words["lang"]),
            interests=interests,
            interest_count=common(interests, interests),
            skills=skills,
            skill_weight=skill_weight,
            topics=topics,
            topic_count=common(topics, topics),
            availability=availability,
            demographics=demographics,
        )

    return Encoded(side(mentees, True), side(mentors, False), keys)
