"""The reviewer panel: conflicts, distinct reviewers, reasons, activation with outbox and hook."""

from __future__ import annotations

import datetime as dt

import pytest
from matching_factory import small_org
from sqlalchemy import select

from rm_plugin import hookimpl
from rm_plugin.matching.review import approve, eligible_reviewers, reject, reviewer_breakdown
from rm_plugin.matching.service import MatchingError, propose
from rm_plugin.plugins import make_plugin_manager, register
from rm_plugin.store import Database
from rm_plugin.store.models import AuditEntry, OutboxItem, Pair, PairStatusChange, Programme, ReviewDecision


@pytest.fixture
def proposals(db: Database) -> dict[str, int]:
    """Pair ids by mentee: SEN-A with JUN-B1, SEN-B with JUN-A1 (2 reviewers required)."""
    with db.transaction() as s:
        small_org(s)
    return {p.mentee: p.pair_id for p in propose(db, None, "rm-2026").proposed}


@pytest.mark.parametrize(
    ("reviewer", "why"),
    [
        ("SEN-A", "SEN-A is in the pair"),
        ("JUN-B1", "JUN-B1 is in the pair"),
        ("VP-A", "VP-A is in SEN-A's management chain"),
        ("CEO", "CEO is in SEN-A's management chain"),
        ("VP-B", "VP-B is in JUN-B1's management chain"),
        ("SEN-B", "SEN-B is in JUN-B1's management chain"),
    ],
)
def test_people_in_the_pair_or_either_chain_cannot_review(
    db: Database, proposals: dict[str, int], reviewer: str, why: str
) -> None:
    with pytest.raises(MatchingError, match=why):
        approve(db, proposals["SEN-A"], reviewer)


def test_a_report_of_a_member_cannot_review_either(db: Database, proposals: dict[str, int]) -> None:
    # the pair is SEN-B (mentee) with JUN-A1 (mentor); JUN-B1 reports to SEN-B, and JUN-A1 to SEN-A
    with pytest.raises(MatchingError, match="SEN-B is in JUN-B1's management chain"):
        approve(db, proposals["SEN-B"], "JUN-B1")
    with pytest.raises(MatchingError, match="SEN-A is in JUN-A1's management chain"):
        approve(db, proposals["SEN-B"], "SEN-A")
    assert approve(db, proposals["SEN-B"], "JUN-A2").approvals == 1  # a peer, not a report


def test_eligible_reviewers_are_exactly_those_without_a_conflict(
    db: Database, proposals: dict[str, int]
) -> None:
    # everyone else is SEN-A's or JUN-B1's manager or report
    assert eligible_reviewers(db, proposals["SEN-A"]) == ["REV-1", "REV-2", "REV-3"]
    approve(db, proposals["SEN-A"], "REV-1")
    assert eligible_reviewers(db, proposals["SEN-A"], ["REV-3", "REV-1", "CEO"]) == ["REV-3"]


def test_two_distinct_approvals_activate_the_pair_enqueue_enrolments_and_fire_the_hook(
    db: Database, proposals: dict[str, int]
) -> None:
    seen: list[tuple] = []

    class Listener:
        @hookimpl
        def rm_pair_approved(self, pair, approved_by):
            seen.append((pair.mentee_hr_id, pair.mentor_hr_id, pair.status, tuple(approved_by)))

    pm = make_plugin_manager(None, load_entrypoints=False)
    register(pm, Listener(), "test:listener", "test")
    pair_id = proposals["SEN-A"]
    first = approve(db, pair_id, "REV-1", pm=pm, progress_connections=["moodle", "files"])
    assert (first.status, first.approvals, first.required) == ("proposed", 1, 2)
    with pytest.raises(MatchingError, match="REV-1 already decided on pair"):
        approve(db, pair_id, "REV-1", pm=pm, progress_connections=["moodle", "files"])
    assert seen == []
    approved_on = dt.date(2026, 4, 15)  # six weeks into the programme: the pair starts then
    second = approve(db, pair_id, "REV-2", pm=pm, progress_connections=["moodle", "files"], today=approved_on)
    assert second.status == "active" and second.approved_by == ("REV-1", "REV-2")
    assert seen == [("SEN-A", "JUN-B1", "active", ("REV-1", "REV-2"))]
    with db.transaction() as s:
        items = s.scalars(select(OutboxItem).order_by(OutboxItem.key)).all()
        assert [i.key for i in items] == [f"enrol:{pair_id}:files", f"enrol:{pair_id}:moodle"]
        assert items[0].payload == {
            "pair_id": pair_id,
            "programme": "rm-2026",
            "mentee": "SEN-A",
            "mentor": "JUN-B1",
            "start": "2026-04-15",
            "end": s.scalar(select(Programme.ends_on)).isoformat(),
        }
        assert s.get(Pair, pair_id).starts_on == approved_on
        changes = s.scalars(select(PairStatusChange).where(PairStatusChange.pair_id == pair_id)).all()
        assert [c.to_status for c in changes] == ["proposed", "active"]
        actions = [a.action for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert actions.count("match.approve") == 2 and actions[-1] == "match.activate"
    with pytest.raises(MatchingError, match="is active; only proposed pairs are reviewed"):
        approve(db, pair_id, "REV-3")


def test_a_failing_lifecycle_hook_does_not_undo_the_approval(db: Database, proposals: dict[str, int]) -> None:
    class Broken:
        @hookimpl
        def rm_pair_approved(self, pair, approved_by):
            raise RuntimeError("chat host down")

    pm = make_plugin_manager(None, load_entrypoints=False)
    register(pm, Broken(), "test:broken", "test")
    approve(db, proposals["SEN-B"], "REV-1", pm=pm)
    assert approve(db, proposals["SEN-B"], "REV-2", pm=pm).status == "active"
    with db.transaction() as s:
        assert s.get(Pair, proposals["SEN-B"]).status == "active"


def test_a_rejection_needs_a_reason_and_is_recorded(db: Database, proposals: dict[str, int]) -> None:
    pair_id = proposals["SEN-B"]
    for blank in ("", "   "):
        with pytest.raises(MatchingError, match="a rejection needs a reason"):
            reject(db, pair_id, "REV-1", blank)
    outcome = reject(db, pair_id, "REV-1", "  they share a project  ")
    assert outcome.status == "rejected"
    with db.transaction() as s:
        decision = s.scalars(select(ReviewDecision)).one()
        assert (decision.decision, decision.reason) == ("reject", "they share a project")
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "match.reject")).one()
        assert audit.detail["reason"] == "they share a project" and audit.actor == "REV-1"
    with pytest.raises(MatchingError, match="is rejected"):
        approve(db, pair_id, "REV-2")


def test_unknown_reviewer_or_pair_is_named(db: Database, proposals: dict[str, int]) -> None:
    with pytest.raises(MatchingError, match="reviewer NOBODY is not an active person"):
        approve(db, proposals["SEN-A"], "NOBODY")
    with pytest.raises(MatchingError, match="no pair 999"):
        approve(db, 999, "REV-1")
    with pytest.raises(MatchingError, match="belongs to programme 'rm-2026', not 'other'"):
        approve(db, proposals["SEN-A"], "REV-1", programme_slug="other")


def test_reviewers_never_see_terms_from_opt_in_demographic_data() -> None:
    breakdown = {
        "skills": {"value": 1.0, "weight": 3.0, "points": 3.0},
        "diverse_pair": {"value": 1.0, "weight": 0.5, "points": 0.5},
    }
    assert reviewer_breakdown(breakdown) == {"skills": {"value": 1.0, "weight": 3.0, "points": 3.0}}


def test_reviewers_see_a_score_without_the_hidden_demographic_term() -> None:
    from rm_plugin.matching.review import reviewer_breakdown, reviewer_score

    breakdown = {
        "skills": {"value": 1.0, "weight": 3.0, "points": 3.0},
        "diverse_pair": {"value": 1.0, "weight": 1.0, "points": 1.0},
        "availability": {"value": 0.5, "weight": 1.0, "points": 0.5},
    }
    assert "diverse_pair" not in reviewer_breakdown(breakdown)
    assert reviewer_score(breakdown) == 3.5  # not 4.5: the total would reveal the hidden term


def test_reading_a_pair_for_review_costs_the_same_in_a_small_and_a_large_organisation(db: Database) -> None:
    """`match show --pair` finds who may review it a page at a time, not one query per person."""
    from matching_factory import person
    from sqlalchemy import event

    from rm_plugin.matching.review import pair_review
    from rm_plugin.unit_of_work import UnitOfWork

    with db.transaction() as s:
        small_org(s)
    pair_id = propose(db, None, "rm-2026").proposed[0].pair_id

    def queries() -> tuple[int, list[str]]:
        seen: list[str] = []

        def count(*_args: object) -> None:
            seen.append("q")

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            with db.transaction() as s:
                review = pair_review(UnitOfWork(s), "rm-2026", pair_id)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen), review.may_review

    def add_teams(first: int, last: int) -> None:
        with db.transaction() as s:
            for team in range(first, last):
                lead = person(s, f"T{team:02d}", 6, "CEO")
                for i in range(100):
                    person(s, f"T{team:02d}-{i:03d}", 3, lead.hr_id)

    add_teams(0, 10)
    smaller, _ = queries()
    add_teams(10, 40)  # four times the people, the same depth
    larger, may_review = queries()
    assert len(may_review) == 20 and "SEN-A" not in may_review
    assert larger == smaller < 25


def test_with_a_review_panel_only_its_members_review(db: Database, proposals: dict[str, int]) -> None:
    with db.transaction() as s:
        programme = s.scalar(select(Programme).where(Programme.slug == "rm-2026"))
        programme.settings = {**(programme.settings or {}), "reviewers": ["REV-2", "REV-3"]}
    panel = r"REV-1 is not on the review panel of .rm-2026. \(REV-2, REV-3\)"
    with pytest.raises(MatchingError, match=panel):
        approve(db, proposals["SEN-A"], "REV-1")
    with pytest.raises(MatchingError, match="REV-1 is not on the review panel"):
        reject(db, proposals["SEN-A"], "REV-1", "no")
    assert approve(db, proposals["SEN-A"], "REV-2").approvals == 1
