"""The exact solver, in both orientations (more slots than mentees, and fewer), against dense LSAP."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from rm_plugin.matching.assignment import solve


def dense_best(n: int, capacity: np.ndarray, rows, cols, score) -> float:
    owner = np.repeat(np.arange(len(capacity)), capacity)
    matrix = np.zeros((n, len(capacity)))
    matrix[rows, cols] = score + 1e-9
    full = matrix[:, owner]
    r, c = linear_sum_assignment(full, maximize=True)
    return float(full[r, c].sum())


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize(("n_mentees", "n_mentors"), [(40, 10), (10, 40), (30, 30)])
def test_solve_is_optimal_and_respects_capacities(seed: int, n_mentees: int, n_mentors: int) -> None:
    rng = np.random.default_rng(seed)
    capacity = rng.integers(0, 4, n_mentors)
    edges = rng.random((n_mentees, n_mentors)) < 0.3
    rows, cols = np.nonzero(edges)
    score = np.round(rng.random(len(rows)) * 5, 2)
    match = solve(n_mentees, capacity, rows, cols, score)
    taken = match[match >= 0]
    assert np.all(np.bincount(taken, minlength=n_mentors) <= capacity)
    lookup = {(int(r), int(c)): float(s) for r, c, s in zip(rows, cols, score, strict=True)}
    assert all((row, int(col)) in lookup for row, col in enumerate(match) if col >= 0)
    total = sum(lookup[(row, int(col))] for row, col in enumerate(match) if col >= 0)
    assert total == pytest.approx(dense_best(n_mentees, capacity, rows, cols, score), abs=1e-6)


def test_no_edges_or_no_capacity_leaves_everyone_unmatched() -> None:
    empty = np.zeros(0, dtype=np.int64)
    assert list(solve(3, np.array([1]), empty, empty, np.zeros(0))) == [-1, -1, -1]
    assert list(solve(2, np.array([0]), np.array([0, 1]), np.array([0, 0]), np.array([1.0, 2.0]))) == [-1, -1]
