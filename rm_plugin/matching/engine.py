"""One matching run, without a database: rules, candidates, site hooks, exact assignment, reasons.

:func:`run` is what :mod:`.service` calls with a programme's applicants and what the
benchmark calls with a synthetic organisation.

The result is the optimum over every pair that passes the rules, not only over the
candidate graph: after each solve, the assignment's prices (:func:`.assignment.prices`)
are checked against every passing pair left out of the graph; those that beat the prices
are scored exactly, offered to the site's hooks and join the graph, and the solve runs
again, until no pair outside the graph can improve the result.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pluggy

from rm_plugin.domain.orgtree import OrgIndex
from rm_plugin.domain.records import ApplicantView, ProgrammeInfo
from rm_plugin.matching import assignment, candidates
from rm_plugin.matching.applicants import Applicant, MatchSettings, visible, visible_score
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
# Why someone is unmatched, as a short label per kind (the command line counts by kind).
REASON_KINDS: Mapping[str, str] = {
    "no_level": "no job level known",
    "outside_levels": "job level outside the programme's bounds",
    "no_applicants": "nobody applied in the other role",
    "ruled_out": "nobody in the other role passes the rules",
    "already_full": "every mentor who passes the rules is full with kept pairs",
    "vetoed": "every candidate was vetoed by a site rule",
    "capacity": "capacity ran out",
    "not_needed": "not needed",
}


class HookResultError(ValueError):
    """A site plugin returned something the matching contract does not allow."""


@dataclass(frozen=True)
class Proposal:
    mentee: Applicant
    mentor: Applicant
    score: float  # every term, the demographic one included: used only inside the run
    breakdown: Mapping[str, Mapping[str, float]]  # term -> value, weight, points
    rules_passed: tuple[str, ...]

    @property
    def visible_breakdown(self) -> dict[str, Any]:
        """The breakdown as everyone outside the run sees it (no demographic term)."""
        return visible(self.breakdown)

    @property
    def visible_score(self) -> float:
        return visible_score(self.breakdown)


@dataclass(frozen=True)
class Unmatched:
    hr_id: str
    role: str
    reason: str
    kind: str = ""  # a key of REASON_KINDS


@dataclass
class Outcome:
    proposals: list[Proposal]
    unmatched: list[Unmatched]
    graph: candidates.CandidateGraph
    encoded: Encoded
    match: np.ndarray
    objective: str = "most_pairs"
    rounds: int = 1  # solves needed until no pair outside the graph could improve the result
    widened: int = 0  # pairs added to the candidate graph after the first solve
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def total_score(self) -> float:
        """The total of the visible scores: what admins, reviewers and plugins may see."""
        return float(sum(p.visible_score for p in self.proposals))


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
    :param pm: the plugin manager whose ``rm_veto_pairs`` / ``rm_match_score_terms`` are
        called on the candidate pairs, in one batch (and once more for each batch of pairs
        the graph is widened by).
    :param top_k: how many candidates per mentee the search starts from; the result is the
        same for any value, only the time differs.
    """
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    mentees = sorted(mentees, key=lambda a: a.hr_id)
    mentors = sorted(mentors, key=lambda a: a.hr_id)
    enc = encode(mentees, mentors, settings, org)
    timings["encode"] = time.perf_counter() - clock

    forbidden_index = _index_forbidden(forbidden or {}, mentees, mentors)
    graph = candidates.build(enc, settings, forbidden_index, top_k=top_k)
    timings["candidates"] = graph.timings.get("rules", 0.0)
    timings["scoring"] = graph.timings.get("scoring", 0.0)

    rule_names = list(graph.rule_names)
    hooks = _SiteHooks(pm, programme, enc, settings)
    if hooks.has_veto:
        rule_names.append("site_veto")
    clock = time.perf_counter()
    if hooks.active and len(graph):
        _replace_edges(graph, hooks.apply(_edges(graph), graph))
    timings["site_hooks"] = time.perf_counter() - clock

    timings["solve"] = timings["widen"] = 0.0
    rounds, widened = 0, 0
    while True:
        rounds += 1
        clock = time.perf_counter()
        bonus = _bonus(graph, enc, settings.objective, hooks.bound)
        match = assignment.solve(
            len(mentees), enc.mentors.capacity, graph.rows, graph.cols, graph.score, bonus=bonus
        )
        timings["solve"] += time.perf_counter() - clock
        clock = time.perf_counter()
        added = _widen(graph, enc, settings, match, hooks, bonus)
        timings["widen"] += time.perf_counter() - clock
        if added is None:
            break
        widened += added

    clock = time.perf_counter()
    proposals = _proposals(graph, enc, match, settings, tuple(rule_names))
    unmatched = _reasons(graph, enc, match, settings)
    timings["explain"] = time.perf_counter() - clock
    return Outcome(
        proposals, unmatched, graph, enc, match, settings.objective, rounds, widened, timings=timings
    )


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


def _edges(graph: candidates.CandidateGraph) -> candidates.Edges:
    return candidates.Edges(graph.rows, graph.cols, graph.score, graph.terms)


def _replace_edges(graph: candidates.CandidateGraph, edges: candidates.Edges) -> None:
    graph.rows, graph.cols, graph.score, graph.terms = edges.rows, edges.cols, edges.score, edges.terms


class _SiteHooks:
    """The site's ``rm_veto_pairs`` and ``rm_match_score_terms``, called on batches of pairs."""

    def __init__(
        self,
        pm: pluggy.PluginManager | None,
        programme: ProgrammeInfo | None,
        enc: Encoded,
        settings: MatchSettings,
    ) -> None:
        ready = pm is not None and programme is not None
        self.pm, self.programme, self.enc, self.settings = pm, programme, enc, settings
        self.has_veto = ready and bool(pm.hook.rm_veto_pairs.get_hookimpls())  # type: ignore[union-attr]
        self.has_terms = ready and bool(pm.hook.rm_match_score_terms.get_hookimpls())  # type: ignore[union-attr]
        self.terms: list[str] = []  # plugin terms seen so far, in the order first seen
        self._views: tuple[list[ApplicantView], list[ApplicantView]] | None = None

    @property
    def active(self) -> bool:
        return self.has_veto or self.has_terms

    @property
    def bound(self) -> float:
        """The most plugin terms can add to a pair's score (each term is at most 1 x its weight)."""
        return float(sum(self.settings.weight(term) for term in self.terms))

    def _pairs(self, edges: candidates.Edges) -> list[tuple[ApplicantView, ApplicantView]]:
        if self._views is None:
            self._views = (
                [a.view() for a in self.enc.mentees.applicants],
                [a.view() for a in self.enc.mentors.applicants],
            )
        e_views, m_views = self._views
        pairs = zip(edges.rows.tolist(), edges.cols.tolist(), strict=True)
        return [(e_views[r], m_views[c]) for r, c in pairs]

    def apply(self, edges: candidates.Edges, graph: candidates.CandidateGraph) -> candidates.Edges:
        """``edges`` without the vetoed ones (remembered on ``graph``), with plugin terms added."""
        if not self.active or len(edges) == 0:
            return self._with_known_terms(edges, {})
        assert self.pm is not None
        pairs = self._pairs(edges)
        if self.has_veto:
            keep = np.ones(len(pairs), dtype=bool)
            for result in self.pm.hook.rm_veto_pairs(programme=self.programme, pairs=pairs):
                for index, reason in (result or {}).items():
                    if not isinstance(index, int | np.integer) or not 0 <= index < len(pairs):
                        raise HookResultError(
                            f"rm_veto_pairs returned index {index!r}, outside 0..{len(pairs) - 1}"
                        )
                    keep[index] = False
                    graph.vetoes[int(edges.rows[index])] = str(reason)
            vetoed = edges.rows[~keep] * max(graph.n_mentors, 1) + edges.cols[~keep]
            graph.vetoed = np.union1d(graph.vetoed, vetoed)
            np.add.at(graph.veto_count, edges.rows[~keep], 1)
            edges = edges.take(keep)
            pairs = [pair for pair, kept in zip(pairs, keep.tolist(), strict=True) if kept]
        added: dict[str, np.ndarray] = {}
        if self.has_terms and len(pairs):
            for result in self.pm.hook.rm_match_score_terms(programme=self.programme, pairs=pairs):
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
        return self._with_known_terms(edges, added)

    def _with_known_terms(self, edges: candidates.Edges, added: dict[str, np.ndarray]) -> candidates.Edges:
        """Every plugin term seen so far on ``edges`` (0 where a batch did not return it)."""
        for term in added:
            if term not in self.terms:
                self.terms.append(term)
        score = edges.score.copy()
        terms = dict(edges.terms)
        for term in self.terms:
            values = added.get(term)
            if values is None:
                values = np.zeros(len(edges))
            terms[term] = values.astype(np.float32)
            score = score + values * self.settings.weight(term)
        return candidates.Edges(edges.rows, edges.cols, score, terms)


def _bonus(graph: candidates.CandidateGraph, enc: Encoded, objective: str, plugin_bound: float) -> float:
    """The per-pair bonus of the objective, from the best score any passing pair could have."""
    best = max(float(graph.score.max(initial=0.0)), graph.outside.best() + plugin_bound, 0.0)
    return assignment.pair_bonus(objective, best, len(enc.mentees), int(enc.mentors.capacity.sum()))


def _widen(
    graph: candidates.CandidateGraph,
    enc: Encoded,
    settings: MatchSettings,
    match: np.ndarray,
    hooks: _SiteHooks,
    bonus: float,
) -> int | None:
    """Add the pairs outside the graph that could improve ``match``; ``None`` if there are none.

    A pair outside the graph can improve the assignment only if its ``score + bonus`` is
    above the mentee's price plus the mentor's. Every pair outside is checked against its
    score's upper bound (plus what plugin terms could add); those that pass are scored
    exactly and checked again.
    """
    if len(graph.outside) == 0:
        return None
    capacity = enc.mentors.capacity
    scale = max(float(graph.score.max(initial=0.0)), graph.outside.best()) + 1.0
    tolerance = 1e-12 * (scale + bonus)  # far above rounding, far below a score difference
    check = 1e-9 * scale + 1e-12 * bonus
    mentee_price, mentor_price = assignment.prices(
        match, capacity, graph.rows, graph.cols, graph.score + bonus, tolerance=tolerance
    )
    extra = hooks.bound + bonus
    rows, cols, positions = graph.outside.above(mentee_price - extra + check, mentor_price)
    if len(rows) == 0:
        return None
    found = candidates.score_pairs(enc, settings, rows, cols)
    better = found.score + extra - mentee_price[rows] - mentor_price[cols] > check
    if not better.any():
        return None
    graph.outside.drop(positions[better])
    new = hooks.apply(found.take(better), graph)
    graph.add(new)
    return len(new)


def _proposals(
    graph: candidates.CandidateGraph,
    enc: Encoded,
    match: np.ndarray,
    settings: MatchSettings,
    rule_names: tuple[str, ...],
) -> list[Proposal]:
    # edges are sorted by (mentee, mentor): find each matched edge by binary search
    width = max(len(enc.mentors), 1)
    keys = graph.keys()
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
    """Why each unmatched person is unmatched. The assignment is optimal over every passing
    pair, so "taken" and "not needed" are true of all of them, not only of the candidates."""
    out: list[Unmatched] = []
    rule = settings.seniority
    n_mentors = len(enc.mentors)
    if settings.objective == "best_score":
        tail = "giving one to this mentee would not raise the total score (the objective is best_score)"
    else:
        tail = "no reshuffle frees one without leaving another mentee without a mentor"
    for row, applicant in enumerate(enc.mentees.applicants):
        if match[row] >= 0:
            continue
        passing, usable = int(graph.passing[row]), int(graph.usable[row])
        vetoed = int(graph.veto_count[row])
        if applicant.job_level is None:
            kind, reason = "no_level", "no job level known, so the reversal cannot be checked"
        elif rule.mentee_min_level is not None and applicant.job_level < rule.mentee_min_level:
            kind = "outside_levels"
            reason = f"job level {applicant.job_level} is below the mentee minimum {rule.mentee_min_level}"
        elif n_mentors == 0:
            kind, reason = "no_applicants", "no mentor applied"
        elif passing == 0:
            counts = sorted(
                ((int(n), name) for name, n in zip(graph.rule_names, graph.ruled_out[row], strict=True) if n),
                reverse=True,
            )
            detail = "; ".join(f"{RULE_LABELS[name]}: {n} of {n_mentors}" for n, name in counts)
            kind, reason = "ruled_out", f"no mentor passes the rules ({detail})"
        elif usable == 0:
            kind = "already_full"
            reason = f"all {passing} mentors who pass the rules are full with pairs kept from before"
        elif vetoed >= usable:
            kind = "vetoed"
            reason = f"every mentor who passes the rules was vetoed ({graph.vetoes.get(row, 'site rule')})"
        else:
            kind = "capacity"
            taken = usable - vetoed
            reason = f"capacity ran out: all {taken} mentors who pass the rules are taken, and {tail}"
            if vetoed:
                reason += f"; {vetoed} more were vetoed ({graph.vetoes.get(row, 'site rule')})"
        out.append(Unmatched(applicant.hr_id, "mentee", reason, kind))
    taken_slots = np.bincount(match[match >= 0], minlength=n_mentors) if n_mentors else np.zeros(0, np.int64)
    for col, applicant in enumerate(enc.mentors.applicants):
        if taken_slots[col] > 0 or enc.mentors.capacity[col] == 0:
            continue
        if applicant.job_level is None:
            kind, reason = "no_level", "no job level known, so the reversal cannot be checked"
        elif rule.mentor_max_level is not None and applicant.job_level > rule.mentor_max_level:
            kind = "outside_levels"
            reason = f"job level {applicant.job_level} is above the mentor maximum {rule.mentor_max_level}"
        elif len(enc.mentees) == 0:
            kind, reason = "no_applicants", "no mentee is left to match"
        elif graph.mentor_passing[col] == 0:
            kind, reason = "ruled_out", "no mentee passes the rules with this mentor"
        else:
            n = int(graph.mentor_passing[col])
            kind = "not_needed"
            reason = f"not needed: all {n} mentees who pass the rules with this mentor have a mentor"
            if len(graph.vetoed):
                reason += " (or were vetoed with it by a site rule)"
        out.append(Unmatched(applicant.hr_id, "mentor", reason, kind))
    return out


def describe(outcome: Outcome) -> dict[str, Any]:
    """Counts for the audit log and the command line (visible scores only)."""
    return {
        "proposed": len(outcome.proposals),
        "unmatched_mentees": sum(1 for u in outcome.unmatched if u.role == "mentee"),
        "unmatched_mentors": sum(1 for u in outcome.unmatched if u.role == "mentor"),
        "candidate_edges": len(outcome.graph),
        "objective": outcome.objective,
        "rounds": outcome.rounds,
        "total_score": round(outcome.total_score, 4),
    }
