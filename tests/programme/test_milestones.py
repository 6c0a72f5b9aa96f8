"""Milestone definitions: defaults, validation, prerequisites and one outbox row per host action."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from rm_plugin.errors import ProgrammeError
from rm_plugin.programme import agreements, meetings, milestones, surveys
from rm_plugin.store.models import MilestoneReached, Programme

TODAY = dt.date(2026, 5, 1)


def test_defaults_cover_the_issue_and_are_valid() -> None:
    keys = [m["key"] for m in milestones.default_milestones()]
    assert keys == [
        "agreement_signed",
        "first_meeting",
        "meetings_6",
        "midpoint_retrospective",
        "final_retrospective",
        "programme_completed",
    ]
    assert milestones.check_milestones(milestones.default_milestones(orientation=True)) == []
    assert milestones.default_milestones(orientation=True)[0]["key"] == "orientation_completed"


def test_fill_defaults_only_when_empty() -> None:
    programme = Programme(
        slug="p", name="P", milestones=[], settings={"milestone_meetings": 4, "award": "rm-badge"}
    )
    assert milestones.fill_default_milestones(programme) is True
    assert "meetings_4" in [m["key"] for m in programme.milestones]
    assert programme.milestones[-1]["records"][-1] == {
        "connection": "*",
        "action": "award",
        "award": "rm-badge",
    }
    assert milestones.fill_default_milestones(programme) is False


def test_check_names_every_problem() -> None:
    problems = milestones.check_milestones(
        [
            {"key": "a", "rule": "meetings"},
            {"key": "a", "rule": "astrology"},
            {"key": "b", "rule": "retrospective", "kind": "weekly", "requires": ["zzz"]},
            {"key": "c", "rule": "completed", "records": [{"action": "award"}, {"action": "email"}]},
            {"rule": "completed"},
        ]
    )
    text = "\n".join(problems)
    for expected in (
        "milestones[0] (a): rule 'meetings' needs a 'count'",
        "milestones[1] (a): key 'a' is used twice",
        "rule 'astrology' is not one of",
        "needs 'kind' midpoint or final",
        "requires 'zzz', which is not an earlier milestone",
        "records[0] is an award without an 'award' name",
        "records[1] action must be one of",
        "milestones[4]: 'key' must be a non-empty string",
    ):
        assert expected in text


def test_a_reported_prerequisite_holds_completion_back_until_it_arrives(world, ctx, recorder) -> None:
    with world.db.transaction() as s:
        programme = s.scalar(select(Programme))
        programme.milestones = milestones.default_milestones(meetings=1, orientation=True)
        for m in programme.milestones:  # one named host for this programme's records
            for r in m["records"]:
                r["connection"] = "lms"
    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        agreements.draft_agreement(s, ctx, pair_id, TODAY)
        agreements.sign_agreement(s, ctx, pair_id, "SENIOR", TODAY)
        agreements.sign_agreement(s, ctx, pair_id, "JUNIOR", TODAY)
        meeting = meetings.log_meeting(
            s, ctx, pair_id, "SENIOR", held_on=TODAY, minutes=30, mode="video", today=TODAY
        )
        meetings.confirm_meeting(s, ctx, meeting.id, "JUNIOR", TODAY)
        answers = {
            "learning_gained": 4,
            "relationship_quality": 4,
            "skill_confidence": {
                "generative AI": {"before": 1, "after": 2},
                "TikTok": {"before": 1, "after": 2},
            },
        }
        for who in ("SENIOR", "JUNIOR"):
            surveys.submit_retrospective(s, ctx, pair_id, who, "final", answers, TODAY)

    def completed() -> set[int]:
        with world.db.transaction() as s:
            return set(
                s.scalars(
                    select(MilestoneReached.person_id).where(
                        MilestoneReached.milestone == "programme_completed"
                    )
                )
            )

    assert completed() == set()
    with world.db.transaction() as s:
        assert milestones.report_milestone(s, ctx, pair_id, "orientation_completed", "SENIOR", TODAY) is True
    assert len(completed()) == 1  # only the mentee finished the course so far
    with world.db.transaction() as s:
        assert milestones.report_milestone(s, ctx, pair_id, "orientation_completed", "SENIOR", TODAY) is False
        milestones.report_milestone(s, ctx, pair_id, "orientation_completed", "JUNIOR", TODAY)
        try:
            milestones.report_milestone(s, ctx, pair_id, "first_meeting", "JUNIOR", TODAY)
        except ProgrammeError as exc:
            assert "no reported milestone 'first_meeting'" in str(exc)
        else:
            raise AssertionError("a rule-based milestone cannot be reported")
    assert len(completed()) == 2
    assert {item.connection for item in world.outbox()} - {"files"} == {"lms"}
    assert all(item.connection == "lms" for item in world.outbox() if item.action in ("completion", "award"))
    reached_events = [a for n, a in recorder.calls if n == "milestone_reached"]
    assert [a["people"] for a in reached_events if a["milestone"] == "programme_completed"] == [
        ("SENIOR",),
        ("JUNIOR",),
    ]
