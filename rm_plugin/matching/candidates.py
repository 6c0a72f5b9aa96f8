"""The candidate graph: for each mentee, the top K mentors by score among those passing every rule.

Mentees are processed in blocks so memory stays bounded (a block of mentees x all mentors),
and per mentee the number of mentors each rule ruled out is kept, to explain who is left
unmatched.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from rm_plugin.matching import rules, scoring
from rm_plugin.matching.applicants import MatchSettings
from rm_plugin.matching.encoding import Encoded

DEFAULT_TOP_K = 50


@dataclass
class CandidateGraph:
    """Edges (mentee index, mentor index) with their total score and per-term values."""

    rows: np.ndarray
    cols: np.ndarray
    score: np.ndarray
    terms: dict[str, np.ndarray]
    rule_names: list[str]
    passing: np.ndarray  # per mentee: how many mentors pass every rule
    ruled_out: np.ndarray  # per mentee x rule: how many mentors that rule alone fails
    mentor_passing: np.ndarray  # per mentor: how many mentees pass every rule with them
    timings: dict[str, float] = field(default_factory=dict)
    vetoes: dict[int, str] = field(default_factory=dict)  # mentee index -> last veto reason

    def __len__(self) -> int:
        return len(self.rows)

    def keep(self, mask: np.ndarray) -> None:
        """Drop the edges where ``mask`` is False."""
        self.rows, self.cols, self.score = self.rows[mask], self.cols[mask], self.score[mask]
        self.terms = {name: values[mask] for name, values in self.terms.items()}


def build(
    enc: Encoded,
    settings: MatchSettings,
    forbidden: Mapping[str, Mapping[int, np.ndarray]],
    *,
    top_k: int = DEFAULT_TOP_K,
    block: int = 256,
) -> CandidateGraph:
    n_e, n_m = len(enc.mentees), len(enc.mentors)
    names = settings.active_rules()
    passing = np.zeros(n_e, dtype=np.int64)
    ruled_out = np.zeros((n_e, len(names)), dtype=np.int64)
    rows_out: list[np.ndarray] = []
    cols_out: list[np.ndarray] = []
    score_out: list[np.ndarray] = []
    terms_out: dict[str, list[np.ndarray]] = {}
    if n_e == 0 or n_m == 0:
        ruled_out[:] = 0
        return CandidateGraph(
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0),
            {},
            names,
            passing,
            ruled_out,
            np.zeros(n_m, dtype=np.int64),
        )
    mentor_passing = np.zeros(n_m, dtype=np.int64)
    timings = {"rules": 0.0, "scoring": 0.0}
    eligibility = rules.eligible(enc, settings)
    k = min(top_k, n_m)
    for start in range(0, n_e, block):
        rows = slice(start, min(start + block, n_e))
        clock = time.perf_counter()
        hours = scoring.overlap_hours(enc, rows)
        masks = rules.evaluate(enc, rows, settings, eligibility, forbidden, hours)
        ok = np.ones((rows.stop - rows.start, n_m), dtype=bool)
        for j, name in enumerate(names):
            ruled_out[rows, j] = np.count_nonzero(~masks[name], axis=1)
            ok &= masks[name]
        passing[rows] = np.count_nonzero(ok, axis=1)
        mentor_passing += np.count_nonzero(ok, axis=0)
        timings["rules"] += time.perf_counter() - clock
        clock = time.perf_counter()
        values = scoring.terms(enc, rows, settings, hours)
        total = scoring.total(values, settings).astype(np.float64)
        ranked = np.where(ok, total, -np.inf)
        if k < n_m:
            # argpartition is deterministic: the same input gives the same graph
            top = np.argpartition(-ranked, k - 1, axis=1)[:, :k]
        else:
            top = np.broadcast_to(np.arange(n_m), ranked.shape)
        local = np.repeat(np.arange(ranked.shape[0]), top.shape[1])
        cols = top.reshape(-1)
        keep = np.isfinite(ranked[local, cols])
        local, cols = local[keep], cols[keep]
        rows_out.append(local + rows.start)
        cols_out.append(cols)
        score_out.append(total[local, cols])
        for name, value in values.items():
            terms_out.setdefault(name, []).append(value[local, cols])
        timings["scoring"] += time.perf_counter() - clock
    order_rows = np.concatenate(rows_out)
    order_cols = np.concatenate(cols_out)
    order = np.lexsort((order_cols, order_rows))
    return CandidateGraph(
        rows=order_rows[order],
        cols=order_cols[order],
        score=np.concatenate(score_out)[order],
        terms={name: np.concatenate(parts)[order] for name, parts in terms_out.items()},
        rule_names=names,
        passing=passing,
        ruled_out=ruled_out,
        mentor_passing=mentor_passing,
        timings=timings,
    )
