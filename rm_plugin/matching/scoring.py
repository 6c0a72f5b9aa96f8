"""The built-in score terms, each in [0, 1], for a block of mentees against every mentor.

A pair's score is the sum of ``weight x value`` over its terms; the per-term values and
weights are stored with each proposal so reviewers see why it was made.
"""

from __future__ import annotations

import numpy as np

from rm_plugin.matching.applicants import FULL_OVERLAP_HOURS, MatchSettings
from rm_plugin.matching.availability import SLOT_MINUTES
from rm_plugin.matching.encoding import Encoded


def overlap_hours(enc: Encoded, rows: slice) -> np.ndarray:
    """Weekly hours both are available (UTC half-hour slots in common)."""
    slots = enc.mentees.availability[rows] @ enc.mentors.availability.T
    return slots * np.float32(SLOT_MINUTES / 60)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.zeros(np.broadcast_shapes(numerator.shape, denominator.shape), dtype=np.float32)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def terms(enc: Encoded, rows: slice, settings: MatchSettings, hours: np.ndarray) -> dict[str, np.ndarray]:
    """The value of every built-in term this programme uses, per pair of the block."""
    e, m = enc.mentees, enc.mentors
    out: dict[str, np.ndarray] = {}
    # coverage of the mentee's wanted skills, weighted by their priority
    wanted = e.skills[rows]
    out["skills"] = _ratio(wanted @ m.skills.T, wanted.sum(axis=1, keepdims=True))
    out["learning_style"] = ((e.style[rows, None] == m.style[None, :]) & (e.style[rows, None] >= 0)).astype(
        np.float32
    )
    shared = e.interests[rows] @ m.interests.T
    union = e.interests[rows].sum(axis=1, keepdims=True) + m.interests.sum(axis=1)[None, :] - shared
    out["interests"] = _ratio(shared, union)
    target = max(FULL_OVERLAP_HOURS, settings.min_overlap_hours)
    out["availability"] = np.minimum(hours / np.float32(target), 1).astype(np.float32)
    e_mode, m_mode = e.mode[rows, None], m.mode[None, :]
    compatible = (e_mode == 0) | (m_mode == 0) | (e_mode == m_mode)
    both_in_person = (e_mode == 1) & (m_mode == 1)
    apart = (e.location[rows, None] != m.location[None, :]) | (e.location[rows, None] < 0)
    out["meeting_mode"] = (compatible & ~(both_in_person & apart)).astype(np.float32)
    out["cross_department"] = (
        (e.dept[rows, None] != m.dept[None, :]) & (e.dept[rows, None] >= 0) & (m.dept[None, :] >= 0)
    ).astype(np.float32)
    if settings.allow_mutual:
        # the senior teaches back: the mentee's offered topics against the mentor's wanted ones
        out["reciprocal"] = _ratio(e.topics[rows] @ m.topics.T, m.topics.sum(axis=1)[None, :])
    if settings.use_demographics and enc.demographic_keys:
        a, b = e.demographics[rows][:, None, :], m.demographics[None, :, :]
        both = (a >= 0) & (b >= 0)
        differ = both & (a != b)
        out["diverse_pair"] = _ratio(
            differ.sum(axis=2).astype(np.float32), both.sum(axis=2).astype(np.float32)
        )
    return out


def total(values: dict[str, np.ndarray], settings: MatchSettings) -> np.ndarray:
    """Weighted sum of the terms."""
    result: np.ndarray | None = None
    for term, value in values.items():
        part = value * np.float32(settings.weight(term))
        result = part if result is None else result + part
    assert result is not None
    return result
