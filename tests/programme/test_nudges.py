"""At-risk pairs: the mentee is nudged first, then both, then the admin, once per lapse.

Only pairs that can meet (both signed the agreement) are nudged about meetings; the others are
reminded to sign. Messages say what was really sent.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from rm_plugin.programme import meetings, nudges
from rm_plugin.store.models import Nudge, Programme

START = dt.date(2026, 3, 2)  # the programme's start; cadence 14 days


def run(world, ctx, today):
    with world.db.transaction() as s:
        return nudges.run_nudges(s, ctx, "rm-2026", today)


def audiences(world):
    return [(item.payload["audience"], item.payload["kind"]) for item in world.outbox("notify")]


def signed_pair(world, ctx, mentee: str = "SENIOR", mentor: str = "JUNIOR") -> int:
    pair_id = world.pair(mentee, mentor)
    world.sign(ctx, pair_id)
    return pair_id


def test_escalation_mentee_then_both_then_admin_each_once(world, ctx) -> None:
    pair_id = signed_pair(world, ctx)
    assert run(world, ctx, START + dt.timedelta(days=20)) == []  # 20 < 21 = 1.5 × 14
    assert run(world, ctx, START + dt.timedelta(days=21)) == [(pair_id, "mentee")]
    assert run(world, ctx, START + dt.timedelta(days=22)) == []  # no repeat for the same lapse
    assert run(world, ctx, START + dt.timedelta(days=28)) == [(pair_id, "both")]
    assert run(world, ctx, START + dt.timedelta(days=42)) == [(pair_id, "admin")]
    assert run(world, ctx, START + dt.timedelta(days=90)) == []
    assert audiences(world) == [(["SENIOR"], "nudge"), (["SENIOR", "JUNIOR"], "nudge"), (["ADMIN"], "nudge")]
    body = world.outbox("notify")[0].payload["body"]
    assert "21 days ago" in body and "14 days" in body
    admin = world.outbox("notify")[-1].payload["body"]
    assert "Already reminded for this gap: the mentee on " in admin and "; both members on " in admin


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
    pair_id = signed_pair(world, ctx)
    assert run(world, ctx, START + dt.timedelta(days=50)) == [(pair_id, "admin")]
    assert run(world, ctx, START + dt.timedelta(days=51)) == []
    assert audiences(world) == [(["ADMIN"], "nudge")]
    admin = world.outbox("notify")[0].payload["body"]
    # the admin is told what happened: the pair was not reminded, not "both were reminded"
    assert "has not been reminded of this gap" in admin and "Both were reminded" not in admin
    with world.db.transaction() as s:
        details = dict(s.execute(select(Nudge.level, Nudge.detail)).all())
    assert details == {"mentee": "skipped: admin was due by then", "both": "skipped: admin was due by then",
                       "admin": "sent"}  # fmt: skip
    with world.db.transaction() as s:
        assert nudges.at_risk(s, "rm-2026", START + dt.timedelta(days=51))[0].days == 51


def test_the_agreed_cadence_is_used_when_there_is_an_agreement(world, ctx) -> None:
    from rm_plugin.programme import agreements

    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        agreements.draft_agreement(s, ctx, pair_id, START)
        agreements.edit_agreement(s, ctx, pair_id, "SENIOR", {"schedule": {"cadence_days": 28}})
        agreements.sign_agreement(s, ctx, pair_id, "SENIOR", START)
        agreements.sign_agreement(s, ctx, pair_id, "JUNIOR", START)
    assert run(world, ctx, START + dt.timedelta(days=21)) == []
    assert run(world, ctx, START + dt.timedelta(days=42)) == [(pair_id, "mentee")]


def test_without_an_admin_the_admin_level_waits_until_one_is_set(world, ctx, caplog) -> None:
    with world.db.transaction() as s:
        s.scalar(select(Programme)).admin_hr_id = None
    pair_id = signed_pair(world, ctx)
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


def test_a_pair_that_cannot_meet_yet_is_reminded_to_sign_never_nudged_about_meetings(world, ctx) -> None:
    unsigned = world.pair("SENIOR", "JUNIOR")  # never drafted: nobody has read it yet
    sent = run(world, ctx, START + dt.timedelta(days=60))
    assert sent == [(unsigned, "agreement:both")]
    assert {item.payload["kind"] for item in world.outbox("notify")} == {"reminder"}
    with world.db.transaction() as s:
        from rm_plugin.programme import agreements

        assert agreements.get_agreement(s, unsigned).current_version == 1  # drafted, so there is one to read
        risks = nudges.plan(s, "rm-2026", START + dt.timedelta(days=61))
    assert [(r.kind, r.sends) for r in risks] == [("agreement", None)]
    assert "no meeting can be logged until it is" in risks[0].reason


def test_the_at_risk_view_and_a_dry_run_change_nothing(world, ctx, site, rm) -> None:
    signed = signed_pair(world, ctx)
    unsigned = world.pair("SENIOR2", "JUNIOR2")
    ahead = (dt.date.today() + dt.timedelta(days=400)).isoformat()
    with world.db.transaction() as s:  # the CLI judges on today; keep the programme running past it
        s.scalar(select(Programme)).ends_on = dt.date.today() + dt.timedelta(days=500)
    out = rm("meeting", "at-risk", "rm-2026", "--today", ahead)
    assert f"pair {signed} (SENIOR with JUNIOR): no meeting since the pair started on 2026-03-02" in out
    assert f"pair {unsigned} (SENIOR2 with JUNIOR2): agreement not read yet for" in out
    assert "next nudge run sends: admin" in out and "next nudge run sends: both" in out
    dry = rm("meeting", "nudge", "rm-2026", "--dry-run", "--today", ahead)
    assert "2 nudge(s) would be queued (dry run" in dry
    assert f"pair {signed}: admin" in dry and f"pair {unsigned}: agreement:both" in dry
    refused = rm("meeting", "nudge", "rm-2026", "--today", ahead, code=1)
    assert "nudges are recorded as sent" in refused
    assert world.outbox("notify") == []
    with world.db.transaction() as s:
        assert s.scalars(select(Nudge)).all() == []
    assert "nudge(s) queued" in rm("meeting", "nudge", "rm-2026")
    assert world.outbox("notify") != []
