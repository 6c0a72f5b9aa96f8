"""Applicants as column arrays, so rules and scores are evaluated a block of pairs at a time.

Categorical fields become integer codes (``-1`` = unknown, never equal to anything), sets
become 0/1 matrices over a shared vocabulary (an overlap is then a matrix product), and the
management tree becomes Euler-tour intervals (``tin``/``tout``) taken from
:class:`~rm_plugin.domain.orgtree.OrgIndex`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix

from rm_plugin.domain.orgtree import OrgIndex
from rm_plugin.matching.applicants import Applicant, MatchSettings
from rm_plugin.matching.availability import SLOTS_PER_WEEK, weekly_slots

MODES = {"either": 0, "": 0, "in_person": 1, "remote": 2}


class Vocabulary:
    """Stable integer codes for strings, shared by both sides of a run."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}

    def code(self, value: str) -> int:
        if not value:
            return -1
        return self.codes.setdefault(value, len(self.codes))

    def codes_of(self, values: Iterable[str]) -> np.ndarray:
        return np.fromiter((self.code(v) for v in values), dtype=np.int32)

    def __len__(self) -> int:
        return len(self.codes)


def _incidence(
    rows: Sequence[Iterable[str]], vocab: Vocabulary, weights: Sequence[Sequence[float]] | None = None
):
    """A dense float32 matrix: one row per person, one column per vocabulary entry."""
    cells: list[tuple[int, int, float]] = []
    for i, items in enumerate(rows):
        for j, item in enumerate(items):
            code = vocab.code(item)
            if code >= 0:
                cells.append((i, code, 1.0 if weights is None else float(weights[i][j])))
    return cells


def _dense(cells: list[tuple[int, int, float]], n: int, width: int) -> np.ndarray:
    out = np.zeros((n, max(width, 1)), dtype=np.float32)
    for i, j, w in cells:
        out[i, j] = max(out[i, j], w)
    return out


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
    languages: np.ndarray
    interests: np.ndarray
    skills: np.ndarray  # mentee: wanted priority; mentor: offered 0/1
    topics: np.ndarray  # mentee: topics offered; mentor: topics wanted (mutual learning)
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

    def side(applicants: Sequence[Applicant], is_mentee: bool) -> tuple[Side, dict[str, list]]:
        n = len(applicants)
        cells = {
            "lang": _incidence([a.languages for a in applicants], vocab["lang"]),
            "interest": _incidence([a.interests for a in applicants], vocab["interest"]),
            "skill": (
                _incidence(
                    [list(a.skills_wanted) for a in applicants],
                    vocab["skill"],
                    [list(a.skills_wanted.values()) for a in applicants],
                )
                if is_mentee
                else _incidence([a.skills_offered for a in applicants], vocab["skill"])
            ),
            "topic": _incidence(
                [a.topics_offered if is_mentee else a.topics_wanted for a in applicants], vocab["topic"]
            ),
        }
        tin = np.full(n, -1, dtype=np.int32)
        tout = np.full(n, -1, dtype=np.int32)
        if org is not None:
            for i, a in enumerate(applicants):
                if a.hr_id in org.tin:
                    tin[i], tout[i] = org.tin[a.hr_id], org.tout[a.hr_id]
        availability = np.zeros((n, SLOTS_PER_WEEK), dtype=np.float32)
        for i, a in enumerate(applicants):
            if a.availability:
                availability[i] = weekly_slots(a.availability, a.time_zone, settings.week_of)
        demographics = np.full((n, len(keys)), -1, dtype=np.int32)
        for i, a in enumerate(applicants):
            for j, key in enumerate(keys):
                value = a.demographics.get(key)
                if value not in (None, ""):
                    demographics[i, j] = demo_vocab.code(f"{key}={value}")
        built = Side(
            applicants=list(applicants),
            level=np.array(
                [a.job_level if a.job_level is not None else 0 for a in applicants], dtype=np.int32
            ),
            has_level=np.array([a.job_level is not None for a in applicants], dtype=bool),
            hire=np.array(
                [a.hire_date.toordinal() if a.hire_date else 0 for a in applicants], dtype=np.int32
            ),
            has_hire=np.array([a.hire_date is not None for a in applicants], dtype=bool),
            dept=vocab["dept"].codes_of(a.department for a in applicants),
            team=vocab["team"].codes_of(f"{a.department}\x1f{a.team}" if a.team else "" for a in applicants),
            location=vocab["loc"].codes_of(a.location for a in applicants),
            style=vocab["style"].codes_of(a.learning_style for a in applicants),
            mode=np.array([MODES.get(a.meeting_mode, 0) for a in applicants], dtype=np.int32),
            tin=tin,
            tout=tout,
            capacity=np.array([max(a.capacity, 0) for a in applicants], dtype=np.int32),
            languages=np.zeros(0),
            interests=np.zeros(0),
            skills=np.zeros(0),
            topics=np.zeros(0),
            availability=csr_matrix(availability),
            demographics=demographics,
        )
        return built, cells

    e_side, e_cells = side(mentees, True)
    m_side, m_cells = side(mentors, False)
    for s, cells in ((e_side, e_cells), (m_side, m_cells)):
        s.languages = _dense(cells["lang"], len(s), len(vocab["lang"]))
        s.interests = _dense(cells["interest"], len(s), len(vocab["interest"]))
        s.skills = _dense(cells["skill"], len(s), len(vocab["skill"]))
        s.topics = _dense(cells["topic"], len(s), len(vocab["topic"]))
    return Encoded(e_side, m_side, keys)
