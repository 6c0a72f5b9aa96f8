"""``rm-plugin milestone report``: the admin reports an LMS course completion the pair needs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from rm_plugin.programme import agreements, meetings, milestones, surveys
from rm_plugin.store.models import MilestoneReached, OutboxItem, Programme

DAY = dt.date(2026, 4, 1)
FINAL = {
    "learning_gained": 4,
    "relationship_quality": 4,
    "skill_confidence": {"generative AI": {"before": 1, "after": 2}, "TikTok": {"before": 1, "after": 2}},
}


def completed_pair(world, ctx) -> int:
    """A pair that did everything but the orientation course its programme requires."""
    with world.db.transaction() as s:
        s.scalar(select(Programme)).milestones = milestones.default_milestones(meetings=1, orientation=True)
    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        agreements.draft_agreement(s, ctx, pair_id, DAY)
        agreements.sign_agreement(s, ctx, pair_id, "SENIOR", DAY)
        agreements.sign_agreement(s, ctx, pair_id, "JUNIOR", DAY)
        meeting = meetings.log_meeting(
            s, ctx, pair_id, "SENIOR", held_on=DAY, minutes=30, mode="video", today=DAY
        )
        meetings.confirm_meeting(s, ctx, meeting.id, "JUNIOR", DAY)
        for who in ("SENIOR", "JUNIOR"):
            surveys.submit_retrospective(s, ctx, pair_id, who, "final", FINAL, DAY)
    return pair_id


def reached(world, key: str) -> dict[int, dt.date]:
    with world.db.transaction() as s:
        rows = s.execute(
            select(MilestoneReached.person_id, MilestoneReached.reached_on).where(
                MilestoneReached.milestone == key
            )
        )
        return {person_id: on for person_id, on in rows}


def test_reporting_the_orientation_course_completes_the_pair(world, ctx, rm) -> None:
    completed_pair(world, ctx)
    assert reached(world, "programme_completed") == {}
    out = rm(
        "milestone", "report", "rm-2026", "orientation_completed", "--person", "SENIOR", "--on", "2026-04-02"
    )
    assert "SENIOR reached orientation_completed on 2026-04-02" in out
    assert "so SENIOR also reached programme_completed" in out
    assert list(reached(world, "programme_completed").values()) == [dt.date(2026, 4, 2)]
    assert "already reached" in rm(
        "milestone", "report", "rm-2026", "orientation_completed", "--person", "SENIOR"
    )
    out = rm("milestone", "report", "rm-2026", "orientation_completed", "--person", "JUNIOR")
    assert "so JUNIOR also reached programme_completed" in out
    assert len(reached(world, "programme_completed")) == 2
    with world.db.transaction() as s:
        awards = s.scalars(select(OutboxItem.key).where(OutboxItem.action == "award")).all()
    assert sorted(awards) == sorted(
        f"award:rm-2026:programme_completed:{world.pairs[0]}:{who}:files" for who in ("SENIOR", "JUNIOR")
    )


def test_bad_reports_are_refused_and_record_nothing(world, ctx, rm) -> None:
    completed_pair(world, ctx)
    report = ("milestone", "report", "rm-2026")
    assert "no reported milestone 'first_meeting'" in rm(
        *report, "first_meeting", "--person", "SENIOR", code=1
    )
    assert "OTHER is in no active pair in rm-2026" in rm(
        *report, "orientation_completed", "--person", "OTHER", code=1
    )
    future = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    assert "in the future" in rm(
        *report, "orientation_completed", "--person", "SENIOR", "--on", future, code=1
    )
    assert "expected a date" in rm(
        *report, "orientation_completed", "--person", "SENIOR", "--on", "soon", code=2
    )
    assert "no programme 'nope'" in rm("milestone", "report", "nope", "x", "--person", "SENIOR", code=1)
    assert reached(world, "orientation_completed") == {}


def test_an_unknown_milestone_lists_those_that_can_be_reported(world, ctx, rm) -> None:
    completed_pair(world, ctx)
    out = rm("milestone", "report", "rm-2026", "bogus", "--person", "SENIOR", code=1)
    assert "no reported milestone 'bogus'; milestones that can be reported: orientation_completed" in out
    with world.db.transaction() as s:
        s.scalar(select(Programme)).milestones = milestones.default_milestones(meetings=1)
    out = rm("milestone", "report", "rm-2026", "bogus", "--person", "SENIOR", code=1)
    assert "none of its milestones is reported" in out
