"""The built-in score terms, each in [0, 1], for a block of mentees against every mentor.

A pair's score is the sum of ``weight x value`` over its terms; the per-term values and
weights are stored with each proposal so reviewers see why it was made.
"""

from __future__ import annotations

import numpy as np

from rm_plugin.matching.applicants import FULL_OVERLAP_HOURS, MatchSettings
from rm_plugin.matching.availability import SLOT_MINUTES
from rm_plugin.matching.encoding import Encoded, common


def overlap_hours(enc: Encoded, rows: np.ndarray) -> np.ndarray:
    """Weekly hours both are available (UTC half-hour slots in common)."""
    # sparse: each person covers a few of the week's 336 slots, so this costs little
    slots = (enc.mentees.availability[rows] @ enc.mentors.availability.T).toarray()
    return slots.astype(np.float32) * np.float32(SLOT_MINUTES / 60)


def overlapping_pairs(
    enc: Encoded, rows: np.ndarray, min_hours: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (position in ``rows``, mentor) with at least ``min_hours`` a week in common, in
    (mentee, mentor) order, with their hours."""
    product = (enc.mentees.availability[rows] @ enc.mentors.availability.T).tocsr()
    product.sort_indices()
    pairs = product.tocoo()
    hours = pairs.data.astype(np.float32) * np.float32(SLOT_MINUTES / 60)
    keep = hours >= min_hours
    return pairs.row[keep].astype(np.int64), pairs.col[keep].astype(np.int64), hours[keep]


def terms(
    enc: Encoded, rows: np.ndarray, r: np.ndarray, c: np.ndarray, settings: MatchSettings, hours: np.ndarray
) -> dict[str, np.ndarray]:
    """The value of every built-in term this programme uses, for the pairs ``(rows[r], c)``.

    Only pairs that passed the rules are scored, pair by pair; set overlaps are bit counts.
    """
    e, m = enc.mentees, enc.mentors
    g = rows[r]  # mentee indices of the pairs
    out: dict[str, np.ndarray] = {}
    # coverage of the mentee's wanted skills, weighted by their priority (1..3)
    offered = m.skills[c]
    covered = sum(p * common(e.skills[g, p - 1], offered) for p in (1, 2, 3)).astype(np.float32)
    weight_sum = e.skill_weight[g]
    out["skills"] = np.divide(covered, weight_sum, out=np.zeros_like(covered), where=weight_sum > 0)
    out["learning_style"] = (e.style[g] == m.style[c]).astype(np.float32)
    shared = common(e.interests[g], m.interests[c])
    union = e.interest_count[g] + m.interest_count[c] - shared
    out["interests"] = (shared / np.maximum(union, 1)).astype(np.float32)  # union 0: nothing shared
    target = max(FULL_OVERLAP_HOURS, settings.min_overlap_hours)
    out["availability"] = np.minimum(hours / np.float32(target), np.float32(1)).astype(np.float32)
    e_mode, m_mode = e.mode[g], m.mode[c]
    compatible = (e_mode == 0) | (m_mode == 0) | (e_mode == m_mode)
    apart = e.location[g] != m.location[c]
    out["meeting_mode"] = (compatible & ~((e_mode == 1) & (m_mode == 1) & apart)).astype(np.float32)
    out["cross_department"] = ((e.dept[g] != m.dept[c]) & (e.dept[g] >= 0) & (m.dept[c] >= 0)).astype(
        np.float32
    )
    if settings.allow_mutual:
        # the senior teaches back: the mentee's offered topics against the mentor's wanted ones
        taught = common(e.topics[g], m.topics[c]).astype(np.float32)
        asked = m.topic_count[c].astype(np.float32)
        out["reciprocal"] = np.divide(taught, asked, out=np.zeros_like(taught), where=asked > 0)
    if settings.use_demographics and enc.demographic_keys:
        a, b = e.demographics[g], m.demographics[c]
        both = (a >= 0) & (b >= 0)
        differ = (both & (a != b)).sum(axis=1, dtype=np.float32)
        out["diverse_pair"] = differ / np.maximum(both.sum(axis=1, dtype=np.float32), 1)
    return out


def total(values: dict[str, np.ndarray], settings: MatchSettings) -> np.ndarray:
    """Weighted sum of the terms."""
    result: np.ndarray | None = None
    for term, value in values.items():
        weight = np.float32(settings.weight(term))
        if result is None:
            result = value * weight
        elif weight:
            result += value * weight
    assert result is not None
    return result
