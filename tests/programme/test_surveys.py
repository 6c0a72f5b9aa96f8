"""Pulse surveys, retrospectives, and aggregates shown to admins only over at least 5 answers."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select

from rm_plugin.errors import ProgrammeError
from rm_plugin.programme import agreements, meetings, surveys
from rm_plugin.store.models import MilestoneReached, OutboxItem

TODAY = dt.date(2026, 5, 1)


def active_pair(world, ctx, mentee="SENIOR", mentor="JUNIOR") -> int:
    pair_id = world.pair(mentee, mentor)
    with world.db.transaction() as s:
        agreements.draft_agreement(s, ctx, pair_id, TODAY)
        agreements.sign_agreement(s, ctx, pair_id, mentee, TODAY)
        agreements.sign_agreement(s, ctx, pair_id, mentor, TODAY)
    return pair_id


def confirmed_meeting(world, ctx, pair_id, day, by="SENIOR", other="JUNIOR") -> int:
    with world.db.transaction() as s:
        meeting = meetings.log_meeting(
            s, ctx, pair_id, by, held_on=dt.date(2026, 4, day), minutes=40, mode="in_person", today=TODAY
        )
        meetings.confirm_meeting(s, ctx, meeting.id, other, TODAY)
        return meeting.id


def retro(**changes):
    answers = {
        "went_well": "Honest talks",
        "to_improve": "Meet more often",
        "actions": "Book the room",
        "learning_gained": 4,
        "relationship_quality": 5,
        "skill_confidence": {"generative AI": {"before": 2, "after": 4}, "TikTok": {"before": 1, "after": 3}},
    }
    answers.update(changes)
    return answers


def test_pulse_after_a_confirmed_meeting_only_once_per_person(world, ctx) -> None:
    pair_id = active_pair(world, ctx)
    meeting_id = confirmed_meeting(world, ctx, pair_id, 2)
    with world.db.transaction() as s:
        surveys.submit_pulse(s, ctx, meeting_id, "SENIOR", 5, "great")
        surveys.submit_pulse(s, ctx, meeting_id, "JUNIOR", 4)
    with world.db.transaction() as s, pytest.raises(ProgrammeError, match="already answered the pulse"):
        surveys.submit_pulse(s, ctx, meeting_id, "SENIOR", 3)


def test_pulse_on_an_unconfirmed_meeting_is_refused(world, ctx) -> None:
    pair_id = active_pair(world, ctx)
    with world.db.transaction() as s:
        meeting = meetings.log_meeting(
            s, ctx, pair_id, "SENIOR", held_on=dt.date(2026, 4, 2), minutes=40, mode="video", today=TODAY
        )
    with world.db.transaction() as s, pytest.raises(ProgrammeError, match="not confirmed yet"):
        surveys.submit_pulse(s, ctx, meeting.id, "JUNIOR", 4)


@pytest.mark.parametrize("rating", [0, 6, -1, 3.5, True, "5", None])
def test_ratings_out_of_range_are_refused(world, ctx, rating) -> None:
    pair_id = active_pair(world, ctx)
    meeting_id = confirmed_meeting(world, ctx, pair_id, 2)
    with (
        world.db.transaction() as s,
        pytest.raises(ProgrammeError, match="rating must be a whole number from 1 to 5"),
    ):
        surveys.submit_pulse(s, ctx, meeting_id, "SENIOR", rating)


def test_pulse_by_someone_outside_the_pair_is_refused(world, ctx) -> None:
    pair_id = active_pair(world, ctx)
    meeting_id = confirmed_meeting(world, ctx, pair_id, 2)
    with world.db.transaction() as s, pytest.raises(ProgrammeError, match="OTHER is not in pair"):
        surveys.submit_pulse(s, ctx, meeting_id, "OTHER", 4)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"learning_gained": 7}, "learning_gained must be"),
        ({"relationship_quality": 0}, "relationship_quality must be"),
        ({"skill_confidence": {"generative AI": {"before": 2, "after": 4}}}, "missing \\['TikTok'\\]"),
        (
            {"skill_confidence": {**retro()["skill_confidence"], "COBOL": {"before": 1, "after": 2}}},
            "not a goal \\['COBOL'\\]",
        ),
        (
            {
                "skill_confidence": {
                    "generative AI": {"before": 0, "after": 4},
                    "TikTok": {"before": 1, "after": 3},
                }
            },
            "generative AI before must be",
        ),
        ({"mood": "ok"}, "unknown retrospective answer"),
    ],
)
def test_bad_retrospectives_are_refused(world, ctx, changes, message) -> None:
    pair_id = active_pair(world, ctx)
    with world.db.transaction() as s, pytest.raises(ProgrammeError, match=message):
        surveys.submit_retrospective(s, ctx, pair_id, "SENIOR", "midpoint", retro(**changes), TODAY)


def test_retrospectives_reach_their_milestones_and_completion_awards_both(world, ctx) -> None:
    pair_id = active_pair(world, ctx)
    confirmed_meeting(world, ctx, pair_id, 2)
    with world.db.transaction() as s:
        surveys.submit_retrospective(s, ctx, pair_id, "SENIOR", "midpoint", retro(), TODAY)
        reached = set(s.scalars(select(MilestoneReached.milestone)))
        assert "midpoint_retrospective" in reached
    with world.db.transaction() as s, pytest.raises(ProgrammeError, match="already submitted the midpoint"):
        surveys.submit_retrospective(s, ctx, pair_id, "SENIOR", "midpoint", retro(), TODAY)
    with world.db.transaction() as s:
        surveys.submit_retrospective(s, ctx, pair_id, "SENIOR", "final", retro(), TODAY)
        assert "programme_completed" not in set(s.scalars(select(MilestoneReached.milestone)))
        surveys.submit_retrospective(s, ctx, pair_id, "JUNIOR", "final", retro(), TODAY)
        rows = s.execute(select(MilestoneReached.milestone, MilestoneReached.person_id)).all()
    per_milestone = {}
    for milestone, person in rows:
        per_milestone.setdefault(milestone, set()).add(person)
    assert len(per_milestone["midpoint_retrospective"]) == 1  # only SENIOR answered it
    assert len(per_milestone["programme_completed"]) == 2
    with world.db.transaction() as s:
        awards = s.scalars(select(OutboxItem).where(OutboxItem.action == "award")).all()
    assert sorted(a.key for a in awards) == sorted(
        f"award:rm-2026:programme_completed:{pair_id}:{who}:{conn}"
        for who in ("SENIOR", "JUNIOR")
        for conn in ("files", "lms")
    )
    assert awards[0].payload == {
        "programme": "rm-2026",
        "award": "reverse-mentoring",
        "person": awards[0].payload["person"],
        "pair_id": pair_id,
    }


def test_admin_aggregates_need_five_people_in_two_pairs_and_show_no_text(world, ctx, rm) -> None:
    world.person("S3", 9)
    world.person("J3", 2)
    pair_id = active_pair(world, ctx)
    other_pair = active_pair(world, ctx, "SENIOR2", "JUNIOR2")
    third_pair = active_pair(world, ctx, "S3", "J3")
    ids = [confirmed_meeting(world, ctx, pair_id, d) for d in (1, 2)]
    with world.db.transaction() as s:
        surveys.submit_pulse(s, ctx, ids[0], "SENIOR", 5, "SECRET-COMMENT-1")
        surveys.submit_pulse(s, ctx, ids[0], "JUNIOR", 3)
        surveys.submit_pulse(s, ctx, ids[1], "SENIOR", 4)
        surveys.submit_pulse(s, ctx, ids[1], "JUNIOR", 4)
    second = confirmed_meeting(world, ctx, other_pair, 3, by="SENIOR2", other="JUNIOR2")
    with world.db.transaction() as s:
        surveys.submit_pulse(s, ctx, second, "JUNIOR2", 2, "SECRET-COMMENT-2")
    with (
        world.db.transaction() as s,
        pytest.raises(surveys.TooFewResponses, match=r"from 3 person\(s\) in 2 pair\(s\).*at least 5 people"),
    ):
        surveys.aggregate(s, "rm-2026", "pulse")
    with world.db.transaction() as s, pytest.raises(surveys.TooFewResponses):
        surveys.aggregate(s, "rm-2026", "pulse", min_group=1)  # the floor cannot be lowered
    third = confirmed_meeting(world, ctx, third_pair, 4, by="S3", other="J3")
    with world.db.transaction() as s:
        surveys.submit_pulse(s, ctx, second, "SENIOR2", 3)
        surveys.submit_pulse(s, ctx, third, "S3", 1)
        figures = surveys.aggregate(s, "rm-2026", "pulse")
    assert figures == {
        "kind": "pulse",
        "responses": 7,
        "people": 5,
        "pairs": 3,
        "rating_mean": 3.14,
        "rating_distribution": {"1": 1, "2": 1, "3": 2, "4": 2, "5": 1},
        "teaching_distribution": {"mentor": 0, "mentee": 0, "even": 0},  # nobody answered it here
    }
    assert "SECRET" not in repr(figures)
    # the command prints it as a table a person reads; JSON on request
    table = rm("survey", "summary", "rm-2026")
    assert "rm-2026, pulse survey: 7 answer(s) from 5 people in 3 pairs" in table
    assert "rating (1-5), mean 3.14" in table and re.search(r"^\s+3\s+2\s+#+$", table, re.M)
    assert json.loads(rm("survey", "summary", "rm-2026", "--format", "json")) == figures


def test_one_pair_answering_many_pulses_shows_no_figure(world, ctx) -> None:
    pair_id = active_pair(world, ctx)
    for day in range(1, 8):
        meeting_id = confirmed_meeting(world, ctx, pair_id, day)
        with world.db.transaction() as s:
            surveys.submit_pulse(s, ctx, meeting_id, "SENIOR", 5)
            surveys.submit_pulse(s, ctx, meeting_id, "JUNIOR", 1)
    with (
        world.db.transaction() as s,
        pytest.raises(surveys.TooFewResponses, match=r"from 2 person\(s\) in 1 pair\(s\)"),
    ):
        surveys.aggregate(s, "rm-2026", "pulse")


def test_retrospective_aggregates_count_people_not_answers(world, ctx) -> None:
    for n in range(3, 6):
        world.person(f"S{n}", 9)
        world.person(f"J{n}", 2)
    a = active_pair(world, ctx)
    b = active_pair(world, ctx, "SENIOR2", "JUNIOR")  # JUNIOR mentors two pairs
    c = active_pair(world, ctx, "S4", "J4")
    world.pair("S5", "J5", wanted={"generative AI": 3})
    d = world.pairs[-1]
    with world.db.transaction() as s:
        agreements.draft_agreement(s, ctx, d, TODAY)
    only_ai = {"generative AI": {"before": 1, "after": 5}}
    with world.db.transaction() as s:
        for pair_id, who in ((a, "JUNIOR"), (b, "JUNIOR"), (a, "SENIOR"), (c, "S4"), (c, "J4")):
            surveys.submit_retrospective(s, ctx, pair_id, who, "final", retro(), TODAY)
    with (
        world.db.transaction() as s,
        pytest.raises(surveys.TooFewResponses, match=r"from 4 person\(s\) in 3 pair\(s\)"),
    ):
        surveys.aggregate(s, "rm-2026", "final")  # five answers, but JUNIOR's count once
    with world.db.transaction() as s:
        surveys.submit_retrospective(s, ctx, d, "S5", "final", retro(skill_confidence=only_ai), TODAY)
        figures = surveys.aggregate(s, "rm-2026", "final")
    assert (figures["responses"], figures["people"], figures["pairs"]) == (6, 5, 4)
    # TikTok was rated in five answers but by four people: no figure for it.
    assert figures["skill_confidence"] == {
        "generative AI": {"responses": 6, "before_mean": 1.83, "after_mean": 4.17},
    }


def test_retrospective_aggregates(world, ctx) -> None:
    pairs = [active_pair(world, ctx)]
    for n in range(3, 6):
        world.person(f"S{n}", 9)
        world.person(f"J{n}", 2)
        pairs.append(active_pair(world, ctx, f"S{n}", f"J{n}"))
    with world.db.transaction() as s:
        surveys.submit_retrospective(s, ctx, pairs[0], "SENIOR", "final", retro(went_well="PRIVATE"), TODAY)
        surveys.submit_retrospective(s, ctx, pairs[0], "JUNIOR", "final", retro(learning_gained=2), TODAY)
        for n, pair_id in zip(range(3, 6), pairs[1:], strict=True):
            surveys.submit_retrospective(
                s, ctx, pair_id, f"S{n}", "final", retro(relationship_quality=3), TODAY
            )
        figures = surveys.aggregate(s, "rm-2026", "final")
    assert figures["responses"] == 5
    assert figures["learning_gained_mean"] == 3.6
    assert figures["relationship_quality_mean"] == 3.8
    assert figures["skill_confidence"]["TikTok"] == {"responses": 5, "before_mean": 1.0, "after_mean": 3.0}
    assert "PRIVATE" not in repr(figures)


def test_the_pulse_asks_who_did_most_of_the_teaching(world, ctx) -> None:
    pair_id = active_pair(world, ctx)
    meeting_id = confirmed_meeting(world, ctx, pair_id, 2)
    with world.db.transaction() as s, pytest.raises(ProgrammeError, match="teaching must be one of"):
        surveys.submit_pulse(s, ctx, meeting_id, "SENIOR", 4, teaching="senior")
    with world.db.transaction() as s:
        response = surveys.submit_pulse(s, ctx, meeting_id, "SENIOR", 4, teaching="mentee")
        assert response.answers["teaching"] == "mentee"
        skipped = surveys.submit_pulse(s, ctx, meeting_id, "JUNIOR", 5)
        assert "teaching" not in skipped.answers  # the question may be skipped
