"""An exact maximum-score assignment on the candidate graph, with mentor capacities.

Each mentor with capacity k becomes k slots; each mentee gets a private "unmatched" column
(or, when slots are fewer than mentees, each slot a private "unused" one), so a full
matching of the smaller side always exists. SciPy's sparse LAPJV
(``min_weight_full_bipartite_matching``) then finds the minimum of ``C - score`` over real
edges (``C`` above every score), which is the maximum total score. The unmatched column
costs a hair more than ``C``, so a zero-score candidate still beats leaving someone alone.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching


def solve(
    n_mentees: int, capacity: np.ndarray, rows: np.ndarray, cols: np.ndarray, score: np.ndarray
) -> np.ndarray:
    """Mentor index per mentee (``-1`` when unmatched), maximising the total score.

    :param capacity: mentees each mentor may still take (0 leaves the mentor out).
    :param rows, cols, score: the candidate edges (mentee index, mentor index, score >= 0).
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
    unmatched_cost = ceiling + 1e-7 * ceiling
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
