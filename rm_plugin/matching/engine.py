"""One matching run, without a database: rules, candidates, site hooks, exact assignment, reasons.

:func:`run` is what :mod:`.service` calls with a programme's applicants and what the
benchmark calls with a synthetic organisation.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pluggy

from rm_plugin.domain.orgtree import OrgIndex
from rm_plugin.domain.records import ProgrammeInfo
from rm_plugin.matching import assignment, candidates
from rm_plugin.matching.applicants import Applicant, MatchSettings
from rm_plugin.matching.encoding import Encoded, encode
from rm_plugin.matching.rules import RULE_LABELS

BUILT_IN_TERMS = frozenset(
    {
        "skills",
        "learning_style",
        "interests",
        "availability",
        "meeting_mode",
        "cross_department",
        "reciprocal",
        "diverse_pair",
    }
)


class HookResultError(ValueError):
    """A site plugin returned something the matching contract does not allow."""


@dataclass(frozen=True)
class Proposal:
    mentee: Applicant
    mentor: Applicant
    score: float
    breakdown: Mapping[str, Mapping[str, float]]  # term -> value, weight, points
    rules_passed: tuple[str, ...]


@dataclass(frozen=True)
class Unmatched:
    hr_id: str
    role: str
    reason: str


@dataclass
class Outcome:
    proposals: list[Proposal]
    unmatched: list[Unmatched]
    graph: candidates.CandidateGraph
    encoded: Encoded
    match: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def total_score(self) -> float:
        return float(sum(p.score for p in self.proposals))


def run(
    mentees: Sequence[Applicant],
    mentors: Sequence[Applicant],
    settings: MatchSettings,
    *,
    org: OrgIndex | None = None,
    forbidden: Mapping[str, Collection[tuple[str, str]]] | None = None,
    pm: pluggy.PluginManager | None = None,
    programme: ProgrammeInfo | None = None,
    top_k: int = candidates.DEFAULT_TOP_K,
) -> Outcome:
    """Propose pairs for ``mentees`` from ``mentors`` (capacity already net of kept pairs).

    :param forbidden: rule name (``not_rejected``, ``not_previous_pair``) -> (mentee, mentor)
        HR id pairs that rule rules out.
    :param pm: the plugin manager whose ``rm_veto_pairs`` / ``rm_match_score_terms`` are called
        once each, in one batch, on the candidate edges.
    """
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    mentees = sorted(mentees, key=lambda a: a.hr_id)
    mentors = sorted(mentors, key=lambda a: a.hr_id)
    enc = encode(mentees, mentors, settings, org)
    timings["encode"] = time.perf_counter() - clock

    clock = time.perf_counter()
    graph = candidates.build(enc, settings, _index_forbidden(forbidden or {}, mentees, mentors), top_k=top_k)
    timings["candidates"] = graph.timings.get("rules", 0.0)
    timings["scoring"] = graph.timings.get("scoring", 0.0)

    rule_names = list(graph.rule_names)
    if pm is not None and programme is not None:
        clock = time.perf_counter()
        if _apply_site_hooks(graph, enc, settings, pm, programme):
            rule_names.append("site_veto")
        timings["site_hooks"] = time.perf_counter() - clock

    clock = time.perf_counter()
    match = assignment.solve(len(mentees), enc.mentors.capacity, graph.rows, graph.cols, graph.score)
    timings["solve"] = time.perf_counter() - clock

    clock = time.perf_counter()
    proposals = _proposals(graph, enc, match, settings, tuple(rule_names))
    unmatched = _reasons(graph, enc, match, settings)
    timings["explain"] = time.perf_counter() - clock
    return Outcome(proposals, unmatched, graph, enc, match, timings)


def _index_forbidden(
    forbidden: Mapping[str, Collection[tuple[str, str]]],
    mentees: Sequence[Applicant],
    mentors: Sequence[Applicant],
) -> dict[str, dict[int, np.ndarray]]:
    e_index = {a.hr_id: i for i, a in enumerate(mentees)}
    m_index = {a.hr_id: i for i, a in enumerate(mentors)}
    out: dict[str, dict[int, np.ndarray]] = {}
    for rule, pairs in forbidden.items():
        grouped: dict[int, list[int]] = {}
        for mentee, mentor in pairs:
            if mentee in e_index and mentor in m_index:
                grouped.setdefault(e_index[mentee], []).append(m_index[mentor])
        out[rule] = {row: np.array(cols, dtype=np.int64) for row, cols in grouped.items()}
    return out


def _apply_site_hooks(
    graph: candidates.CandidateGraph,
    enc: Encoded,
    settings: MatchSettings,
    pm: pluggy.PluginManager,
    programme: ProgrammeInfo,
) -> bool:
    """Drop vetoed edges and add plugin terms; returns True if a veto hook took part."""
    has_veto = bool(pm.hook.rm_veto_pairs.get_hookimpls())
    has_terms = bool(pm.hook.rm_match_score_terms.get_hookimpls())
    if not (has_veto or has_terms) or len(graph) == 0:
        return has_veto
    e_views = [a.view() for a in enc.mentees.applicants]
    m_views = [a.view() for a in enc.mentors.applicants]
    if has_veto:
        pairs = [(e_views[r], m_views[c]) for r, c in zip(graph.rows, graph.cols, strict=True)]
        keep = np.ones(len(pairs), dtype=bool)
        for result in pm.hook.rm_veto_pairs(programme=programme, pairs=pairs):
            for index, reason in (result or {}).items():
                if not isinstance(index, int | np.integer) or not 0 <= index < len(pairs):
                    raise HookResultError(
                        f"rm_veto_pairs returned index {index!r}, outside 0..{len(pairs) - 1}"
                    )
                keep[index] = False
                graph.vetoes[int(graph.rows[index])] = str(reason)
        graph.keep(keep)
    if has_terms and len(graph):
        pairs = [(e_views[r], m_views[c]) for r, c in zip(graph.rows, graph.cols, strict=True)]
        added: dict[str, np.ndarray] = {}
        for result in pm.hook.rm_match_score_terms(programme=programme, pairs=pairs):
            for term, values in (result or {}).items():
                if term in added or term in BUILT_IN_TERMS:
                    raise HookResultError(
                        f"score term {term!r} is already used by a built-in term or another plugin"
                    )
                array = np.asarray(values, dtype=np.float64)
                if array.shape != (len(pairs),):
                    raise HookResultError(
                        f"score term {term!r} has {array.size} values for {len(pairs)} candidate pairs"
                    )
                if not np.all((array >= 0) & (array <= 1)):
                    raise HookResultError(f"score term {term!r} has values outside [0, 1]")
                added[term] = array
        for term, array in added.items():
            graph.terms[term] = array.astype(np.float32)
            graph.score = graph.score + array * settings.weight(term)
    return has_veto


def _proposals(
    graph: candidates.CandidateGraph,
    enc: Encoded,
    match: np.ndarray,
    settings: MatchSettings,
    rule_names: tuple[str, ...],
) -> list[Proposal]:
    # edges are sorted by (mentee, mentor): find each matched edge by binary search
    width = max(len(enc.mentors), 1)
    keys = graph.rows.astype(np.int64) * width + graph.cols
    matched_rows = np.flatnonzero(match >= 0)
    edges = np.searchsorted(keys, matched_rows * width + match[matched_rows])
    weights = {term: settings.weight(term) for term in sorted(graph.terms)}
    out: list[Proposal] = []
    for row, edge in zip(matched_rows.tolist(), edges.tolist(), strict=True):
        col = int(match[row])
        breakdown: dict[str, dict[str, float]] = {}
        for term, weight in weights.items():
            value = float(graph.terms[term][edge])
            breakdown[term] = {"value": round(value, 4), "weight": weight, "points": round(value * weight, 4)}
        out.append(
            Proposal(
                mentee=enc.mentees.applicants[row],
                mentor=enc.mentors.applicants[col],
                score=round(float(graph.score[edge]), 4),
                breakdown=breakdown,
                rules_passed=rule_names,
            )
        )
    return out


def _reasons(
    graph: candidates.CandidateGraph, enc: Encoded, match: np.ndarray, settings: MatchSettings
) -> list[Unmatched]:
    out: list[Unmatched] = []
    rule = settings.seniority
    n_mentors = len(enc.mentors)
    edges_per_mentee = np.bincount(graph.rows, minlength=len(enc.mentees))
    for row, applicant in enumerate(enc.mentees.applicants):
        if match[row] >= 0:
            continue
        if applicant.job_level is None:
            reason = "no job level known, so the reversal cannot be checked"
        elif rule.mentee_min_level is not None and applicant.job_level < rule.mentee_min_level:
            reason = f"job level {applicant.job_level} is below the mentee minimum {rule.mentee_min_level}"
        elif n_mentors == 0:
            reason = "no mentor applied"
        elif graph.passing[row] == 0:
            counts = sorted(
                ((int(n), name) for name, n in zip(graph.rule_names, graph.ruled_out[row], strict=True) if n),
                reverse=True,
            )
            detail = "; ".join(f"{RULE_LABELS[name]}: {n} of {n_mentors}" for n, name in counts)
            reason = f"no mentor passes the rules ({detail})"
        elif edges_per_mentee[row] == 0:
            reason = f"every candidate mentor was vetoed ({graph.vetoes.get(row, 'site rule')})"
        else:
            n = int(edges_per_mentee[row])
            reason = f"capacity ran out: all {n} candidate mentors were taken by higher-scoring pairs"
            if graph.passing[row] > n:
                reason += f" ({int(graph.passing[row]) - n} more pass the rules but score lower; raise top_k)"
        out.append(Unmatched(applicant.hr_id, "mentee", reason))
    taken = np.bincount(match[match >= 0], minlength=n_mentors) if n_mentors else np.zeros(0, np.int64)
    for col, applicant in enumerate(enc.mentors.applicants):
        if taken[col] > 0 or enc.mentors.capacity[col] == 0:
            continue
        if applicant.job_level is None:
            reason = "no job level known, so the reversal cannot be checked"
        elif rule.mentor_max_level is not None and applicant.job_level > rule.mentor_max_level:
            reason = f"job level {applicant.job_level} is above the mentor maximum {rule.mentor_max_level}"
        elif graph.mentor_passing[col] == 0:
            reason = "no mentee passes the rules with this mentor"
        else:
            reason = "not needed: every mentee it could take is better matched elsewhere"
        out.append(Unmatched(applicant.hr_id, "mentor", reason))
    return out


def describe(outcome: Outcome) -> dict[str, Any]:
    """Counts for the audit log and the command line."""
    return {
        "proposed": len(outcome.proposals),
        "unmatched_mentees": sum(1 for u in outcome.unmatched if u.role == "mentee"),
        "unmatched_mentors": sum(1 for u in outcome.unmatched if u.role == "mentor"),
        "candidate_edges": len(outcome.graph),
        "total_score": round(outcome.total_score, 4),
    }
