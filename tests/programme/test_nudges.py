"""At-risk pairs: the mentee is nudged first, then both, then the admin, once per lapse."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from rm_plugin.programme import meetings, nudges
from rm_plugin.store.models import Nudge

START = dt.date(2026, 3, 2)  # the programme's start; cadence 14 days


def run(world, ctx, today):
    with world.db.transaction() as s:
        return nudges.run_nudges(s, ctx, "rm-2026", today)


def audiences(world):
    return [(item.payload["audience"], item.payload["kind"]) for item in world.outbox("notify")]


def test_escalation_mentee_then_both_then_admin_each_once(world, ctx) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    assert run(world, ctx, START + dt.timedelta(days=20)) == []  # 20 < 21 = 1.5 × 14
    assert run(world, ctx, START + dt.timedelta(days=21)) == [(pair_id, "mentee")]
    assert run(world, ctx, START + dt.timedelta(days=22)) == []  # no repeat for the same lapse
    assert run(world, ctx, START + dt.timedelta(days=28)) == [(pair_id, "both")]
    assert run(world, ctx, START + dt.timedelta(days=42)) == [(pair_id, "admin")]
    assert run(world, ctx, START + dt.timedelta(days=90)) == []
    assert audiences(world) == [(["SENIOR"], "nudge"), (["SENIOR", "JUNIOR"], "nudge"), (["ADMIN"], "nudge")]
    body = world.outbox("notify")[0].payload["body"]
    assert "21 days ago" in body and "14 days" in body


def test_a_logged_meeting_starts_a_new_lapse(world, ctx) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    world.sign(ctx, pair_id)
    assert run(world, ctx, START + dt.timedelta(days=21)) == [(pair_id, "mentee")]
    with world.db.transaction() as s:
        meetings.log_meeting(
            s, ctx, pair_id, "JUNIOR", held_on=START + dt.timedelta(days=22), minutes=30, mode="chat",
            today=START + dt.timedelta(days=22),
        )  # fmt: skip
    assert run(world, ctx, START + dt.timedelta(days=30)) == []
    assert run(world, ctx, START + dt.timedelta(days=43)) == [(pair_id, "mentee")]
    with world.db.transaction() as s:
        lapses = sorted(set(s.scalars(select(Nudge.lapse))))
    assert lapses == ["since:2026-03-02", "since:2026-03-24"]


def test_a_long_gap_sends_only_the_highest_level_and_never_the_lower_ones_later(world, ctx) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    assert run(world, ctx, START + dt.timedelta(days=50)) == [(pair_id, "admin")]
    assert run(world, ctx, START + dt.timedelta(days=51)) == []
    assert audiences(world) == [(["ADMIN"], "nudge")]
    with world.db.transaction() as s:
        assert nudges.at_risk(s, "rm-2026", START + dt.timedelta(days=51))[0].days == 51


def test_the_agreed_cadence_is_used_when_there_is_an_agreement(world, ctx) -> None:
    from rm_plugin.programme import agreements

    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        agreements.draft_agreement(s, ctx, pair_id, START)
        agreements.edit_agreement(s, ctx, pair_id, "SENIOR", {"schedule": {"cadence_days": 28}})
    assert run(world, ctx, START + dt.timedelta(days=21)) == []
    assert run(world, ctx, START + dt.timedelta(days=42)) == [(pair_id, "mentee")]


def test_without_an_admin_the_admin_level_waits_until_one_is_set(world, ctx, caplog) -> None:
    from rm_plugin.store.models import Programme

    with world.db.transaction() as s:
        s.scalar(select(Programme)).admin_hr_id = None
    pair_id = world.pair("SENIOR", "JUNIOR")
    with caplog.at_level(logging.WARNING, logger="rm_plugin.programme.nudges"):
        assert run(world, ctx, START + dt.timedelta(days=45)) == [(pair_id, "both")]
    assert "has no admin_hr_id" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="rm_plugin.programme.nudges"):
        assert run(world, ctx, START + dt.timedelta(days=46)) == []
    assert "has no admin_hr_id" in caplog.text  # still warned, still not recorded
    with world.db.transaction() as s:
        assert sorted(s.scalars(select(Nudge.level))) == ["both", "mentee"]
        s.scalar(select(Programme)).admin_hr_id = "ADMIN"
    assert run(world, ctx, START + dt.timedelta(days=47)) == [(pair_id, "admin")]
    assert audiences(world) == [(["SENIOR", "JUNIOR"], "nudge"), (["ADMIN"], "nudge")]


def test_an_unsigned_agreement_reminds_the_mentee_first_then_both_once_per_version(world, ctx) -> None:
    from rm_plugin.programme import agreements
    from rm_plugin.store.models import AgreementVersion

    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        agreements.draft_agreement(s, ctx, pair_id, START)
        agreements.sign_agreement(s, ctx, pair_id, "JUNIOR", START)
        s.flush()
        for version in s.scalars(select(AgreementVersion)):
            version.created_at = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    assert run(world, ctx, START + dt.timedelta(days=6)) == []
    assert run(world, ctx, START + dt.timedelta(days=7)) == [(pair_id, "agreement:mentee")]
    assert run(world, ctx, START + dt.timedelta(days=8)) == []
    assert run(world, ctx, START + dt.timedelta(days=14)) == [(pair_id, "agreement:both")]
    assert run(world, ctx, START + dt.timedelta(days=15)) == []
    reminders = [i.payload for i in world.outbox("notify") if i.payload["kind"] == "reminder"]
    assert [r["audience"] for r in reminders] == [["SENIOR"], ["SENIOR"], ["JUNIOR"]]
    assert reminders[0]["subject"] == "Your mentoring agreement is waiting"
    with world.db.transaction() as s:
        agreements.sign_agreement(s, ctx, pair_id, "SENIOR", START + dt.timedelta(days=16))
    assert [lvl for _, lvl in run(world, ctx, START + dt.timedelta(days=20))] == []
