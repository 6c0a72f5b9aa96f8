"""On random organisations, no proposal breaks a hard rule or a capacity, and the result is optimal."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from rm_plugin.domain.orgtree import OrgIndex
from rm_plugin.domain.seniority import SeniorityRule
from rm_plugin.matching.applicants import Applicant, MatchSettings
from rm_plugin.matching.availability import overlap_hours, weekly_slots
from rm_plugin.matching.engine import run

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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 60),
    gap=st.integers(0, 3),
    tiebreak=st.booleans(),
    flags=rule_flags,
    top_k=st.sampled_from([1, 3, 50]),
)
def test_no_proposal_breaks_a_hard_rule_or_a_capacity(seed, n, gap, tiebreak, flags, top_k) -> None:
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
        assert rule.reversal_holds(e.job_level, m.job_level, e.hire_date, m.hire_date)
        assert m.job_level is not None and m.job_level <= 6
        assert not org.same_chain(e.hr_id, m.hr_id)
        assert (e.hr_id, m.hr_id) not in rejected
        if flags["not_same_department"]:
            assert e.department != m.department
        if flags["not_same_team"]:
            assert (e.department, e.team) != (m.department, m.team)
        if flags["shared_language"]:
            assert set(e.languages) & set(m.languages)
        if flags["min_overlap_hours"]:
            a = weekly_slots(e.availability, e.time_zone, cfg.week_of)
            b = weekly_slots(m.availability, m.time_zone, cfg.week_of)
            assert overlap_hours(a, b) >= flags["min_overlap_hours"]
        assert e.hr_id not in seen_mentees
        seen_mentees.add(e.hr_id)
        load[m.hr_id] = load.get(m.hr_id, 0) + 1
        assert abs(p.score - sum(t["points"] for t in p.breakdown.values())) < 1e-3
    for m in mentors:
        assert load.get(m.hr_id, 0) <= m.capacity
    matched = {p.mentee.hr_id for p in outcome.proposals}
    assert matched | {u.hr_id for u in outcome.unmatched if u.role == "mentee"} == {e.hr_id for e in mentees}


def dense_optimum(outcome) -> float:
    """The exact optimum over every pair that passes the rules (columns duplicated per capacity)."""
    enc, graph = outcome.encoded, outcome.graph
    caps = enc.mentors.capacity
    owner = np.repeat(np.arange(len(caps)), caps)
    if len(owner) == 0 or len(enc.mentees) == 0:
        return 0.0
    scores = np.zeros((len(enc.mentees), len(caps)))
    scores[graph.rows, graph.cols] = graph.score + 1e-9
    full = scores[:, owner]
    r, c = linear_sum_assignment(full, maximize=True)
    return float(full[r, c].sum())


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 50))
def test_the_assignment_is_the_optimum_when_every_passing_pair_is_a_candidate(seed, n) -> None:
    managers, mentees, mentors = random_org(seed, n)
    cfg = MatchSettings(seniority=SeniorityRule(min_level_gap=1))
    outcome = run(mentees, mentors, cfg, org=OrgIndex(managers), top_k=10_000)
    assert outcome.total_score == np.float64(outcome.total_score)
    assert abs(sum(p.score for p in outcome.proposals) - dense_optimum(outcome)) < 1e-3


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
