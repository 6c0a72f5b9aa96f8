"""The agreement, meeting, survey and recruitment commands, run as an admin or participant would."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from rm_plugin.cli import build_cli
from rm_plugin.store.models import OutboxItem

NOTE = "NOTE-CLI-93b1: salary worries"


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(build_cli(), list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_agreement_meeting_and_survey_through_the_cli(world, site) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    shown = run("agreement", "show", "--as", "SENIOR")
    assert "# Reverse mentoring agreement" in shown and "**generative AI**" in shown
    assert "OTHER is not in pair" in run("agreement", "show", "--as", "OTHER", "--pair", str(pair_id), code=1)
    assert "waiting for the other party" in run("agreement", "sign", "--as", "SENIOR")
    assert "now active" in run("agreement", "sign", "--as", "JUNIOR")
    edited = run(
        "agreement", "edit", "--as", "JUNIOR", "--set", "schedule.weekday=thu", "--set", "schedule.minutes=60"
    )
    assert "saved version 2" in edited and "it had been signed, so both of you sign it again" in edited
    unsigned = run("agreement", "edit", "--as", "JUNIOR", "--set", "schedule.minutes=50")
    assert "saved version 3" in unsigned and "again" not in unsigned  # nobody had signed version 2
    assert "both of you sign it when you agree" in unsigned
    assert "schedule.weekday" in run(
        "agreement", "edit", "--as", "JUNIOR", "--set", "schedule.weekday=x", code=1
    )
    assert "replaced by version 3" in run("agreement", "sign", "--as", "SENIOR", "--version", "1", code=1)
    body = json.loads(run("agreement", "show", "--as", "SENIOR", "--format", "json"))["body"]
    assert body["schedule"]["weekday"] == "thu" and body["schedule"]["minutes"] == 50

    logged = run(
        "meeting", "log", "--as", "SENIOR", "--date", "2026-03-04", "--minutes", "45", "--mode", "video",
        "--topic", "AI", "--note", NOTE,
    )  # fmt: skip
    meeting_id = logged.split()[2]
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    assert "in the future" in run(
        "meeting", "log", "--as", "SENIOR", "--date", future, "--minutes", "45", "--mode", "video", code=1
    )
    assert "expected a date" in run(
        "meeting",
        "log",
        "--as",
        "SENIOR",
        "--date",
        "yesterday",
        "--minutes",
        "45",
        "--mode",
        "video",
        code=2,
    )
    assert "the other member" in run("meeting", "confirm", "--as", "SENIOR", meeting_id, code=1)
    assert "confirmed meeting" in run("meeting", "confirm", "--as", "JUNIOR", meeting_id)
    assert NOTE in run("meeting", "list", "--as", "JUNIOR", "--notes")
    assert NOTE not in run("meeting", "list", "--as", "JUNIOR")
    assert "OTHER is not in pair" in run("meeting", "list", "--as", "OTHER", "--pair", str(pair_id), code=1)

    assert "from 1 to 5" in run(
        "survey", "submit", "--as", "JUNIOR", "pulse", "--meeting", meeting_id, "--rating", "9", code=1
    )
    assert "saved" in run(
        "survey", "submit", "--as", "JUNIOR", "pulse", "--meeting", meeting_id, "--rating", "4"
    )
    retro = run(
        "survey", "submit", "--as", "SENIOR", "midpoint", "--learning", "4", "--relationship", "5",
        "--skill", "generative AI=2:4", "--skill", "TikTok=1:3", "--went-well", "honesty",
    )  # fmt: skip
    assert "midpoint retrospective" in retro
    assert "at least 5" in run("survey", "summary", "rm-2026", code=1)

    nudged = run("meeting", "nudge", "rm-2026", "--today", "2026-05-01")
    assert "1 nudge(s) queued" in nudged and "admin" in nudged

    files = run("agreement", "export", "--as", "SENIOR").split()
    assert sorted(Path(f).suffix for f in files) == [".html", ".ics", ".md"]
    with world.db.transaction() as s:
        payloads = json.dumps([item.payload for item in s.scalars(select(OutboxItem))])
    assert "completion" in {i.action for i in world.outbox()} and "calendar" in {
        i.action for i in world.outbox()
    }
    for text in [payloads, *(Path(f).read_text() for f in files)]:
        assert "NOTE-CLI-93b1" not in text


def test_an_admin_reads_any_pairs_agreement_and_the_applications(world, site) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR", wanted={"generative AI": 3, "TikTok": 1})
    assert "has no agreement yet" in run("agreement", "show", "--pair", str(pair_id), code=1)
    run("agreement", "show", "--as", "SENIOR")  # a member's first look drafts it
    shown = run("agreement", "show", "--pair", str(pair_id))
    assert "# Reverse mentoring agreement" in shown and "**generative AI**" in shown
    assert "give --as HR_ID" in run("agreement", "show", code=2)
    listed = run("applications", "list", "rm-2026")
    mentee = r"^SENIOR\s+mentee\s+SENIOR Test\s+\S+\s+generative AI \(3\), TikTok \(1\)$"
    assert re.search(mentee, listed, re.M)
    assert re.search(r"^JUNIOR\s+mentor\s+JUNIOR Test\s+\S+\s+generative AI, TikTok, Figma$", listed, re.M)
    assert "2 application(s): 1 mentee(s), 1 mentor(s)" in listed
    assert "SENIOR" not in run("applications", "list", "rm-2026", "--role", "mentor")
