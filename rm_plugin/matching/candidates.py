"""The candidate graph: for each mentee, the best K mentors by score among those passing every rule.

Mentees are processed in blocks so memory stays bounded (a block of mentees x all mentors),
and per mentee the number of mentors each rule ruled out is kept, to explain who is left
unmatched. Mentors without capacity left count as passing but are never candidates.

The graph is only where the search starts. Every other passing pair is kept compactly in
:class:`Outside` (the mentor, and the score rounded up to half precision), so :mod:`.engine`
can check each of them against the assignment's prices and bring in those that could
improve it, scored exactly by :func:`score_pairs`. The result is therefore the optimum over
every passing pair, whatever ``top_k``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rm_plugin.matching import rules, scoring
from rm_plugin.matching.applicants import MatchSettings
from rm_plugin.matching.availability import SLOT_MINUTES
from rm_plugin.matching.encoding import Encoded

DEFAULT_TOP_K = 30
BLOCK = 256


@dataclass
class Edges:
    """Pairs (mentee index, mentor index) in (mentee, mentor) order, with their built-in score and terms."""

    rows: np.ndarray
    cols: np.ndarray
    score: np.ndarray
    terms: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, mask: np.ndarray) -> Edges:
        return Edges(
            self.rows[mask],
            self.cols[mask],
            self.score[mask],
            {name: values[mask] for name, values in self.terms.items()},
        )


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
    usable: np.ndarray  # per mentee: how many passing mentors have capacity left
    outside: Outside  # the passing pairs with capacity left that are not (yet) in the graph
    n_mentors: int = 0
    timings: dict[str, float] = field(default_factory=dict)  # thread-seconds per phase, summed
    vetoes: dict[int, str] = field(default_factory=dict)  # mentee index -> last veto reason
    vetoed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # sorted pair keys
    veto_count: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # per mentee

    def __post_init__(self) -> None:
        if len(self.veto_count) != len(self.passing):
            self.veto_count = np.zeros(len(self.passing), dtype=np.int64)

    def __len__(self) -> int:
        return len(self.rows)

    def keys(self) -> np.ndarray:
        """``mentee * n_mentors + mentor`` per edge: sorted, since edges are in (mentee, mentor) order."""
        return self.rows * max(self.n_mentors, 1) + self.cols

    def add(self, edges: Edges) -> None:
        """Merge ``edges`` (none of them in the graph yet), keeping (mentee, mentor) order."""
        before = len(self.rows)
        rows = np.concatenate((self.rows, edges.rows))
        cols = np.concatenate((self.cols, edges.cols))
        order = np.lexsort((cols, rows))
        self.rows, self.cols = rows[order], cols[order]
        self.score = np.concatenate((self.score, edges.score))[order]
        # A term may be new to the graph: a plugin term first seen on widened pairs, when every
        # pair of the first graph was vetoed. The pairs without it count it as 0.
        names = list(self.terms) + [name for name in edges.terms if name not in self.terms]
        merged = {
            name: np.concatenate((_term(self.terms, name, before), _term(edges.terms, name, len(edges))))
            for name in names
        }
        self.terms = {name: values[order] for name, values in merged.items()}


def _term(terms: dict[str, np.ndarray], name: str, size: int) -> np.ndarray:
    return terms[name] if name in terms else np.zeros(size)


@dataclass
class OutsideBlock:
    """The pairs left out for consecutive mentees ``first``, ``first + 1``, … in CSR layout."""

    first: int
    start: np.ndarray  # per mentee + 1: where its pairs begin in ``cols`` / ``bound``
    cols: np.ndarray  # uint16 when mentors are fewer than 65,536
    bound: np.ndarray  # float16


@dataclass
class Outside:
    """Passing pairs left out of the graph: 4 bytes a pair, kept in the blocks they were found in.

    ``bound`` is each pair's built-in score rounded up to half precision (an upper bound, so
    a check against it never misses a pair); ``-inf`` once the pair joined the graph or was
    vetoed. A pair's position is its index across the blocks, in order.
    """

    blocks: list[OutsideBlock] = field(default_factory=list)

    def __len__(self) -> int:
        return sum(len(block.cols) for block in self.blocks)

    def best(self) -> float:
        """The highest bound still outside (0 when none)."""
        return max((float(np.nanmax(b.bound, initial=0.0)) for b in self.blocks if len(b.bound)), default=0.0)

    def above(self, floor: np.ndarray, ceiling: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pairs whose ``bound`` is above ``floor[mentee] + ceiling[mentor]``, as (mentees,
        mentors, positions), block by block so the check needs little memory of its own."""
        found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        offset = 0
        for block in self.blocks:
            if len(block.cols):
                rows = block.first + np.repeat(np.arange(len(block.start) - 1), np.diff(block.start))
                cols = block.cols.astype(np.int64)
                hit = np.flatnonzero(block.bound > floor[rows] + ceiling[cols])
                found.append((rows[hit], cols[hit], offset + hit))
            offset += len(block.cols)
        if not found:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        return tuple(np.concatenate(parts) for parts in zip(*found, strict=True))  # type: ignore[return-value]

    def drop(self, positions: np.ndarray) -> None:
        """Take the pairs at ``positions`` (from :meth:`above`) out: they joined the graph."""
        ends = np.cumsum([len(block.cols) for block in self.blocks])
        which = np.searchsorted(ends, positions, side="right")
        for index in np.unique(which).tolist():
            block = self.blocks[index]
            local = positions[which == index] - (ends[index] - len(block.cols))
            block.bound[local] = -np.inf


def _upper_half(score: np.ndarray) -> np.ndarray:
    """``score`` in half precision, rounded up where rounding went down."""
    half = score.astype(np.float16)
    low = half.astype(np.float64) < score
    half[low] = np.nextafter(half[low], np.float16(np.inf))
    return half


class _Evaluator:
    """Rules and scores for a set of mentees against every mentor."""

    def __init__(
        self,
        enc: Encoded,
        settings: MatchSettings,
        forbidden: Mapping[str, Mapping[int, np.ndarray]],
        seed_by_overlap: bool,
    ) -> None:
        self.enc, self.settings, self.forbidden = enc, settings, forbidden
        self.names = settings.active_rules()
        self.eligibility = rules.eligible(enc, settings)
        self.forbidden_keys = rules.pair_keys(forbidden, len(enc.mentors))
        self.seeded = settings.min_overlap_hours > 0 and seed_by_overlap

    def passing(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any] | None]:
        """The passing pairs of ``rows`` as (position in rows, mentor, overlap hours), in that order.

        With a minimum overlap rule only pairs with enough common hours are looked at, found
        by a sparse product; otherwise every pair. Both give the same pairs. The dense way
        also returns the rule masks.
        """
        enc, settings = self.enc, self.settings
        if self.seeded:
            r, c, hours = scoring.overlapping_pairs(enc, rows, settings.min_overlap_hours)
            ok = rules.evaluate_pairs(enc, rows[r], c, settings, self.eligibility, self.forbidden_keys)
            return r[ok], c[ok], hours[ok], None
        hours_all = scoring.overlap_hours(enc, rows)
        masks = rules.evaluate(enc, rows, settings, self.eligibility, self.forbidden, hours_all)
        ok = np.ones((len(rows), len(enc.mentors)), dtype=bool)
        for name in self.names:
            ok &= masks[name]
        r, c = np.nonzero(ok)
        return r, c, hours_all[r, c], masks

    def ruled_out(self, rows: np.ndarray, nobody: np.ndarray, masks: dict[str, Any] | None) -> np.ndarray:
        """Per mentee of ``rows[nobody]`` and rule: how many mentors that rule alone fails."""
        n_m = len(self.enc.mentors)
        out = np.zeros((len(nobody), len(self.names)), dtype=np.int64)
        for i, local in enumerate(nobody.tolist()):
            if masks is None:
                one = rows[local : local + 1]
                row_masks = rules.evaluate(
                    self.enc,
                    one,
                    self.settings,
                    self.eligibility,
                    self.forbidden,
                    scoring.overlap_hours(self.enc, one),
                )
                at = 0
            else:
                row_masks, at = masks, local
            for j, name in enumerate(self.names):
                out[i, j] = n_m - np.count_nonzero(row_masks[name][at])
        return out

    def scored(
        self, rows: np.ndarray, r: np.ndarray, c: np.ndarray, hours: np.ndarray
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        values = scoring.terms(self.enc, rows, r, c, self.settings, hours)
        return scoring.total(values, self.settings).astype(np.float64), values


def _blocks(indices: np.ndarray, block: int) -> Iterator[np.ndarray]:
    for start in range(0, len(indices), block):
        yield indices[start : start + block]


def _pool() -> ThreadPoolExecutor:
    # numpy and BLAS release the GIL, so blocks run in parallel on the machine's cores
    return ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)))


def build(
    enc: Encoded,
    settings: MatchSettings,
    forbidden: Mapping[str, Mapping[int, np.ndarray]],
    *,
    top_k: int = DEFAULT_TOP_K,
    block: int = BLOCK,
    seed_by_overlap: bool = True,
) -> CandidateGraph:
    """The candidate graph of a run: each mentee's ``top_k`` best mentors with capacity left."""
    n_e, n_m = len(enc.mentees), len(enc.mentors)
    evaluator = _Evaluator(enc, settings, forbidden, seed_by_overlap)
    names = evaluator.names
    passing = np.zeros(n_e, dtype=np.int64)
    usable_count = np.zeros(n_e, dtype=np.int64)
    ruled_out = np.zeros((n_e, len(names)), dtype=np.int64)
    mentor_passing = np.zeros(n_m, dtype=np.int64)
    col_type = np.uint16 if n_m <= np.iinfo(np.uint16).max else np.int32
    if n_e == 0 or n_m == 0:
        return CandidateGraph(
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0),
            {},
            names,
            passing,
            ruled_out,
            mentor_passing,
            usable_count,
            Outside(),
            n_m,
        )
    usable = enc.mentors.capacity > 0
    k = max(1, min(top_k, n_m))

    def one_block(rows: np.ndarray) -> tuple[np.ndarray, dict[str, Any], float, float]:
        size = len(rows)
        clock = time.perf_counter()
        r, c, hours, masks = evaluator.passing(rows)
        out: dict[str, Any] = {
            "passing": np.bincount(r, minlength=size),
            "mentor_passing": np.bincount(c, minlength=n_m),
        }
        # how many mentors each rule rules out, for mentees nobody passes (to explain why)
        nobody = np.flatnonzero(out["passing"] == 0)
        out["nobody"] = nobody
        out["ruled_out"] = evaluator.ruled_out(rows, nobody, masks)
        del masks
        keep = usable[c]
        r, c, hours = r[keep], c[keep], hours[keep]
        rules_time = time.perf_counter() - clock
        clock = time.perf_counter()
        total, values = evaluator.scored(rows, r, c, hours)
        counts = np.bincount(r, minlength=size)
        out["usable"] = counts
        widest = int(counts.max(initial=0))
        left = np.zeros(len(r), dtype=bool)
        if widest > k:
            # each mentee's k best: lay each mentee's passing pairs out in a row (they come in
            # mentee order) and partially sort the rows; deterministic for the same input
            starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
            ranked = np.full((size, widest), -np.inf)
            ranked[r, np.arange(len(r)) - starts[r]] = total
            top = np.argpartition(-ranked, k - 1, axis=1)[:, :k]
            valid = top < counts[:, None]
            chosen = np.sort((starts[:, None] + top)[valid])
            left[:] = True
            left[chosen] = False
        else:
            chosen = np.arange(len(r))
        out["outside"] = OutsideBlock(
            int(rows[0]),
            np.concatenate(([0], np.cumsum(np.bincount(r[left], minlength=size)))),
            c[left].astype(col_type),
            _upper_half(total[left]),
        )
        out["rows"] = rows[r[chosen]]
        out["cols"] = c[chosen]
        out["score"] = total[chosen]
        out["terms"] = {name: value[chosen] for name, value in values.items()}
        return rows, out, rules_time, time.perf_counter() - clock

    timings = {"rules": 0.0, "scoring": 0.0}
    rows_out: list[np.ndarray] = []
    cols_out: list[np.ndarray] = []
    score_out: list[np.ndarray] = []
    terms_out: dict[str, list[np.ndarray]] = {}
    outside = Outside()
    with _pool() as pool:
        for rows, out, rules_time, score_time in pool.map(one_block, _blocks(np.arange(n_e), block)):
            ruled_out[rows[out["nobody"]]] = out["ruled_out"]
            passing[rows] = out["passing"]
            usable_count[rows] = out["usable"]
            outside.blocks.append(out["outside"])
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
        usable=usable_count,
        outside=outside,
        n_mentors=n_m,
        timings=timings,
    )


def score_pairs(enc: Encoded, settings: MatchSettings, rows: np.ndarray, cols: np.ndarray) -> Edges:
    """The built-in score and terms of the pairs ``(rows[i], cols[i])`` (sorted), exactly as
    :func:`build` scores them; the pairs must already pass the rules."""
    hours = np.asarray(
        enc.mentees.availability[rows].multiply(enc.mentors.availability[cols]).sum(axis=1)
    ).ravel().astype(np.float32) * np.float32(SLOT_MINUTES / 60)
    values = scoring.terms(enc, rows, np.arange(len(rows)), cols, settings, hours)
    return Edges(rows, cols, scoring.total(values, settings).astype(np.float64), values)
