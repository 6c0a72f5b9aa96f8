"""The hard rules, evaluated for a block of mentees against every mentor at once.

Each rule is named; a pair is a candidate only if it passes every active rule, and the
names it passed are stored on the proposal. ``True`` in a returned mask means "passes".
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rm_plugin.matching.applicants import MatchSettings
from rm_plugin.matching.encoding import Encoded

RULE_LABELS: Mapping[str, str] = {
    "eligible_level": "job level outside the programme's bounds or unknown",
    "reversal": "mentor not junior enough to the mentee",
    "not_management_chain": "in each other's management chain",
    "not_rejected": "rejected by a reviewer before",
    "not_same_department": "same department",
    "not_same_team": "same team",
    "not_previous_pair": "paired before",
    "shared_language": "no shared language",
    "min_overlap_hours": "too little overlapping availability",
    "site_veto": "vetoed by a site rule",
}


def eligible(enc: Encoded, settings: MatchSettings) -> tuple[np.ndarray, np.ndarray]:
    """Per person: may they take part in their role at all (level known and within bounds)."""
    rule = settings.seniority
    e, m = enc.mentees, enc.mentors
    e_ok = e.has_level.copy()
    if rule.mentee_min_level is not None:
        e_ok &= e.level >= rule.mentee_min_level
    m_ok = m.has_level.copy()
    if rule.mentor_max_level is not None:
        m_ok &= m.level <= rule.mentor_max_level
    return e_ok, m_ok


def evaluate(
    enc: Encoded,
    rows: np.ndarray,
    settings: MatchSettings,
    eligibility: tuple[np.ndarray, np.ndarray],
    forbidden: Mapping[str, Mapping[int, np.ndarray]],
    overlap_hours: np.ndarray,
) -> dict[str, np.ndarray]:
    """Masks (the mentees ``rows`` x all mentors) for every active rule of the programme.

    ``forbidden`` maps a rule name (``not_rejected``, ``not_previous_pair``) to a mapping of
    mentee index to the mentor indices that rule rules out; ``overlap_hours`` is the
    block's weekly overlap, computed once and shared with the scorer.
    """
    e, m = enc.mentees, enc.mentors
    rule = settings.seniority
    masks: dict[str, np.ndarray] = {}
    e_ok, m_ok = eligibility
    masks["eligible_level"] = e_ok[rows, None] & m_ok[None, :]

    if rule.min_level_gap >= 1:  # unknown levels are already ruled out as not eligible
        masks["reversal"] = e.level[rows, None] >= m.level[None, :] + rule.min_level_gap
    else:
        gap = e.level[rows, None] - m.level[None, :]
        tie = np.zeros(gap.shape, dtype=bool)
        if rule.tenure_tiebreak:
            tie = (e.has_hire[rows, None] & m.has_hire[None, :]) & (m.hire[None, :] > e.hire[rows, None])
        masks["reversal"] = (gap > 0) | ((gap == 0) & tie)

    # Euler-tour intervals are nested or disjoint: disjoint means neither manages the other
    masks["not_management_chain"] = (e.tin[rows, None] > m.tout[None, :]) | (
        m.tin[None, :] > e.tout[rows, None]
    )

    for name in ("not_rejected", "not_previous_pair"):
        if name == "not_previous_pair" and not settings.not_previous_pair:
            continue
        masks[name] = _pairs_mask((len(rows), len(m)), rows, forbidden.get(name, {}))
    if settings.not_same_department:
        masks["not_same_department"] = e.dept[rows, None] != m.dept[None, :]
    if settings.not_same_team:
        masks["not_same_team"] = e.team[rows, None] != m.team[None, :]
    if settings.shared_language:
        shared = np.zeros((len(rows), len(m)), dtype=bool)
        for word in range(e.languages.shape[1]):
            shared |= (e.languages[rows, word, None] & m.languages[None, :, word]) != 0
        masks["shared_language"] = shared
    if settings.min_overlap_hours > 0:
        masks["min_overlap_hours"] = overlap_hours >= settings.min_overlap_hours
    return masks


def _pairs_mask(shape: tuple[int, ...], rows: np.ndarray, forbidden: Mapping[int, np.ndarray]) -> np.ndarray:
    mask = np.ones(shape, dtype=bool)
    for local, mentee in enumerate(rows.tolist()):
        cols = forbidden.get(mentee)
        if cols is not None and len(cols):
            mask[local, cols] = False
    return mask


def pair_keys(forbidden: Mapping[str, Mapping[int, np.ndarray]], n_mentors: int) -> dict[str, np.ndarray]:
    """Forbidden pairs as sorted ``mentee * n_mentors + mentor`` keys, for :func:`evaluate_pairs`."""
    out: dict[str, np.ndarray] = {}
    for name, by_mentee in forbidden.items():
        keys = [
            np.int64(row) * n_mentors + np.asarray(cols, dtype=np.int64) for row, cols in by_mentee.items()
        ]
        out[name] = np.sort(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.int64)
    return out


def evaluate_pairs(
    enc: Encoded,
    g: np.ndarray,
    c: np.ndarray,
    settings: MatchSettings,
    eligibility: tuple[np.ndarray, np.ndarray],
    forbidden_keys: Mapping[str, np.ndarray],
) -> np.ndarray:
    """Whether each pair (mentee ``g[i]``, mentor ``c[i]``) passes every active rule but the
    overlap one (the caller chose pairs with enough overlap). Same rules as :func:`evaluate`."""
    e, m = enc.mentees, enc.mentors
    rule = settings.seniority
    e_ok, m_ok = eligibility
    ok = e_ok[g] & m_ok[c]
    if rule.min_level_gap >= 1:
        ok &= e.level[g] >= m.level[c] + rule.min_level_gap
    else:
        gap = e.level[g] - m.level[c]
        tie = np.zeros(gap.shape, dtype=bool)
        if rule.tenure_tiebreak:
            tie = e.has_hire[g] & m.has_hire[c] & (m.hire[c] > e.hire[g])
        ok &= (gap > 0) | ((gap == 0) & tie)
    ok &= (e.tin[g] > m.tout[c]) | (m.tin[c] > e.tout[g])
    keys = g * len(m) + c
    for name in ("not_rejected", "not_previous_pair"):
        if name == "not_previous_pair" and not settings.not_previous_pair:
            continue
        blocked = forbidden_keys.get(name)
        if blocked is not None and len(blocked):
            ok &= ~np.isin(keys, blocked)
    if settings.not_same_department:
        ok &= e.dept[g] != m.dept[c]
    if settings.not_same_team:
        ok &= e.team[g] != m.team[c]
    if settings.shared_language:
        ok &= (e.languages[g] & m.languages[c]).any(axis=1)
    return ok
