"""Proposing pairs for a programme in the store: proposals, reasons, reruns, pins, site hooks."""

from __future__ import annotations

from pathlib import Path

import pytest
from matching_factory import apply, person, programme, small_org
from sqlalchemy import select

from rm_plugin import hookimpl
from rm_plugin.errors import NotFound
from rm_plugin.matching.review import approve, reject
from rm_plugin.matching.service import MatchingError, pin, propose
from rm_plugin.plugins import make_plugin_manager, register
from rm_plugin.store import Database
from rm_plugin.store.models import AuditEntry, Pair, PairStatusChange, Person, Programme

REPO = Path(__file__).resolve().parents[2]


def pairs_of(db: Database, status: str = "proposed") -> dict[str, str]:
    with db.transaction() as s:
        hr = dict(s.execute(select(Person.id, Person.hr_id)).all())
        rows = s.scalars(select(Pair).where(Pair.status == status))
        return {hr[p.mentee_id]: hr[p.mentor_id] for p in rows}


def test_propose_stores_the_optimal_pairs_with_breakdown_rules_and_reasons(db: Database) -> None:
    with db.transaction() as s:
        small_org(s)
    result = propose(db, None, "rm-2026")
    assert {(p.mentee, p.mentor) for p in result.proposed} == {("SEN-A", "JUN-B1"), ("SEN-B", "JUN-A1")}
    reasons = {u.hr_id: u.reason for u in result.unmatched}
    assert reasons["VP-A"].startswith("capacity ran out")
    assert reasons["JUN-A2"].startswith("not needed")
    with db.transaction() as s:
        pair = s.scalars(select(Pair).order_by(Pair.id)).first()
        assert pair.status == "proposed" and pair.run_id == result.run_id
        assert pair.breakdown["skills"]["weight"] == 3.0
        assert abs(pair.score - sum(t["points"] for t in pair.breakdown.values())) < 1e-3
        assert {"reversal", "not_management_chain", "not_rejected"} <= set(pair.rules_passed)
        assert s.scalars(
            select(PairStatusChange).where(PairStatusChange.pair_id == pair.id)
        ).one().to_status == ("proposed")
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "match.propose")).one()
        assert entry.detail["proposed"] == 2 and entry.detail["unmatched_mentees"] == 1


def test_a_mentee_with_no_passing_mentor_is_told_which_rules_ruled_them_out(db: Database) -> None:
    with db.transaction() as s:
        prog = small_org(s, min_level_gap=6)
        apply(s, prog, person(s, "MID", 4, "CEO"), "mentee", skills_wanted={"ai": 2})
    result = propose(db, None, "rm-2026")
    reasons = {u.hr_id: u.reason for u in result.unmatched}
    assert reasons["MID"].startswith(
        "no mentor passes the rules (mentor not junior enough to the mentee: 3 of 3"
    )


def test_rerun_keeps_active_and_pinned_pairs_and_replaces_unreviewed_ones(db: Database) -> None:
    with db.transaction() as s:
        small_org(s, reviewers_required=1, mentor_capacity=1)
    first = propose(db, None, "rm-2026")
    sen_a = next(p for p in first.proposed if p.mentee == "SEN-A")
    approve(db, sen_a.pair_id, "REV-1")  # SEN-A with JUN-B1 is now active
    with db.transaction() as s:
        a2 = s.scalars(select(Person).where(Person.hr_id == "JUN-A2")).one()
        prog = s.scalars(select(Programme)).one()
        apply(s, prog, person(s, "SEN-C", 7, "VP-B", department="Tech"), "mentee", skills_wanted={"ai": 3})
        assert a2 is not None
    pinned_id = pin(db, "rm-2026", "SEN-C", "JUN-A2")
    second = propose(db, None, "rm-2026")
    assert second.kept == 2 and second.replaced == 1
    assert pairs_of(db, "active") == {"SEN-A": "JUN-B1"}
    proposed = pairs_of(db)
    assert proposed["SEN-C"] == "JUN-A2"  # pinned, kept
    assert proposed["SEN-B"] == "JUN-A1"
    # JUN-B1's only slot is taken by the active pair, so VP-A cannot have it
    assert "VP-A" not in proposed
    with db.transaction() as s:
        assert s.get(Pair, pinned_id).pinned is True
        assert len(s.scalars(select(Pair).where(Pair.status == "withdrawn")).all()) == 1


def test_a_rejected_combination_is_never_proposed_again(db: Database) -> None:
    with db.transaction() as s:
        small_org(s)
    first = propose(db, None, "rm-2026")
    sen_b = next(p for p in first.proposed if p.mentee == "SEN-B")
    reject(db, sen_b.pair_id, "REV-1", "they already work together on a project")
    second = propose(db, None, "rm-2026")
    assert ("SEN-B", "JUN-A1") not in {(p.mentee, p.mentor) for p in second.proposed}
    assert ("SEN-B", "JUN-A2") in {(p.mentee, p.mentor) for p in second.proposed}


def test_the_same_input_gives_the_same_proposals(db: Database) -> None:
    with db.transaction() as s:
        small_org(s)
    first = propose(db, None, "rm-2026")
    second = propose(db, None, "rm-2026")
    assert [(p.mentee, p.mentor, p.score) for p in first.proposed] == [
        (p.mentee, p.mentor, p.score) for p in second.proposed
    ]
    assert second.replaced == len(first.proposed)


def test_pin_refuses_a_pair_that_breaks_a_rule_or_a_capacity(db: Database) -> None:
    with db.transaction() as s:
        small_org(s)
    with pytest.raises(MatchingError, match="in each other's management chain"):
        pin(db, "rm-2026", "SEN-A", "JUN-A1")
    with pytest.raises(MatchingError, match="no submitted mentor application"):
        pin(db, "rm-2026", "SEN-A", "REV-1")
    pin(db, "rm-2026", "SEN-A", "JUN-B1")
    with pytest.raises(MatchingError, match="no capacity left"):
        pin(db, "rm-2026", "VP-A", "JUN-B1")


def test_a_bad_application_is_reported_and_the_others_are_matched(db: Database) -> None:
    with db.transaction() as s:
        prog = small_org(s)
        bad = person(s, "JUN-X", 1, "SEN-A", time_zone="Mars/Olympus")
        apply(s, prog, bad, "mentor", availability=[{"day": "mon", "start": "09:00", "end": "10:00"}])
    result = propose(db, None, "rm-2026")
    assert len(result.proposed) == 2
    assert any("JUN-X" in p and "unknown time zone 'Mars/Olympus'" in p for p in result.problems)


def test_unknown_programme_and_bad_rules_are_named(db: Database) -> None:
    with pytest.raises(NotFound, match="no programme 'nope' \\(known: "):
        propose(db, None, "nope")
    with db.transaction() as s:
        small_org(s, rules={"not_same_dept": True})
    with pytest.raises(MatchingError, match=r"rules.not_same_dept: unknown matching rule"):
        propose(db, None, "rm-2026")


def test_site_hooks_veto_pairs_and_add_terms(db: Database) -> None:
    with db.transaction() as s:
        small_org(s)
    pm = make_plugin_manager(REPO, load_entrypoints=False)  # loads the example hooks/example_rules.py

    class NoJunB1:
        @hookimpl
        def rm_veto_pairs(self, programme, pairs):
            return {i: "conflict of interest" for i, (_, m) in enumerate(pairs) if m.hr_id == "JUN-B1"}

    register(pm, NoJunB1(), "test:veto", "test")
    result = propose(db, pm, "rm-2026")
    assert "JUN-B1" not in {p.mentor for p in result.proposed}
    reasons = {u.hr_id: u.reason for u in result.unmatched}
    assert reasons["SEN-A"] == "every mentor who passes the rules was vetoed (conflict of interest)"
    with db.transaction() as s:
        pair = s.scalars(select(Pair).where(Pair.status == "proposed")).one()
        assert pair.breakdown["same_location"]["value"] == 0.0  # SEN-B in Berlin, JUN-A1 in London
        assert "site_veto" in pair.rules_passed


def test_a_closed_programme_is_not_matched(db: Database) -> None:
    with db.transaction() as s:
        small_org(s, status="closed")
    with pytest.raises(MatchingError, match="programme 'rm-2026' is closed"):
        propose(db, None, "rm-2026")
    with pytest.raises(MatchingError, match="is closed"):
        pin(db, "rm-2026", "SEN-A", "JUN-B1")


def test_previous_pairs_are_not_repeated_when_the_programme_says_so(db: Database) -> None:
    with db.transaction() as s:
        small_org(s, slug="rm-2025")
        people = {p.hr_id: p for p in s.scalars(select(Person))}
        new = Programme(slug="rm-2026", name="2026", rules={"not_previous_pair": True})
        s.add(new)
        s.flush()
        old = s.scalars(select(Programme).where(Programme.slug == "rm-2025")).one()
        s.add(
            Pair(
                programme_id=old.id,
                mentee_id=people["SEN-B"].id,
                mentor_id=people["JUN-A1"].id,
                status="closed",
            )
        )
        for hr, role, extra in (
            ("SEN-B", "mentee", {"skills_wanted": {"ai": 3}}),
            ("JUN-A1", "mentor", {"skills_offered": ["ai"]}),
            ("JUN-A2", "mentor", {}),
        ):
            apply(s, new, people[hr], role, **extra)
    result = propose(db, None, "rm-2026")
    assert [(p.mentee, p.mentor) for p in result.proposed] == [("SEN-B", "JUN-A2")]
    with db.transaction() as s:
        assert (
            "not_previous_pair" in s.scalars(select(Pair).where(Pair.status == "proposed")).one().rules_passed
        )


def test_a_manager_who_left_still_links_the_chain(db: Database) -> None:
    """VP(8) -> MGR(6, left) -> JUN(2): the VP is still above the junior and is never paired with them."""
    with db.transaction() as s:
        prog = programme(s, rules={})
        vp = person(s, "VP", 8, department="Sales")
        person(s, "MGR", 6, "VP", department="Sales", status="left")
        junior = person(s, "JUN", 2, "MGR", department="Sales")
        other = person(s, "OTH", 2, department="Tech")
        person(s, "REV", 5, department="Legal")
        apply(s, prog, vp, "mentee", skills_wanted={"ai": 3})
        apply(s, prog, junior, "mentor", skills_offered=["ai"])
        apply(s, prog, other, "mentor", skills_offered=["cooking"])
    result = propose(db, None, prog.slug)
    assert [(p.mentee, p.mentor) for p in result.proposed] == [("VP", "OTH")]
    pair_id = result.proposed[0].pair_id
    # and the junior, whose skip-level manager is the mentee, may not review it either way round
    with db.transaction() as s:
        person(s, "JUN2", 3, "MGR", department="Sales")
    with pytest.raises(MatchingError, match="cannot review"):
        approve(db, pair_id, "JUN2")


def test_someone_below_a_manager_missing_from_the_roster_is_left_out_with_the_reason(db: Database) -> None:
    """JUN-X reports to GHOST, who is not stored: who is above JUN-X is unknown, never "the top"."""
    with db.transaction() as s:
        prog = small_org(s)
        apply(s, prog, person(s, "JUN-X", 2, "GHOST", department="Ops"), "mentor", skills_offered=["design"])
        person(s, "REV-X", 5, "GHOST", department="People")
    result = propose(db, None, "rm-2026")
    assert "JUN-X" not in {p.mentor for p in result.proposed}
    (problem,) = result.problems
    assert problem.endswith(
        "(JUN-X, mentor): the management chain is broken at GHOST, who is not in the roster, so who is "
        "above them is unknown; fix the manager field in HR"
    )
    with pytest.raises(MatchingError, match="JUN-X cannot be matched as mentor in 'rm-2026': the management"):
        pin(db, "rm-2026", "VP-A", "JUN-X")
    # nor may anyone below the broken link review: a conflict could not be ruled out
    pair_id = result.proposed[0].pair_id
    with pytest.raises(MatchingError, match="REV-X's management chain is broken at GHOST"):
        approve(db, pair_id, "REV-X")
    from rm_plugin.matching.review import eligible_reviewers

    assert "REV-X" not in eligible_reviewers(db, pair_id)


def test_the_objective_is_a_programme_setting(db: Database) -> None:
    from rm_plugin.errors import ProgrammeError
    from rm_plugin.programme.settings import update_programme
    from rm_plugin.unit_of_work import ProgrammeContext

    with db.transaction() as s:
        small_org(s)
    assert propose(db, None, "rm-2026").objective == "most_pairs"
    with (
        db.transaction() as s,
        pytest.raises(ProgrammeError, match="match_objective must be most_pairs or best_score"),
    ):
        update_programme(s, ProgrammeContext(), "rm-2026", settings={"match_objective": "most_score"})
    with db.transaction() as s:
        update_programme(s, ProgrammeContext(), "rm-2026", settings={"match_objective": "best_score"})
    result = propose(db, None, "rm-2026")
    assert result.objective == "best_score"
    with db.transaction() as s:
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "match.propose").order_by(AuditEntry.id.desc())
        ).first()
        assert entry.detail["objective"] == "best_score"
