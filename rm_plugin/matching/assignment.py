"""An exact assignment on the candidate graph, with mentor capacities, and the prices that prove it.

Each mentor with capacity k becomes k slots; each mentee gets a private "unmatched" column
(or, when slots are fewer than mentees, each slot a private "unused" one), so a full
matching of the smaller side always exists. SciPy's sparse LAPJV
(``min_weight_full_bipartite_matching``) then finds the minimum of ``C - score`` over real
edges (``C`` above every score). The private column costs ``C + bonus``, so the solve
maximises the sum of ``score + bonus`` over the pairs made:

- ``most_pairs`` (the default objective): the bonus is larger than any total score, so the
  most pairs are made, and among the ways to make that many, the best total score wins;
- ``best_score``: the bonus is a hair above zero, so the best total score wins and a pair
  scoring zero is still preferred to leaving someone alone.

:func:`prices` turns a solved assignment into the prices of the linear programme's dual: a
price per mentee and per mentor with ``price(mentee) + price(mentor) >= score + bonus`` on
every edge of the graph. A pair outside the graph can improve the result only if its
``score + bonus`` is above the two prices, which is how :mod:`.engine` proves (or widens
until) the optimum over every pair that passes the rules.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

OBJECTIVES = ("most_pairs", "best_score")


class SolverError(RuntimeError):
    """The assignment could not be proven optimal (a bug, not bad input)."""


def pair_bonus(objective: str, max_score: float, n_mentees: int, n_slots: int) -> float:
    """What each pair made adds to the objective on top of its score (see the module docstring)."""
    if objective == "best_score":
        return 1e-7 * (max_score + 1.0)
    # larger than the best possible total score, so one more pair always beats any score
    return (max_score + 1.0) * (min(n_mentees, n_slots) + 1)


def solve(
    n_mentees: int,
    capacity: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    score: np.ndarray,
    *,
    objective: str = "most_pairs",
    bonus: float | None = None,
) -> np.ndarray:
    """Mentor index per mentee (``-1`` when unmatched), optimal for ``objective``.

    :param capacity: mentees each mentor may still take (0 leaves the mentor out).
    :param rows, cols, score: the candidate edges (mentee index, mentor index, score >= 0).
    :param bonus: the per-pair bonus, when the caller fixed it (see :func:`pair_bonus`).
    """
    match = np.full(n_mentees, -1, dtype=np.int64)
    capacity = np.maximum(np.asarray(capacity, dtype=np.int64), 0)
    usable = capacity[cols] > 0 if len(cols) else np.zeros(0, dtype=bool)
    rows, cols, score = rows[usable], cols[usable], np.asarray(score, dtype=np.float64)[usable]
    if n_mentees == 0 or len(rows) == 0:
        return match
    slot_start = np.concatenate(([0], np.cumsum(capacity)[:-1]))
    n_slots = int(capacity.sum())
    per_edge = capacity[cols]
    edge_rows = np.repeat(rows, per_edge)
    edge_score = np.repeat(score, per_edge)
    # slot j of mentor c is column slot_start[c] + j
    offsets = np.arange(per_edge.sum()) - np.repeat(np.cumsum(per_edge) - per_edge, per_edge)
    edge_cols = np.repeat(slot_start[cols], per_edge) + offsets
    ceiling = float(score.max()) + 1.0
    if bonus is None:
        bonus = pair_bonus(objective, float(score.max()), n_mentees, n_slots)
    unmatched_cost = ceiling + bonus
    slot_owner = np.repeat(np.arange(len(capacity)), capacity)
    costs = ceiling - edge_score
    if n_slots < n_mentees:
        # fewer slots than mentees: match the slots, each with a private "unused" column, as
        # the solver works fastest when few rows are left on their private column
        all_rows = np.concatenate((edge_cols, np.arange(n_slots)))
        all_cols = np.concatenate((edge_rows, n_mentees + np.arange(n_slots)))
        shape = (n_slots, n_mentees + n_slots)
        graph = csr_matrix(
            (np.concatenate((costs, np.full(n_slots, unmatched_cost))), (all_rows, all_cols)), shape
        )
        slots, mentees = min_weight_full_bipartite_matching(graph)
        real = mentees < n_mentees
        match[mentees[real]] = slot_owner[slots[real]]
        return match
    all_rows = np.concatenate((edge_rows, np.arange(n_mentees)))
    all_cols = np.concatenate((edge_cols, n_slots + np.arange(n_mentees)))
    shape = (n_mentees, n_slots + n_mentees)
    graph = csr_matrix(
        (np.concatenate((costs, np.full(n_mentees, unmatched_cost))), (all_rows, all_cols)), shape
    )
    matched_rows, assigned = min_weight_full_bipartite_matching(graph)
    real = assigned < n_slots
    match[matched_rows[real]] = slot_owner[assigned[real]]
    return match


def prices(
    match: np.ndarray,
    capacity: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    value: np.ndarray,
    *,
    tolerance: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Dual prices ``(mentee, mentor)`` >= 0 of an optimal assignment for edge values ``value``.

    ``mentee[i] + mentor[j] >= value`` on every edge (to ``tolerance``), with equality on the
    pairs made, a price of 0 for an unmatched mentee and for a mentor with a free place.
    They are the shortest distances in the assignment's residual graph (Bellman-Ford, one
    vectorised pass per round); the rounds stay few because alternating paths are short.
    """
    n_e, n_m = len(match), len(capacity)
    capacity = np.maximum(np.asarray(capacity, dtype=np.int64), 0)
    usable = capacity[cols] > 0
    rows, cols, value = rows[usable], cols[usable], np.asarray(value, dtype=np.float64)[usable]
    matched = match[rows] == cols
    load = np.bincount(match[match >= 0], minlength=n_m)
    source, sink = n_e + n_m, n_e + n_m + 1
    mentee_ids = np.arange(n_e)
    mentor_ids = n_e + np.arange(n_m)
    # residual arcs (tail, head, cost) of the assignment as a circulation source -> mentee ->
    # mentor -> sink -> source, with cost -value on a mentee -> mentor arc
    arcs = [
        (rows[~matched], n_e + cols[~matched], -value[~matched]),
        (n_e + cols[matched], rows[matched], value[matched]),
        (np.full(int((match < 0).sum()), source), mentee_ids[match < 0], None),
        (mentee_ids[match >= 0], np.full(int((match >= 0).sum()), source), None),
        (mentor_ids[load < capacity], np.full(int((load < capacity).sum()), sink), None),
        (np.full(int((load > 0).sum()), sink), mentor_ids[load > 0], None),
        (np.array([sink]), np.array([source]), None),
    ]
    if (match >= 0).any():
        arcs.append((np.array([source]), np.array([sink]), None))
    tail = np.concatenate([a[0] for a in arcs]).astype(np.int64)
    head = np.concatenate([a[1] for a in arcs]).astype(np.int64)
    cost = np.concatenate([a[2] if a[2] is not None else np.zeros(len(a[0])) for a in arcs])
    order = np.argsort(head, kind="stable")
    tail, head, cost = tail[order], head[order], cost[order]
    starts = np.flatnonzero(np.concatenate(([True], head[1:] != head[:-1])))
    heads = head[starts]
    distance = np.zeros(n_e + n_m + 2)
    for _ in range(n_e + n_m + 3):
        best = np.minimum.reduceat(distance[tail] + cost, starts)
        better = best < distance[heads] - tolerance
        if not better.any():
            break
        distance[heads[better]] = best[better]
    else:
        raise SolverError("the assignment is not optimal on its own graph (a negative cycle remains)")
    level = distance[source]
    return np.maximum(distance[:n_e] - level, 0.0), np.maximum(level - distance[n_e : n_e + n_m], 0.0)
