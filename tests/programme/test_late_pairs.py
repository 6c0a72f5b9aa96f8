"""A pair approved after the programme began starts then: its lapse, agreement and calendar."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from rm_plugin.errors import ProgrammeError
from rm_plugin.programme import agreements, meetings, nudges
from rm_plugin.store.models import Meeting, Pair, PairStatusChange

APPROVED = dt.date(2026, 4, 20)  # seven weeks after the programme's start (2026-03-02)


def approve_late(world, pair_id: int, *, starts_on: dt.date | None = None) -> None:
    with world.db.transaction() as s:
        s.add(
            PairStatusChange(
                pair_id=pair_id,
                from_status="proposed",
                to_status="active",
                actor="REVIEWER",
                at=dt.datetime.combine(APPROVED, dt.time(9, 30), tzinfo=dt.UTC),
            )
        )
        s.get(Pair, pair_id).starts_on = starts_on


def test_a_late_pair_is_not_nudged_for_weeks_before_it_existed(world, ctx) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    approve_late(world, pair_id)
    world.sign(ctx, pair_id, on=APPROVED)
    with world.db.transaction() as s:
        assert nudges.run_nudges(s, ctx, "rm-2026", APPROVED + dt.timedelta(days=5)) == []
    with world.db.transaction() as s:
        lapse = nudges.lapse_of(s, s.get(Pair, pair_id), APPROVED + dt.timedelta(days=21))
        sent = nudges.run_nudges(s, ctx, "rm-2026", APPROVED + dt.timedelta(days=21))
    assert lapse.since == APPROVED and lapse.days == 21
    assert (pair_id, "mentee") in sent and (pair_id, "admin") not in sent


def test_a_pair_start_date_wins_over_the_approval_day(world, ctx) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    approve_late(world, pair_id, starts_on=dt.date(2026, 5, 4))
    with world.db.transaction() as s:
        body = agreements.version_body(s, agreements.draft_agreement(s, ctx, pair_id, APPROVED))
    assert body["starts_on"] == "2026-05-04"


def test_a_late_pairs_agreement_and_calendar_start_when_it_was_approved(world, ctx) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    approve_late(world, pair_id)
    world.sign(ctx, pair_id, on=APPROVED)
    with world.db.transaction() as s:
        agreement = agreements.get_agreement(s, pair_id)
        body = agreements.version_body(s, agreement)
        _ics, occurrences = agreements.calendar_for(s, s.get(Pair, pair_id), agreement)
    assert body["starts_on"] == APPROVED.isoformat()
    assert occurrences[0].date() >= APPROVED


def test_an_early_pair_still_starts_with_the_programme(world, ctx) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        s.add(PairStatusChange(pair_id=pair_id, from_status="proposed", to_status="active",
                               at=dt.datetime(2026, 2, 20, tzinfo=dt.UTC)))  # fmt: skip
    with world.db.transaction() as s:
        body = agreements.version_body(s, agreements.draft_agreement(s, ctx, pair_id, APPROVED))
    assert body["starts_on"] == "2026-03-02"


def test_no_meeting_is_logged_before_the_agreement_is_signed(world, ctx) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    day = dt.date(2026, 3, 18)
    for step in ("none", "draft", "one signature"):
        with world.db.transaction() as s:
            if step == "draft":
                agreements.draft_agreement(s, ctx, pair_id, day)
            if step == "one signature":
                agreements.sign_agreement(s, ctx, pair_id, "SENIOR", day)
        with world.db.transaction() as s, pytest.raises(ProgrammeError, match="sign the agreement first"):
            meetings.log_meeting(s, ctx, pair_id, "SENIOR", held_on=day, minutes=30, mode="chat", today=day)
    with world.db.transaction() as s:
        agreements.sign_agreement(s, ctx, pair_id, "JUNIOR", day)
        meetings.log_meeting(s, ctx, pair_id, "SENIOR", held_on=day, minutes=30, mode="chat", today=day)
    with world.db.transaction() as s:
        assert len(s.scalars(select(Meeting)).all()) == 1


def test_meeting_log_says_to_sign_first(world, site, rm) -> None:
    world.pair("SENIOR", "JUNIOR")
    out = rm("meeting", "log", "--as", "SENIOR", "--date", "2026-03-04", "--minutes", "45", "--mode", "video",
             code=1)  # fmt: skip
    assert "sign the agreement first" in out
