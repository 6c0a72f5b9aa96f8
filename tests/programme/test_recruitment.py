"""Recruitment: invitations or an announcement, tracked, and one reminder to those who did not apply."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from rm_plugin.errors import ProgrammeError
from rm_plugin.programme import recruitment
from rm_plugin.store.models import Application, Invitation, Person, Programme

NOW = dt.datetime(2026, 2, 1, 9, 0, tzinfo=dt.UTC)


def invite(world, ctx, **kwargs):
    with world.db.transaction() as s:
        return recruitment.invite(s, ctx, "rm-2026", **kwargs)


def test_invite_listed_people_once_and_report_unknown_ids(world, ctx) -> None:
    result = invite(world, ctx, hr_ids=["SENIOR", "JUNIOR", "GHOST"])
    assert result.invited == ["SENIOR", "JUNIOR"] and result.unknown == ["GHOST"]
    again = invite(world, ctx, hr_ids=["SENIOR"])
    assert again.invited == [] and again.already == ["SENIOR"]
    notes = world.outbox("notify")
    assert [n.payload["audience"] for n in notes] == [["SENIOR"], ["JUNIOR"]]
    assert notes[0].payload["kind"] == "invitation"
    assert notes[0].payload["subject"] == "You are invited to Reverse Mentoring 2026"
    assert "Hello SENIOR Test" in notes[0].payload["body"]


def test_invite_by_rule(world, ctx) -> None:
    result = invite(world, ctx, rule={"min_level": 8})
    assert sorted(result.invited) == ["SENIOR", "SENIOR2"]
    with pytest.raises(ProgrammeError, match="unknown selection rule key"):
        invite(world, ctx, rule={"grade": 3})


def test_invite_only_needs_a_list_or_rule(world, ctx) -> None:
    with pytest.raises(ProgrammeError, match="invite-only"):
        invite(world, ctx)


def test_open_programme_announces_to_the_eligible_population(world, ctx) -> None:
    with world.db.transaction() as s:
        programme = s.scalar(select(Programme))
        programme.enrolment, programme.mentor_max_level, programme.mentee_min_level = "open", 3, 8
        s.scalar(select(Person).where(Person.hr_id == "JUNIOR2")).status = "left"
    result = invite(world, ctx)
    assert sorted(result.invited) == ["JUNIOR", "SENIOR", "SENIOR2"]  # levels 5 and 6 may not apply
    assert {n.payload["kind"] for n in world.outbox("notify")} == {"announcement"}
    with pytest.raises(ProgrammeError, match="is open"):
        invite(world, ctx, hr_ids=["OTHER"])


def test_one_reminder_after_the_configured_days_to_those_who_have_not_applied(world, ctx) -> None:
    with world.db.transaction() as s:
        s.scalar(select(Programme)).settings = {"reminder_days": 5}
    invite(world, ctx, hr_ids=["SENIOR", "JUNIOR"])
    with world.db.transaction() as s:
        for invitation in s.scalars(select(Invitation)):
            invitation.sent_at = NOW
        programme = s.scalar(select(Programme))
        senior = s.scalar(select(Person).where(Person.hr_id == "SENIOR"))
        s.add(Application(programme_id=programme.id, person_id=senior.id, role="mentee", submitted_at=NOW))
    with world.db.transaction() as s:
        assert recruitment.remind(s, ctx, "rm-2026", now=NOW + dt.timedelta(days=4)) == []
    with world.db.transaction() as s:
        assert recruitment.remind(s, ctx, "rm-2026", now=NOW + dt.timedelta(days=5)) == ["JUNIOR"]
    with world.db.transaction() as s:
        assert recruitment.remind(s, ctx, "rm-2026", now=NOW + dt.timedelta(days=30)) == []
        tracked = {
            hr: (inv.responded_at, inv.reminded_at)
            for inv, hr in s.execute(
                select(Invitation, Person.hr_id).join(Person, Person.id == Invitation.person_id)
            )
        }
    assert tracked["SENIOR"] == (NOW, None)
    assert tracked["JUNIOR"] == (None, NOW + dt.timedelta(days=5))
    reminders = [n for n in world.outbox("notify") if n.payload["kind"] == "reminder"]
    assert [r.payload["audience"] for r in reminders] == [["JUNIOR"]]


def test_mark_responses_after_an_application_import(world, ctx) -> None:
    invite(world, ctx, hr_ids=["SENIOR", "JUNIOR"])
    with world.db.transaction() as s:
        programme = s.scalar(select(Programme))
        junior = s.scalar(select(Person).where(Person.hr_id == "JUNIOR"))
        s.add(Application(programme_id=programme.id, person_id=junior.id, role="mentor", submitted_at=NOW))
        s.add(
            Application(
                programme_id=programme.id,
                person_id=junior.id,
                role="mentee",
                submitted_at=NOW + dt.timedelta(days=1),
            )
        )
    with world.db.transaction() as s:
        assert recruitment.mark_responses(s, s.scalar(select(Programme))) == 1
        assert recruitment.mark_responses(s, s.scalar(select(Programme))) == 0
        listed = {row.hr_id: row.responded_at for row in recruitment.invitations(s, "rm-2026")}
    assert listed == {"SENIOR": None, "JUNIOR": NOW}  # the first application answers it
