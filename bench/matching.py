"""Benchmark the matching engine on synthetic organisations; prints a table of figures.

    python bench/matching.py                 # 1k, 5k and 20k mentees
    python bench/matching.py --sizes 500     # a quick run

Each size runs in its own process so its peak memory (max RSS) is its own. The organisation is
a management tree with levels falling with depth, departments per top branch, teams below,
Zipf-skewed skills, five time zones and mentor capacities of 1-3. Figures per size:
wall time per phase, the candidate graph, the total score, the ratio to a greedy baseline
(best edge first while capacity lasts) on the same candidate graph, the ratio to the exact
dense optimum (``linear_sum_assignment`` over every pair passing the rules, capacity by
column duplication) where that is feasible, and end-to-end time over the bare solver time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rm_plugin.domain.orgtree import OrgIndex
from rm_plugin.domain.seniority import SeniorityRule
from rm_plugin.matching import assignment, candidates, engine
from rm_plugin.matching.applicants import Applicant, MatchSettings

ZONES = ["Europe/London", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Singapore"]
DAYS = ["mon", "tue", "wed", "thu", "fri"]
DENSE_LIMIT = 3000


def organisation(
    n_mentees: int, seed: int = 7, mentor_ratio: float = 0.75
) -> tuple[OrgIndex, list[Applicant], list[Applicant]]:
    """A synthetic organisation with ``n_mentees`` senior mentees and ``mentor_ratio`` x as many mentors."""
    rng = np.random.default_rng(seed)
    size = 10 * n_mentees
    parent = np.full(size, -1)
    depth = np.zeros(size, dtype=int)
    for i in range(1, size):  # a wide, shallow tree: each person reports to one of the earlier ones
        parent[i] = rng.integers(max(0, (i - 1) // 7 - 3), (i - 1) // 7 + 1)
        depth[i] = depth[parent[i]] + 1
    level = np.clip(13 - depth - rng.integers(0, 3, size), 1, 12)
    branch = np.zeros(size, dtype=int)
    team = np.zeros(size, dtype=int)
    for i in range(1, size):
        branch[i] = i if depth[i] == 1 else branch[parent[i]]
        team[i] = i if depth[i] == 3 else team[parent[i]]
    ids = [f"E{i:07d}" for i in range(size)]
    org = OrgIndex({ids[i]: (ids[parent[i]] if parent[i] >= 0 else None) for i in range(size)})
    order = np.lexsort((rng.random(size), -level))
    mentee_idx = order[:n_mentees]
    mentor_idx = order[::-1][: int(mentor_ratio * n_mentees)]
    skills = [f"skill{k}" for k in range(40)]
    popularity = 1 / np.arange(1, 41) ** 1.1
    popularity /= popularity.sum()

    def common(i: int) -> dict:
        tz = ZONES[int(rng.choice(5, p=[0.35, 0.25, 0.2, 0.1, 0.1]))]
        windows = tuple(
            {"day": DAYS[d], "start": f"{h:02d}:00", "end": f"{h + int(rng.integers(1, 3)):02d}:00"}
            for d, h in zip(rng.choice(5, 2, replace=False), rng.integers(8, 16, 2), strict=True)
        )
        return {
            "job_level": int(level[i]),
            "hire_date": dt.date(2000, 1, 1) + dt.timedelta(days=int(rng.integers(0, 9000))),
            "department": f"D{branch[i]}",
            "team": f"T{team[i]}",
            "location": tz.split("/")[1],
            "time_zone": tz,
            "languages": ("en",) if rng.random() < 0.8 else ("en", "de"),
            "interests": tuple(f"i{k}" for k in rng.choice(20, 3, replace=False)),
            "learning_style": ["visual", "reading", "hands-on", "discussion"][int(rng.integers(4))],
            "meeting_mode": ["either", "remote", "in_person"][int(rng.choice(3, p=[0.6, 0.3, 0.1]))],
            "availability": windows,
        }

    mentees = [
        Applicant(
            ids[i],
            "mentee",
            skills_wanted={
                skills[k]: int(rng.integers(1, 4))
                for k in rng.choice(40, int(rng.integers(2, 5)), replace=False, p=popularity)
            },
            **common(i),
        )
        for i in mentee_idx
    ]
    mentors = [
        Applicant(
            ids[i],
            "mentor",
            skills_offered=tuple(
                skills[k]
                for k in rng.choice(
                    40, int(rng.integers(2, 6)), replace=False, p=popularity[::-1] * 0.3 + popularity * 0.7
                )
            ),
            capacity=int(rng.choice([1, 2, 3], p=[0.5, 0.3, 0.2])),
            **common(i),
        )
        for i in mentor_idx
    ]
    return org, mentees, mentors


def greedy(
    n_mentees: int, capacity: np.ndarray, rows: np.ndarray, cols: np.ndarray, score: np.ndarray
) -> float:
    """The baseline most platforms use: best pair first, while capacity lasts."""
    left = capacity.copy()
    taken = np.zeros(n_mentees, dtype=bool)
    total = 0.0
    for edge in np.argsort(-score, kind="stable"):
        r, c = rows[edge], cols[edge]
        if not taken[r] and left[c] > 0:
            taken[r] = True
            left[c] -= 1
            total += float(score[edge])
    return total


def dense_optimum(outcome: engine.Outcome, settings: MatchSettings) -> tuple[float, float]:
    """The exact optimum over every pair passing the rules, and the time it took."""
    from scipy.optimize import linear_sum_assignment

    enc = outcome.encoded
    clock = time.perf_counter()
    full = candidates.build(enc, settings, {}, top_k=len(enc.mentors))
    caps = enc.mentors.capacity
    owner = np.repeat(np.arange(len(caps)), caps)
    matrix = np.zeros((len(enc.mentees), len(caps)))
    matrix[full.rows, full.cols] = full.score + 1e-9
    matrix = matrix[:, owner]
    r, c = linear_sum_assignment(matrix, maximize=True)
    return float(matrix[r, c].sum()), time.perf_counter() - clock


def one(n: int, top_k: int, mentor_ratio: float) -> dict:
    org, mentees, mentors = organisation(n, mentor_ratio=mentor_ratio)
    settings = MatchSettings(
        seniority=SeniorityRule(min_level_gap=2),
        not_same_team=True,
        shared_language=True,
        min_overlap_hours=1.0,
        week_of=dt.date(2026, 3, 2),
    )
    clock = time.perf_counter()
    outcome = engine.run(mentees, mentors, settings, org=org, top_k=top_k)
    end_to_end = time.perf_counter() - clock
    g = outcome.graph
    # the bare solver on the same candidate graph
    clock = time.perf_counter()
    assignment.solve(len(mentees), outcome.encoded.mentors.capacity, g.rows, g.cols, g.score)
    bare = time.perf_counter() - clock
    figures = {
        "mentees": n,
        "mentors": len(mentors),
        "slots": int(outcome.encoded.mentors.capacity.sum()),
        "edges": len(g),
        "encode_s": outcome.timings["encode"],
        "candidates_s": outcome.timings["candidates"],
        "scoring_s": outcome.timings["scoring"],
        "solve_s": outcome.timings["solve"],
        "explain_s": outcome.timings["explain"],
        "end_to_end_s": end_to_end,
        "e2e_over_solver": end_to_end / bare if bare else float("nan"),
        "matched": len(outcome.proposals),
        "total": outcome.total_score,
        "vs_greedy": outcome.total_score
        / max(greedy(len(mentees), outcome.encoded.mentors.capacity, g.rows, g.cols, g.score), 1e-9),
    }
    if n <= DENSE_LIMIT:
        optimum, seconds = dense_optimum(outcome, settings)
        figures["vs_dense"] = outcome.total_score / optimum
        figures["dense_s"] = seconds
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,3000,5000,20000", help="mentee counts, comma-separated")
    parser.add_argument("--top-k", type=int, default=candidates.DEFAULT_TOP_K)
    parser.add_argument(
        "--mentor-ratio",
        type=float,
        default=0.75,
        help="mentors per mentee (capacity 1-3 each); lower is scarcer",
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.top_k, args.mentor_ratio)))
        return
    header = (
        f"{'mentees':>8} {'mentors':>7} {'slots':>6} {'edges':>8} {'encode':>7} {'rules':>7} {'score':>7} "
        f"{'solve':>7} {'e2e s':>7} {'e2e/slv':>7} {'matched':>7} {'total':>10} {'/greedy':>8} "
        f"{'/dense':>8} {'dense s':>7} {'peak MB':>8}"
    )
    print(f"top_k = {args.top_k}, {args.mentor_ratio:g} mentors per mentee (capacity 1-3 each)")
    print(
        "times in seconds; rules and score are thread-seconds summed over the worker threads "
        "(blocks run in parallel), e2e s is wall time; peak = max RSS for that size"
    )
    print(header)
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                str(size),
                "--top-k",
                str(args.top_k),
                "--mentor-ratio",
                str(args.mentor_ratio),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        f = json.loads(out.stdout)
        dense = f"{f['vs_dense']:8.6f}" if "vs_dense" in f else f"{'-':>8}"
        dense_s = f"{f['dense_s']:7.2f}" if "dense_s" in f else f"{'-':>7}"
        print(
            f"{f['mentees']:>8} {f['mentors']:>7} {f['slots']:>6} {f['edges']:>8} {f['encode_s']:7.2f} "
            f"{f['candidates_s']:7.2f} {f['scoring_s']:7.2f} {f['solve_s']:7.2f} {f['end_to_end_s']:7.2f} "
            f"{f['e2e_over_solver']:7.1f} {f['matched']:>7} {f['total']:10.1f} {f['vs_greedy']:8.4f} "
            f"{dense} {dense_s} {f['peak_mb']:8.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
