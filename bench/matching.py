"""Benchmark matching on synthetic organisations; prints a table of figures.

    python bench/matching.py                          # 3k, 20k and 100k people, mentor ratios 0.75 and 0.4
    python bench/matching.py --sizes 300 --ratios 0.4 # a quick run

Sizes are mentee counts; an organisation has ten times as many people. Each size and ratio
runs in its own process so its peak memory (max RSS) is its own. The organisation is a
management tree with levels falling with depth, departments per top branch, teams below,
Zipf-skewed skills, five time zones and mentor capacities of 1-3.

Figures per size and mentor ratio: wall time per phase; the candidate graph the search
started from and the pairs it was widened by; the pairs made over the maximum that can be
made (a maximum flow over every pair that passes the rules, SciPy's Dinic, independent of
the engine's solver); the total score over a greedy baseline (best pair first while
capacity lasts, on the final candidate graph); and, up to ``DENSE_LIMIT`` mentees, the pairs
and score against the exact dense optimum (``linear_sum_assignment`` over every passing
pair, capacity by column duplication, the most pairs first). Then the time of ``match show
--pair`` (what a reviewer reads, with who may review) at 100k people as a ratio to 3k, in
the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import tempfile
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
    """A synthetic organisation of ``10 x n_mentees`` people: ``n_mentees`` senior mentees and
    ``mentor_ratio`` x as many mentors."""
    managers, level, branch, team, rng = tree(10 * n_mentees, seed)
    ids = list(managers)
    size = len(ids)
    org = OrgIndex(managers)
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


def tree(
    size: int, seed: int
) -> tuple[dict[str, str | None], np.ndarray, np.ndarray, np.ndarray, np.random.Generator]:
    """A wide, shallow management tree: each person reports to one of the earlier ones."""
    rng = np.random.default_rng(seed)
    parent = np.full(size, -1)
    depth = np.zeros(size, dtype=int)
    for i in range(1, size):
        parent[i] = rng.integers(max(0, (i - 1) // 7 - 3), (i - 1) // 7 + 1)
        depth[i] = depth[parent[i]] + 1
    level = np.clip(13 - depth - rng.integers(0, 3, size), 1, 12)
    branch = np.zeros(size, dtype=int)
    team = np.zeros(size, dtype=int)
    for i in range(1, size):
        branch[i] = i if depth[i] == 1 else branch[parent[i]]
        team[i] = i if depth[i] == 3 else team[parent[i]]
    ids = [f"E{i:07d}" for i in range(size)]
    managers = {ids[i]: (ids[parent[i]] if parent[i] >= 0 else None) for i in range(size)}
    return managers, level, branch, team, rng


def settings() -> MatchSettings:
    return MatchSettings(
        seniority=SeniorityRule(min_level_gap=2),
        not_same_team=True,
        shared_language=True,
        min_overlap_hours=1.0,
        week_of=dt.date(2026, 3, 2),
    )


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


def passing_pairs(outcome: engine.Outcome, cfg: MatchSettings) -> tuple[np.ndarray, np.ndarray]:
    """Every pair that passes the rules with a mentor who has capacity (mentee, mentor indices)."""
    evaluator = candidates._Evaluator(outcome.encoded, cfg, {}, seed_by_overlap=True)
    usable = outcome.encoded.mentors.capacity > 0
    rows_out, cols_out = [], []
    for start in range(0, len(outcome.encoded.mentees), candidates.BLOCK):
        rows = np.arange(start, min(start + candidates.BLOCK, len(outcome.encoded.mentees)))
        r, c, _, _ = evaluator.passing(rows)
        keep = usable[c]
        rows_out.append(rows[r[keep]].astype(np.int32))
        cols_out.append(c[keep].astype(np.int32))
    return np.concatenate(rows_out), np.concatenate(cols_out)


def maximum_pairs(n_mentees: int, capacity: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> int:
    """The most pairs that can be made: a maximum flow source -> mentee -> mentor -> sink."""
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import maximum_flow

    n_m = len(capacity)
    source, sink = n_mentees + n_m, n_mentees + n_m + 1
    tails = np.concatenate((np.full(n_mentees, source), rows, n_mentees + np.arange(n_m)))
    heads = np.concatenate((np.arange(n_mentees), n_mentees + cols, np.full(n_m, sink)))
    caps = np.concatenate((np.ones(n_mentees), np.ones(len(rows)), capacity)).astype(np.int32)
    graph = csr_array((caps, (tails, heads)), shape=(sink + 1, sink + 1))
    return int(maximum_flow(graph, source, sink).flow_value)


def dense_optimum(outcome: engine.Outcome, cfg: MatchSettings) -> tuple[int, float]:
    """The exact optimum over every passing pair: the most pairs, then the best score."""
    from scipy.optimize import linear_sum_assignment

    enc = outcome.encoded
    full = candidates.build(enc, cfg, {}, top_k=len(enc.mentors) + 1)
    caps = enc.mentors.capacity
    owner = np.repeat(np.arange(len(caps)), caps)
    bonus = assignment.pair_bonus(
        "most_pairs", float(full.score.max(initial=0)), len(enc.mentees), len(owner)
    )
    value = np.zeros((len(enc.mentees), len(caps)))
    value[full.rows, full.cols] = full.score + bonus
    score = np.zeros_like(value)
    score[full.rows, full.cols] = full.score
    r, c = linear_sum_assignment(value[:, owner], maximize=True)
    made = value[:, owner][r, c] > 0
    return int(made.sum()), float(score[:, owner][r, c][made].sum())


def one(n: int, top_k: int, mentor_ratio: float) -> dict:
    org, mentees, mentors = organisation(n, mentor_ratio=mentor_ratio)
    cfg = settings()
    clock = time.perf_counter()
    outcome = engine.run(mentees, mentors, cfg, org=org, top_k=top_k)
    end_to_end = time.perf_counter() - clock
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the checks below
    g = outcome.graph
    capacity = outcome.encoded.mentors.capacity
    rows, cols = passing_pairs(outcome, cfg)
    figures = {
        "mentees": n,
        "people": 10 * n,
        "ratio": mentor_ratio,
        "mentors": len(mentors),
        "slots": int(capacity.sum()),
        "passing": len(rows),
        "edges": len(g) - outcome.widened,
        "widened": outcome.widened,
        "rounds": outcome.rounds,
        "encode_s": outcome.timings["encode"],
        "candidates_s": outcome.timings["candidates"] + outcome.timings["scoring"],
        "solve_s": outcome.timings["solve"] + outcome.timings["widen"],
        "end_to_end_s": end_to_end,
        "peak_mb": peak,
        "pairs": len(outcome.proposals),
        "max_pairs": maximum_pairs(len(mentees), capacity, rows, cols),
        "total": outcome.total_score,
        "vs_greedy": outcome.total_score / max(greedy(len(mentees), capacity, g.rows, g.cols, g.score), 1e-9),
    }
    if n <= DENSE_LIMIT:
        pairs, score = dense_optimum(outcome, cfg)
        figures["dense_pairs"] = pairs
        figures["vs_dense"] = outcome.total_score / score if score else 1.0
    return figures


def show_pair_seconds(people: int, repeats: int = 21) -> dict:
    """The median time of `match show --pair` (pair_review) on a database of ``people`` people."""
    import sqlalchemy as sa

    from rm_plugin.matching.review import pair_review
    from rm_plugin.store import Database
    from rm_plugin.store.models import Pair, Person, Programme
    from rm_plugin.unit_of_work import UnitOfWork

    managers, level, *_ = tree(people, seed=11)
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        db.upgrade()
        rows = [
            {
                "hr_id": hr,
                "email": f"{hr.lower()}@example.com",
                "given_name": hr,
                "job_level": int(level[i]),
                "manager_hr_id": manager,
                "languages": [],
                "status": "active",
            }
            for i, (hr, manager) in enumerate(managers.items())
        ]
        with db.engine.begin() as conn:
            for start in range(0, len(rows), 5000):
                conn.execute(sa.insert(Person), rows[start : start + 5000])
        with db.transaction() as s:
            programme = Programme(slug="bench", name="Bench")
            s.add(programme)
            s.flush()
            ids = dict(s.execute(sa.select(Person.hr_id, Person.id)).all())
            senior, junior = "E0000010", f"E{people - 1:07d}"
            s.add(Pair(programme_id=programme.id, mentee_id=ids[senior], mentor_id=ids[junior], score=1.0))
        with db.transaction() as s:
            pair_id = s.scalars(sa.select(Pair.id)).one()
        times = []
        for _ in range(repeats + 1):
            clock = time.perf_counter()
            with db.transaction() as s:
                review = pair_review(UnitOfWork(s), "bench", pair_id)
            times.append(time.perf_counter() - clock)
        db.dispose()
    return {"people": people, "seconds": statistics.median(times[1:]), "may_review": len(review.may_review)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="300,2000,10000", help="mentee counts (x10 people), comma-separated"
    )
    parser.add_argument("--ratios", default="0.75,0.4", help="mentors per mentee, comma-separated")
    parser.add_argument("--top-k", type=int, default=candidates.DEFAULT_TOP_K, help="where the search starts")
    parser.add_argument("--show-sizes", default="3000,100000", help="people for the match show --pair timing")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ratio", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--show", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.top_k, args.ratio)))
        return
    if args.show:
        print(json.dumps(show_pair_seconds(args.show)))
        return

    def child(*extra: str) -> dict:
        out = subprocess.run([sys.executable, __file__, *extra], check=True, capture_output=True, text=True)
        return json.loads(out.stdout)

    print(f"search starts from top_k = {args.top_k} candidates per mentee; objective most_pairs")
    print(
        "times in seconds (build is thread-seconds of rules and scoring summed over the worker threads; "
        "e2e is wall time); peak = max RSS of the run"
    )
    print(
        f"{'people':>7} {'ratio':>5} {'mentees':>7} {'mentors':>7} {'slots':>6} {'passing':>9} {'edges':>7} "
        f"{'widened':>7} {'rounds':>6} {'encode':>6} {'build':>6} {'solve':>6} {'e2e s':>6} {'peak MB':>7} "
        f"{'pairs':>6} {'max':>6} {'pairs/max':>9} {'/greedy':>7} {'dense pairs':>11} {'score/dense':>11}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        for ratio in (float(r) for r in args.ratios.split(",")):
            f = child("--one", str(size), "--ratio", str(ratio), "--top-k", str(args.top_k))
            dense_pairs = f"{f['dense_pairs']:>11}" if "dense_pairs" in f else f"{'-':>11}"
            dense = f"{f['vs_dense']:11.6f}" if "vs_dense" in f else f"{'-':>11}"
            print(
                f"{f['people']:>7} {f['ratio']:>5g} {f['mentees']:>7} {f['mentors']:>7} {f['slots']:>6} "
                f"{f['passing']:>9} {f['edges']:>7} {f['widened']:>7} {f['rounds']:>6} {f['encode_s']:6.2f} "
                f"{f['candidates_s']:6.2f} {f['solve_s']:6.2f} {f['end_to_end_s']:6.2f} {f['peak_mb']:7.0f} "
                f"{f['pairs']:>6} {f['max_pairs']:>6} {f['pairs'] / max(f['max_pairs'], 1):9.6f} "
                f"{f['vs_greedy']:7.4f} {dense_pairs} {dense}",
                flush=True,
            )
    shows = [child("--show", size) for size in args.show_sizes.split(",")]
    base = shows[0]
    print("\nmatch show --pair (one pair, who may review it):")
    for s in shows:
        print(
            f"  {s['people']:>7} people: {s['seconds'] * 1000:7.1f} ms, {s['may_review']} reviewers listed, "
            f"{s['seconds'] / base['seconds']:.2f} x the {base['people']}-people time"
        )


if __name__ == "__main__":
    main()
