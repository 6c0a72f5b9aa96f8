"""A pair's clock starts the day it becomes active; after a programme's end nothing new starts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from rm_plugin.errors import ProgrammeError
from rm_plugin.matching.review import approve
from rm_plugin.programme import agreements, meetings, milestones, nudges
from rm_plugin.store.models import Pair, Programme
from rm_plugin.unit_of_work import UnitOfWork

PROGRAMME_START = dt.date(2026, 11, 1)
APPROVED = dt.date(2026, 11, 29)


@pytest.fixture
def proposed(world) -> int:
    """A November programme and a proposal in it, waiting for its two reviewers."""
    with world.db.transaction() as s:
        programme = s.scalar(select(Programme))
        programme.starts_on, programme.ends_on = PROGRAMME_START, dt.date(2027, 4, 30)
    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        s.get(Pair, pair_id).status = "proposed"
    return pair_id


def approve_both(world, ctx, pair_id: int, on: dt.date) -> None:
    for reviewer in ("ADMIN", "OTHER"):
        approve(world.db, pair_id, reviewer, progress_connections=ctx.progress, today=on)


def test_an_approved_pair_starts_that_day_and_is_not_told_it_has_been_silent_since_the_programme_began(
    world, ctx, proposed
) -> None:
    approve_both(world, ctx, proposed, APPROVED)
    with world.db.transaction() as s:
        pair = s.get(Pair, proposed)
        assert pair.starts_on == APPROVED
        assert nudges.lapse_of(s, pair, APPROVED).days == 0  # not 28
        body = agreements.version_body(s, agreements.draft_agreement(s, ctx, proposed, APPROVED))
        enrol = world.outbox("enrol")[0]
    assert body["starts_on"] == "2026-11-29"
    assert enrol.payload["start"] == "2026-11-29"


def test_a_pair_approved_before_the_programme_starts_starts_with_it(world, ctx, proposed) -> None:
    approve_both(world, ctx, proposed, dt.date(2026, 10, 20))
    with world.db.transaction() as s:
        assert s.get(Pair, proposed).starts_on == PROGRAMME_START


def test_after_the_end_date_no_pair_agreement_meeting_or_milestone_starts(world, ctx, proposed) -> None:
    ended = dt.date(2027, 5, 3)
    with pytest.raises(ProgrammeError, match=r"ended on 2027-04-30, so it can no longer approve pairs"):
        approve(world.db, proposed, "ADMIN", progress_connections=ctx.progress, today=ended)
    late = world.pair("SENIOR2", "JUNIOR2")
    with world.db.transaction() as s, pytest.raises(ProgrammeError, match="can no longer draft agreements"):
        agreements.draft_agreement(s, ctx, late, ended)
    with world.db.transaction() as s:
        agreements.draft_agreement(s, ctx, late, dt.date(2027, 4, 1))
        agreements.sign_agreement(s, ctx, late, "SENIOR2", dt.date(2027, 4, 1))
    with world.db.transaction() as s, pytest.raises(ProgrammeError, match="can no longer sign agreements"):
        agreements.sign_agreement(s, ctx, late, "JUNIOR2", ended)
    with world.db.transaction() as s:
        agreements.sign_agreement(s, ctx, late, "JUNIOR2", dt.date(2027, 4, 2))
    with world.db.transaction() as s, pytest.raises(ProgrammeError, match="can no longer log meetings"):
        meetings.log_meeting(s, ctx, late, "SENIOR2", held_on=dt.date(2027, 5, 1), minutes=30, mode="chat",
                             today=ended)  # fmt: skip
    with world.db.transaction() as s:  # a meeting held on the last day may still be logged afterwards
        meetings.log_meeting(s, ctx, late, "SENIOR2", held_on=dt.date(2027, 4, 30), minutes=30, mode="chat",
                             today=ended)  # fmt: skip
        with pytest.raises(ProgrammeError, match="can no longer reach milestones"):
            milestones.report_for_person(
                UnitOfWork(s, ctx, ended), "rm-2026", "orientation_completed", "SENIOR2", ended
            )
        assert nudges.at_risk(s, "rm-2026", dt.date(2027, 7, 1)) == []  # nobody is chased after the end


def test_programme_list_shows_an_ended_programme_and_set_extends_it(world, ctx, proposed, rm) -> None:
    with world.db.transaction() as s:
        programme = s.scalar(select(Programme))
        programme.ends_on = dt.date.today() - dt.timedelta(days=1)
    listed = rm("programme", "list").splitlines()
    assert listed[0].split() == ["slug", "status", "enrolment", "dates", "name"]  # two "open"s told apart
    assert listed[2].split()[:3] == ["rm-2026", "ended", "invite"]
    out = rm("match", "approve", "rm-2026", str(proposed), "--reviewer", "ADMIN", code=1)
    assert "ended on" in out and "programme set rm-2026 --setting ends_on=" in out
    later = (dt.date.today() + dt.timedelta(days=90)).isoformat()
    rm("programme", "set", "rm-2026", "--setting", f"ends_on={later}")
    assert " ended " not in rm("programme", "list")
    rm("match", "approve", "rm-2026", str(proposed), "--reviewer", "ADMIN")
    out = rm("programme", "set", "rm-2026", "--setting", "ends_on=2026-10-01", code=1)
    assert "ends_on: 2026-10-01 must be after the programme's start, 2026-11-01" in out
