"""On random organisations, no proposal breaks a hard rule or a capacity, and the result is optimal.

"Optimal" is checked independently of the engine: the most pairs that can be made is a
maximum flow over the pairs an independent rule checker allows (a small Edmonds-Karp below),
and the best score among them is SciPy's dense assignment over every passing pair.
"""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from rm_plugin.domain.orgtree import OrgIndex
from rm_plugin.domain.seniority import SeniorityRule
from rm_plugin.matching.applicants import Applicant, MatchSettings
from rm_plugin.matching.availability import overlap_hours, weekly_slots
from rm_plugin.matching.engine import Outcome, run

SKILLS = ["ai", "social", "data", "cloud", "video", "security"]
DEPTS = ["Sales", "Tech", "Ops"]
LANGS = ["en", "de", "fr"]
ZONES = ["Europe/London", "Europe/Berlin", "America/New_York", "Asia/Tokyo", ""]


def random_org(seed: int, n: int) -> tuple[dict[str, str | None], list[Applicant], list[Applicant]]:
    rnd = random.Random(seed)
    managers: dict[str, str | None] = {"P0": None}
    levels = {"P0": 10}
    for i in range(1, n):
        boss = f"P{rnd.randrange(i)}"
        managers[f"P{i}"] = boss
        levels[f"P{i}"] = max(1, levels[boss] - rnd.choice([0, 1, 1, 2]))
    mentees: list[Applicant] = []
    mentors: list[Applicant] = []
    for hr, level in levels.items():
        role = rnd.random()
        if role > 0.7:
            continue
        day = rnd.choice(["mon", "tue"])
        start = rnd.randrange(7, 16)
        common = {
            "job_level": level if rnd.random() > 0.05 else None,
            "hire_date": dt.date(2000 + rnd.randrange(25), 1, 1),
            "department": rnd.choice(DEPTS),
            "team": rnd.choice(["x", "y"]),
            "languages": tuple(rnd.sample(LANGS, rnd.randrange(0, 3))),
            "time_zone": rnd.choice(ZONES),
            "availability": (
                {"day": day, "start": f"{start:02d}:00", "end": f"{start + rnd.randrange(1, 5):02d}:00"},
            ),
            "interests": tuple(rnd.sample(["chess", "run", "film", "food"], rnd.randrange(3))),
            "learning_style": rnd.choice(["", "visual", "hands-on"]),
            "meeting_mode": rnd.choice(["either", "remote", "in_person"]),
            "location": rnd.choice(["London", "Berlin"]),
        }
        if level >= 5 and role < 0.4:
            wanted = {s: rnd.randrange(1, 4) for s in rnd.sample(SKILLS, rnd.randrange(1, 4))}
            mentees.append(Applicant(hr, "mentee", skills_wanted=wanted, **common))
        else:
            offered = tuple(rnd.sample(SKILLS, rnd.randrange(0, 4)))
            mentors.append(
                Applicant(hr, "mentor", skills_offered=offered, capacity=rnd.randrange(0, 3), **common)
            )
    return managers, mentees, mentors


rule_flags = st.fixed_dictionaries(
    {
        "not_same_department": st.booleans(),
        "not_same_team": st.booleans(),
        "shared_language": st.booleans(),
        "min_overlap_hours": st.sampled_from([0, 0.5, 1, 2]),
    }
)


def allowed(
    e: Applicant,
    m: Applicant,
    org: OrgIndex,
    rule: SeniorityRule,
    cfg: MatchSettings,
    flags: dict,
    rejected: set[tuple[str, str]],
) -> bool:
    """The hard rules, written out pair by pair without the engine's arrays."""
    if e.job_level is None or m.job_level is None:
        return False
    if rule.mentor_max_level is not None and m.job_level > rule.mentor_max_level:
        return False
    if rule.mentee_min_level is not None and e.job_level < rule.mentee_min_level:
        return False
    if not rule.reversal_holds(e.job_level, m.job_level, e.hire_date, m.hire_date):
        return False
    if org.same_chain(e.hr_id, m.hr_id) or (e.hr_id, m.hr_id) in rejected:
        return False
    if flags.get("not_same_department") and e.department == m.department:
        return False
    if flags.get("not_same_team") and (e.department, e.team) == (m.department, m.team):
        return False
    if flags.get("shared_language") and not set(e.languages) & set(m.languages):
        return False
    if flags.get("min_overlap_hours"):
        a = weekly_slots(e.availability, e.time_zone, cfg.week_of)
        b = weekly_slots(m.availability, m.time_zone, cfg.week_of)
        if overlap_hours(a, b) < flags["min_overlap_hours"]:
            return False
    return True


def max_flow(edges: list[tuple[int, int]], n_mentees: int, capacity: list[int]) -> int:
    """Most pairs: Edmonds-Karp on source -> mentee (1) -> mentor (its capacity) -> sink."""
    source, sink = n_mentees + len(capacity), n_mentees + len(capacity) + 1
    residual: dict[int, dict[int, int]] = {node: {} for node in range(sink + 1)}

    def arc(a: int, b: int, cap: int) -> None:
        residual[a][b] = residual[a].get(b, 0) + cap
        residual[b].setdefault(a, 0)

    for i in range(n_mentees):
        arc(source, i, 1)
    for i, j in edges:
        arc(i, n_mentees + j, 1)
    for j, cap in enumerate(capacity):
        arc(n_mentees + j, sink, cap)
    flow = 0
    while True:
        parent = {source: source}
        queue = [source]
        while queue and sink not in parent:
            node = queue.pop(0)
            for nxt, cap in residual[node].items():
                if cap > 0 and nxt not in parent:
                    parent[nxt] = node
                    queue.append(nxt)
        if sink not in parent:
            return flow
        node = sink
        while node != source:
            residual[parent[node]][node] -= 1
            residual[node][parent[node]] += 1
            node = parent[node]
        flow += 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 60),
    gap=st.integers(0, 3),
    tiebreak=st.booleans(),
    flags=rule_flags,
    top_k=st.sampled_from([1, 3, 50]),
)
def test_no_proposal_breaks_a_hard_rule_or_a_capacity_and_the_most_pairs_are_made(
    seed, n, gap, tiebreak, flags, top_k
) -> None:
    managers, mentees, mentors = random_org(seed, n)
    org = OrgIndex(managers)
    rule = SeniorityRule(min_level_gap=gap, tenure_tiebreak=tiebreak, mentor_max_level=6)
    cfg = MatchSettings(seniority=rule, week_of=dt.date(2026, 3, 30), **flags)
    rejected = {(e.hr_id, m.hr_id) for e in mentees[:3] for m in mentors[:2]}
    outcome = run(mentees, mentors, cfg, org=org, forbidden={"not_rejected": rejected}, top_k=top_k)

    load: dict[str, int] = {}
    seen_mentees: set[str] = set()
    for p in outcome.proposals:
        e, m = p.mentee, p.mentor
        assert allowed(e, m, org, rule, cfg, flags, rejected)
        assert e.hr_id not in seen_mentees
        seen_mentees.add(e.hr_id)
        load[m.hr_id] = load.get(m.hr_id, 0) + 1
        assert abs(p.score - sum(t["points"] for t in p.breakdown.values())) < 1e-3
    for m in mentors:
        assert load.get(m.hr_id, 0) <= m.capacity
    matched = {p.mentee.hr_id for p in outcome.proposals}
    assert matched | {u.hr_id for u in outcome.unmatched if u.role == "mentee"} == {e.hr_id for e in mentees}

    feasible = [
        (i, j)
        for i, e in enumerate(mentees)
        for j, m in enumerate(mentors)
        if allowed(e, m, org, rule, cfg, flags, rejected)
    ]
    assert len(outcome.proposals) == max_flow(feasible, len(mentees), [m.capacity for m in mentors])


def dense_optimum(outcome: Outcome, cfg: MatchSettings, bonus: float = 0.0) -> tuple[int, float]:
    """Pairs and score of SciPy's dense assignment over every pair that passes the rules, with
    each pair worth ``score + bonus`` (columns duplicated per capacity)."""
    from rm_plugin.matching import candidates

    enc = outcome.encoded
    caps = enc.mentors.capacity
    owner = np.repeat(np.arange(len(caps)), caps)
    if len(owner) == 0 or len(enc.mentees) == 0:
        return 0, 0.0
    full = candidates.build(enc, cfg, {}, top_k=len(enc.mentors) + 1)
    value = np.zeros((len(enc.mentees), len(caps)))
    value[full.rows, full.cols] = full.score + bonus + 1e-9
    score = np.zeros_like(value)
    score[full.rows, full.cols] = full.score
    r, c = linear_sum_assignment(value[:, owner], maximize=True)
    made = value[:, owner][r, c] > 0
    return int(made.sum()), float(score[:, owner][r, c][made].sum())


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 50), top_k=st.sampled_from([1, 2, 5, 10_000]))
def test_the_result_is_the_optimum_over_every_passing_pair_whatever_top_k(seed, n, top_k) -> None:
    managers, mentees, mentors = random_org(seed, n)
    for objective, bonus in (("most_pairs", 1000.0), ("best_score", 0.0)):
        cfg = MatchSettings(seniority=SeniorityRule(min_level_gap=1), objective=objective)
        outcome = run(mentees, mentors, cfg, org=OrgIndex(managers), top_k=top_k)
        pairs, score = dense_optimum(outcome, cfg, bonus)
        if objective == "most_pairs":
            assert len(outcome.proposals) == pairs
        assert sum(p.score for p in outcome.proposals) == pytest.approx(score, abs=1e-3)


def test_two_mentees_who_can_both_be_matched_both_are_and_the_reasons_say_why_not_otherwise() -> None:
    """A with X scores 3.5; A with Y and B with X score 0.5 each, and B may not have Y (B manages Y).

    The best score alone is one pair (3.5 > 1.0), leaving B out; the default makes both.
    """
    org = OrgIndex({"A": None, "B": None, "X": None, "Y": "B"})
    a = Applicant("A", "mentee", 8, skills_wanted={"ai": 3})
    b = Applicant("B", "mentee", 8, skills_wanted={"cooking": 1})
    x = Applicant("X", "mentor", 2, skills_offered=("ai",))
    y = Applicant("Y", "mentor", 2)
    both = run([a, b], [x, y], MatchSettings(), org=org)
    assert {(p.mentee.hr_id, p.mentor.hr_id) for p in both.proposals} == {("A", "Y"), ("B", "X")}
    assert both.unmatched == []

    best = run([a, b], [x, y], MatchSettings(objective="best_score"), org=org)
    assert [(p.mentee.hr_id, p.mentor.hr_id) for p in best.proposals] == [("A", "X")]
    reasons = {u.hr_id: (u.kind, u.reason) for u in best.unmatched}
    assert reasons["B"] == (
        "capacity",
        "capacity ran out: all 1 mentors who pass the rules are taken, and giving one to this mentee "
        "would not raise the total score (the objective is best_score)",
    )
    assert reasons["Y"] == (
        "not_needed",
        "not needed: all 1 mentees who pass the rules with this mentor have a mentor",
    )


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 60))
def test_the_same_input_in_any_order_gives_the_same_pairs(seed, n) -> None:
    managers, mentees, mentors = random_org(seed, n)
    cfg = MatchSettings(seniority=SeniorityRule(min_level_gap=1))
    first = run(mentees, mentors, cfg, org=OrgIndex(managers), top_k=5)
    shuffled_e, shuffled_m = mentees[:], mentors[:]
    random.Random(seed).shuffle(shuffled_e)
    random.Random(seed + 1).shuffle(shuffled_m)
    second = run(shuffled_e, shuffled_m, cfg, org=OrgIndex(managers), top_k=5)
    assert [(p.mentee.hr_id, p.mentor.hr_id, p.score) for p in first.proposals] == [
        (p.mentee.hr_id, p.mentor.hr_id, p.score) for p in second.proposals
    ]
    assert first.unmatched == second.unmatched


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 60), flags=rule_flags, gap=st.integers(0, 2))
def test_seeding_by_overlap_gives_the_same_graph_as_looking_at_every_pair(seed, n, flags, gap) -> None:
    from rm_plugin.matching import candidates
    from rm_plugin.matching.encoding import encode

    managers, mentees, mentors = random_org(seed, n)
    flags = {**flags, "min_overlap_hours": max(flags["min_overlap_hours"], 0.5)}
    cfg = MatchSettings(seniority=SeniorityRule(min_level_gap=gap, tenure_tiebreak=True), **flags)
    enc = encode(mentees, mentors, cfg, OrgIndex(managers))
    forbidden = {"not_rejected": {0: np.array([0, 1])}} if mentees and len(mentors) > 1 else {}
    seeded = candidates.build(enc, cfg, forbidden, top_k=4, block=7)
    dense = candidates.build(enc, cfg, forbidden, top_k=4, block=7, seed_by_overlap=False)
    for field in ("rows", "cols", "score", "passing", "ruled_out", "mentor_passing"):
        assert np.array_equal(getattr(seeded, field), getattr(dense, field)), field


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(4, 50))
# Every pair of the first graph vetoed: the plugin term was first seen on widened pairs and was
# dropped from their breakdown, so the visible total read 1.5 where the pair scored 3.008.
@example(seed=3585, n=19)
def test_site_vetoes_and_terms_apply_to_every_pair_the_search_widens_to(seed, n) -> None:
    """With plugin terms and vetoes, starting from one candidate per mentee gives the same result
    as starting from every passing pair, and no vetoed pair is ever proposed."""
    import zlib

    from rm_plugin import hookimpl
    from rm_plugin.domain.records import ProgrammeInfo
    from rm_plugin.plugins import make_plugin_manager, register

    def draw(a: str, b: str, salt: str) -> float:
        return (zlib.crc32(f"{seed}:{salt}:{a}:{b}".encode()) % 1000) / 1000

    class Site:
        @hookimpl
        def rm_veto_pairs(self, programme, pairs):
            return {i: "site rule" for i, (e, m) in enumerate(pairs) if draw(e.hr_id, m.hr_id, "veto") < 0.2}

        @hookimpl
        def rm_match_score_terms(self, programme, pairs):
            return {"site_fit": [draw(e.hr_id, m.hr_id, "fit") for e, m in pairs]}

    pm = make_plugin_manager(None, load_entrypoints=False)
    register(pm, Site(), "test:site", "test")
    info = ProgrammeInfo(id=1, slug="p", name="P", starts_on=None, ends_on=None)
    managers, mentees, mentors = random_org(seed, n)
    cfg = MatchSettings(seniority=SeniorityRule(min_level_gap=1), weights={"site_fit": 4.0})
    narrow = run(mentees, mentors, cfg, org=OrgIndex(managers), pm=pm, programme=info, top_k=1)
    wide = run(mentees, mentors, cfg, org=OrgIndex(managers), pm=pm, programme=info, top_k=10_000)
    assert len(narrow.proposals) == len(wide.proposals)
    assert narrow.total_score == pytest.approx(wide.total_score, abs=1e-3)
    for p in narrow.proposals:
        assert draw(p.mentee.hr_id, p.mentor.hr_id, "veto") >= 0.2
        assert p.breakdown["site_fit"]["value"] == pytest.approx(
            draw(p.mentee.hr_id, p.mentor.hr_id, "fit"), abs=1e-3
        )
