"""Meetings: logged by one member, confirmed by the other, with every bad input refused."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import event, insert, select

from rm_plugin.errors import NotFound, ProgrammeError
from rm_plugin.programme import agreements, meetings
from rm_plugin.store.models import AuditEntry, Meeting, MilestoneReached, Person

TODAY = dt.date(2026, 4, 1)


def log(world, ctx, pair_id, by="SENIOR", **changes):
    values = dict(held_on=dt.date(2026, 3, 18), minutes=45, mode="video", topics=["AI"], today=TODAY)
    values.update(changes)
    with world.db.transaction() as s:
        return meetings.log_meeting(s, ctx, pair_id, by, **values).id


def test_log_then_the_other_confirms_and_hooks_see_no_note(world, ctx, recorder) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    world.sign(ctx, pair_id)
    meeting_id = log(world, ctx, pair_id, private_note="we talked about the reorg", topics=[" AI ", ""])
    with world.db.transaction() as s:
        meetings.confirm_meeting(s, ctx, meeting_id, "JUNIOR", TODAY)
    logged = [args["meeting"] for name, args in recorder.calls if name == "meeting_logged"]
    assert [m.confirmed for m in logged] == [False, True]
    assert logged[1].topics == ("AI",) and not hasattr(logged[1], "private_note")
    with world.db.transaction() as s:
        admin_view = meetings.meetings_for_admin(s, pair_id)
        member_view = meetings.meetings_for_member(s, pair_id, "JUNIOR")
    assert admin_view[0].confirmed and "reorg" not in repr(admin_view)
    assert member_view[0].private_note == "we talked about the reorg"


def test_confirming_reaches_meeting_milestones(world, ctx, recorder) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    world.sign(ctx, pair_id)
    for day in (4, 11, 18):
        meeting_id = log(world, ctx, pair_id, held_on=dt.date(2026, 3, day))
        with world.db.transaction() as s:
            meetings.confirm_meeting(s, ctx, meeting_id, "JUNIOR", TODAY)
    with world.db.transaction() as s:
        reached = sorted(set(s.scalars(select(MilestoneReached.milestone))))
    assert reached == ["agreement_signed", "first_meeting", "meetings_3"]
    assert [a["milestone"] for n, a in recorder.calls if n == "milestone_reached"] == [
        "agreement_signed",
        "first_meeting",
        "meetings_3",
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"held_on": dt.date(2026, 4, 2)}, "in the future"),
        ({"minutes": 0}, "positive number of minutes"),
        ({"minutes": -30}, "positive number of minutes"),
        ({"minutes": 900}, "more than 480"),
        ({"mode": "telepathy"}, "meeting mode must be one of"),
    ],
)
def test_bad_meetings_are_refused(world, ctx, changes, message) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    world.sign(ctx, pair_id)
    with pytest.raises(ProgrammeError, match=message):
        log(world, ctx, pair_id, **changes)
    with world.db.transaction() as s:
        assert s.scalars(select(Meeting)).all() == []


def test_a_second_meeting_on_the_same_day_is_refused(world, ctx) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    world.sign(ctx, pair_id)
    first = log(world, ctx, pair_id)
    with pytest.raises(ProgrammeError, match=f"already logged a meeting on 2026-03-18 \\(meeting {first}\\)"):
        log(world, ctx, pair_id, by="JUNIOR")


def test_a_person_outside_the_pair_cannot_log_or_confirm(world, ctx) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    world.sign(ctx, pair_id)
    with pytest.raises(ProgrammeError, match="OTHER is not in pair"):
        log(world, ctx, pair_id, by="OTHER")
    meeting_id = log(world, ctx, pair_id)
    with world.db.transaction() as s, pytest.raises(ProgrammeError, match="OTHER is not in pair"):
        meetings.confirm_meeting(s, ctx, meeting_id, "OTHER", TODAY)
    with world.db.transaction() as s, pytest.raises(ProgrammeError, match="OTHER is not in pair"):
        meetings.meetings_for_member(s, pair_id, "OTHER")


def test_the_author_cannot_confirm_their_own_meeting_nor_confirm_twice(world, ctx) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    world.sign(ctx, pair_id)
    meeting_id = log(world, ctx, pair_id)
    with world.db.transaction() as s, pytest.raises(ProgrammeError, match="the other member"):
        meetings.confirm_meeting(s, ctx, meeting_id, "SENIOR", TODAY)
    with world.db.transaction() as s:
        meetings.confirm_meeting(s, ctx, meeting_id, "JUNIOR", TODAY)
    with world.db.transaction() as s, pytest.raises(ProgrammeError, match="already confirmed"):
        meetings.confirm_meeting(s, ctx, meeting_id, "JUNIOR", TODAY)
    with world.db.transaction() as s, pytest.raises(NotFound, match="no meeting 999"):
        meetings.confirm_meeting(s, ctx, 999, "JUNIOR", TODAY)


def test_agreement_signed_and_meetings_together_can_complete_nothing_early(world, ctx) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        agreements.draft_agreement(s, ctx, pair_id, TODAY)
        agreements.sign_agreement(s, ctx, pair_id, "SENIOR", TODAY)
        agreements.sign_agreement(s, ctx, pair_id, "JUNIOR", TODAY)
    meeting_id = log(world, ctx, pair_id)
    with world.db.transaction() as s:
        meetings.confirm_meeting(s, ctx, meeting_id, "JUNIOR", TODAY)
        reached = set(s.scalars(select(MilestoneReached.milestone)))
    assert "programme_completed" not in reached and {"agreement_signed", "first_meeting"} <= reached


SECRET = "NOTE-RACE-5f2e: worried about the layoffs"


def _exception_texts(exc: BaseException | None) -> list[str]:
    texts = []
    while exc is not None:
        texts += [str(exc), repr(exc)]
        exc = exc.__cause__ or exc.__context__
    return texts


def test_a_same_day_clash_the_check_missed_is_a_clear_error_without_the_note(world, ctx, caplog) -> None:
    """The other member logs the same day between the check and the insert (forced here)."""
    pair_id = world.pair("SENIOR", "JUNIOR")
    world.sign(ctx, pair_id)
    day = dt.date(2026, 3, 18)
    with world.db.transaction() as s:
        junior_id = s.scalar(select(Person.id).where(Person.hr_id == "JUNIOR"))

    raced: list[bool] = []

    def other_member_logs_first(session, flush_context, instances) -> None:
        if raced or not any(isinstance(o, Meeting) for o in session.new):
            return
        raced.append(True)
        with world.db.engine.begin() as conn:  # another connection, committed before our insert
            conn.execute(
                insert(Meeting).values(
                    pair_id=pair_id, held_on=day, minutes=30, mode="chat", topics=[], private_note="",
                    logged_by_id=junior_id,
                )
            )  # fmt: skip

    caplog.set_level(logging.DEBUG)
    with world.db.transaction() as s:
        event.listen(s, "before_flush", other_member_logs_first)
        with pytest.raises(ProgrammeError, match="already logged a meeting on 2026-03-18") as raised:
            meetings.log_meeting(
                s, ctx, pair_id, "SENIOR", held_on=day, minutes=45, mode="video", private_note=SECRET,
                today=TODAY,
            )  # fmt: skip
        # The caller's transaction survives the refused insert and can go on.
        s.add(AuditEntry(actor="test", action="still.usable", entity="pair", entity_id=pair_id))
    assert raced
    texts = _exception_texts(raised.value)
    assert all("NOTE-RACE" not in t for t in texts), texts
    assert "NOTE-RACE" not in caplog.text
    with world.db.transaction() as s:
        assert s.scalars(select(Meeting.private_note)).all() == [""]
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.actor == "test")) == "still.usable"


def test_a_date_before_the_programme_start_is_refused(world, ctx) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")  # the programme starts on 2026-03-02
    world.sign(ctx, pair_id)
    with pytest.raises(ProgrammeError, match=r"2026-03-01 is before pair \d+ started on 2026-03-02"):
        log(world, ctx, pair_id, held_on=dt.date(2026, 3, 1))
    log(world, ctx, pair_id, held_on=dt.date(2026, 3, 2))


def test_a_date_before_the_agreed_start_is_refused(world, ctx) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        agreements.draft_agreement(s, ctx, pair_id, TODAY)
        agreements.edit_agreement(s, ctx, pair_id, "SENIOR", {"starts_on": "2026-03-16"})
        agreements.sign_agreement(s, ctx, pair_id, "SENIOR", TODAY)
        agreements.sign_agreement(s, ctx, pair_id, "JUNIOR", TODAY)
    with pytest.raises(ProgrammeError, match=r"before pair \d+ started on 2026-03-16"):
        log(world, ctx, pair_id, held_on=dt.date(2026, 3, 9))
    with world.db.transaction() as s:
        assert s.scalars(select(Meeting)).all() == []
    log(world, ctx, pair_id, held_on=dt.date(2026, 3, 16))
