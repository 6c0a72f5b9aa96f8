"""The candidate graph: for each mentee, the top K mentors by score among those passing every rule.

Mentees are processed in blocks so memory stays bounded (a block of mentees x all mentors),
and per mentee the number of mentors each rule ruled out is kept, to explain who is left
unmatched.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rm_plugin.matching import rules, scoring
from rm_plugin.matching.applicants import MatchSettings
from rm_plugin.matching.encoding import Encoded

DEFAULT_TOP_K = 30


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
    timings: dict[str, float] = field(default_factory=dict)  # thread-seconds per phase, summed
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
    seed_by_overlap: bool = True,
) -> CandidateGraph:
    """The candidate graph of a run.

    With a minimum overlap rule (and ``seed_by_overlap``), only pairs with enough common
    hours are looked at, found by a sparse product; otherwise every pair of each block.
    Both give the same graph.
    """
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
    eligibility = rules.eligible(enc, settings)
    k = min(top_k, n_m)

    def dense(rows: slice) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Every pair of the block: rule masks, and the passing pairs in (mentee, mentor) order."""
        hours = scoring.overlap_hours(enc, rows)
        masks = rules.evaluate(enc, rows, settings, eligibility, forbidden, hours)
        ok = np.ones((rows.stop - rows.start, n_m), dtype=bool)
        for name in names:
            ok &= masks[name]
        r, c = np.nonzero(ok)
        return r, c, hours[r, c], masks

    def seeded(rows: slice) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Only the pairs with enough common hours (a sparse product), then the other rules."""
        r, c, hours = scoring.overlapping_pairs(enc, rows, settings.min_overlap_hours)
        ok = rules.evaluate_pairs(enc, r + rows.start, c, settings, eligibility, forbidden_keys)
        return r[ok], c[ok], hours[ok]

    forbidden_keys = rules.pair_keys(forbidden, n_m)

    def one_block(start: int) -> tuple[slice, dict[str, Any], float, float]:
        rows = slice(start, min(start + block, n_e))
        size = rows.stop - rows.start
        clock = time.perf_counter()
        masks: dict[str, np.ndarray] | None = None
        if settings.min_overlap_hours > 0 and seed_by_overlap:
            r, c, hours = seeded(rows)
        else:
            r, c, hours, masks = dense(rows)
        out: dict[str, Any] = {
            "passing": np.bincount(r, minlength=size),
            "mentor_passing": np.bincount(c, minlength=n_m),
        }
        # how many mentors each rule rules out, for mentees nobody passes (to explain why)
        out["ruled_out"] = np.zeros((size, len(names)), dtype=np.int64)
        for local in np.flatnonzero(out["passing"] == 0):
            row_masks = masks
            at = local
            if row_masks is None:
                one = slice(rows.start + local, rows.start + local + 1)
                row_masks = rules.evaluate(
                    enc, one, settings, eligibility, forbidden, scoring.overlap_hours(enc, one)
                )
                at = 0
            for j, name in enumerate(names):
                out["ruled_out"][local, j] = n_m - np.count_nonzero(row_masks[name][at])
        del masks
        rules_time = time.perf_counter() - clock
        clock = time.perf_counter()
        values = scoring.terms(enc, rows, r, c, settings, hours)
        total = scoring.total(values, settings).astype(np.float64)
        widest = int(out["passing"].max(initial=0))
        if widest > k:
            # each mentee's k best: lay each mentee's passing pairs out in a row (they come in
            # mentee order) and partially sort the rows; deterministic for the same input
            starts = np.concatenate(([0], np.cumsum(out["passing"])[:-1]))
            ranked = np.full((size, widest), -np.inf)
            ranked[r, np.arange(len(r)) - starts[r]] = total
            top = np.argpartition(-ranked, k - 1, axis=1)[:, :k]
            valid = top < out["passing"][:, None]
            chosen = np.sort((starts[:, None] + top)[valid])
        else:
            chosen = np.arange(len(r))
        out["rows"] = r[chosen] + rows.start
        out["cols"] = c[chosen]
        out["score"] = total[chosen]
        out["terms"] = {name: value[chosen] for name, value in values.items()}
        return rows, out, rules_time, time.perf_counter() - clock

    timings = {"rules": 0.0, "scoring": 0.0}
    # numpy and BLAS release the GIL, so blocks run in parallel on the machine's cores
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        for rows, out, rules_time, score_time in pool.map(one_block, range(0, n_e, block)):
            ruled_out[rows] = out["ruled_out"]
            passing[rows] = out["passing"]
            mentor_passing += out["mentor_passing"]
            rows_out.append(out["rows"])
            cols_out.append(out["cols"])
            score_out.append(out["score"])
            for name, value in out["terms"].items():
                terms_out.setdefault(name, []).append(value)
            timings["rules"] += rules_time
            timings["scoring"] += score_time
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
