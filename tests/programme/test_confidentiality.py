"""A meeting's private note never reaches the outbox, an export, a hook, the audit log or a log line."""

from __future__ import annotations

import datetime as dt
import json
import logging

from sqlalchemy import select

from rm_plugin.programme import agreements, meetings, nudges, surveys
from rm_plugin.store.models import AuditEntry, OutboxItem

NOTE = "NOTE-7f3a9c: my manager is leaving and I am worried about the team"
COMMENT = "COMMENT-51d0e2: felt awkward"
TODAY = dt.date(2026, 5, 4)


def test_note_and_comment_text_stay_with_the_pair(world, ctx, recorder, tmp_path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        agreements.draft_agreement(s, ctx, pair_id, TODAY)
        agreements.sign_agreement(s, ctx, pair_id, "SENIOR", TODAY)
        agreements.sign_agreement(s, ctx, pair_id, "JUNIOR", TODAY)
    with world.db.transaction() as s:
        meeting = meetings.log_meeting(
            s, ctx, pair_id, "SENIOR", held_on=dt.date(2026, 3, 4), minutes=45, mode="video",
            topics=["careers"], private_note=NOTE, today=TODAY,
        )  # fmt: skip
        meetings.confirm_meeting(s, ctx, meeting.id, "JUNIOR", TODAY)
        surveys.submit_pulse(s, ctx, meeting.id, "JUNIOR", 4, COMMENT)
        nudges.run_nudges(s, ctx, "rm-2026", TODAY)  # two months without a meeting: admin nudge
        agreements.export_agreement(s, ctx, pair_id, tmp_path / "out")
        admin_view = meetings.meetings_for_admin(s, pair_id)
        member_view = meetings.meetings_for_member(s, pair_id, "SENIOR")
    assert member_view[0].private_note == NOTE  # the pair sees it

    with world.db.transaction() as s:
        payloads = [json.dumps(p) for p in s.scalars(select(OutboxItem.payload))]
        audit = [json.dumps(d) for d in s.scalars(select(AuditEntry.detail))]
    assert any(json.loads(p).get("kind") == "nudge" for p in payloads)  # the scan saw real traffic
    exported = [path.read_text() for path in (tmp_path / "out").iterdir()]
    assert len(exported) == 3
    places = {
        "outbox": "\n".join(payloads),
        "audit": "\n".join(audit),
        "exports": "\n".join(exported),
        "hooks": repr(recorder.calls),
        "admin view": repr(admin_view),
        "logs": caplog.text + "\n".join(r.getMessage() for r in caplog.records),
        "meeting repr": repr(meeting),
    }
    for where, text in places.items():
        assert "NOTE-7f3a9c" not in text, f"note text reached {where}"
        assert "COMMENT-51d0e2" not in text, f"survey comment reached {where}"
