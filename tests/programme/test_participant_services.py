"""The services behind the participant's pages: where a person stands and what to do next, their
pair and why, milestones and badges, the agreement's versions and form edits."""

from __future__ import annotations

import datetime as dt

import pytest
from programme_world import START, World

from rm_plugin.errors import NotPermitted, ProgrammeError
from rm_plugin.programme import agreement_pages, agreements, meetings, participant, surveys
from rm_plugin.store.models import OutboxItem, Pair, StoredReceipt
from rm_plugin.unit_of_work import ProgrammeContext, UnitOfWork


def work_on(world: World, ctx: ProgrammeContext, today: dt.date):  # type: ignore[no-untyped-def]
    class _Work:
        def __enter__(self) -> UnitOfWork:
            self._tx = world.db.transaction()
            return UnitOfWork(self._tx.__enter__(), ctx, today)

        def __exit__(self, *exc: object) -> None:
            self._tx.__exit__(*exc)

    return _Work()


def step(world: World, ctx: ProgrammeContext, hr_id: str, today: dt.date = START) -> str:
    with work_on(world, ctx, today) as work:
        return next(s.next_step for s in participant.home(work, hr_id).programmes if s.slug == "rm-2026")


def test_the_next_step_follows_the_pair_through_its_work(world: World, ctx: ProgrammeContext) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    day = START + dt.timedelta(days=7)
    assert step(world, ctx, "SENIOR") == "sign_agreement"
    with work_on(world, ctx, day) as work:
        agreements.show_to_member(work, "SENIOR", pair_id=pair_id)
        agreements.sign_as_member(work, "SENIOR", pair_id=pair_id)
    assert step(world, ctx, "SENIOR") == "wait_for_partner_signature"
    assert step(world, ctx, "JUNIOR") == "sign_agreement"
    with work_on(world, ctx, day) as work:
        agreements.sign_as_member(work, "JUNIOR", pair_id=pair_id)
        logged = meetings.log_as_member(work, "JUNIOR", held_on=day, minutes=40, mode="video")
    assert step(world, ctx, "JUNIOR") == "log_meeting"
    assert step(world, ctx, "SENIOR") == "confirm_meeting"
    with work_on(world, ctx, day) as work:
        meetings.confirm_as_member(work, "SENIOR", logged.meeting_id)
    assert step(world, ctx, "SENIOR") == "answer_pulse"
    with work_on(world, ctx, day) as work:
        surveys.submit_pulse_as_member(work, "SENIOR", logged.meeting_id, 4)
    assert step(world, ctx, "SENIOR", day) == "log_meeting"
    assert step(world, ctx, "SENIOR", START + dt.timedelta(days=95)) == "midpoint"
    assert step(world, ctx, "SENIOR", START + dt.timedelta(days=170)) == "midpoint"  # midpoint before final


def test_a_proposal_is_shown_without_its_partner_and_its_pages_stay_closed(
    world: World, ctx: ProgrammeContext
) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        pair = s.get(Pair, pair_id)
        assert pair is not None
        pair.status = "proposed"
    with work_on(world, ctx, START) as work:
        line = participant.home(work, "SENIOR").programmes[0]
        assert (line.stage, line.next_step, line.pair_id) == ("proposed", "wait_for_review", None)
        with pytest.raises(NotPermitted, match="once reviewers approve"):
            participant.pair_and_why(work, "SENIOR", pair_id)


def test_only_the_two_members_read_a_pair(world: World, ctx: ProgrammeContext) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    world.pair("SENIOR2", "JUNIOR2")
    with work_on(world, ctx, START) as work:
        for outsider in ("SENIOR2", "ADMIN"):
            for read in (participant.pair_and_why, participant.my_progress, participant.meetings_page):
                with pytest.raises(NotPermitted):
                    read(work, outsider, pair_id)
            with pytest.raises(NotPermitted):
                agreement_pages.agreement_page(work, outsider, pair_id)


def test_the_pair_and_why_leaves_out_demographic_terms_and_their_points(
    world: World, ctx: ProgrammeContext
) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        pair = s.get(Pair, pair_id)
        assert pair is not None
        pair.breakdown = {
            "skills": {"value": 1.0, "weight": 3.0, "points": 3.0},
            "interests": {"value": 0.5, "weight": 1.0, "points": 0.5},
            "diverse_pair": {"value": 1.0, "weight": 0.5, "points": 0.5},
        }
        pair.score = 4.0
    with work_on(world, ctx, START) as work:
        why = participant.pair_and_why(work, "JUNIOR", pair_id)
    assert [t[0] for t in why.terms] == ["skills", "interests"]
    assert why.score == 3.5 and why.my_role == "mentor" and why.owner == "SENIOR Test"
    assert why.matched_skills == ["generative AI", "TikTok"]


def test_milestones_show_their_day_and_issued_badges_link_to_the_host(
    world: World, ctx: ProgrammeContext
) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    world.sign(ctx, pair_id)
    with world.db.transaction() as s:
        for person, status in (("SENIOR", "done"), ("JUNIOR", "pending")):
            key = f"award:rm-2026:programme_completed:{pair_id}:{person}:lms"
            payload = {
                "programme": "rm-2026",
                "award": "reverse-mentoring",
                "person": person,
                "pair_id": pair_id,
            }
            s.add(OutboxItem(key=key, connection="lms", action="award", payload=payload, status=status))
            if status == "done":
                s.add(StoredReceipt(connection="lms", key=key, host_ref="https://lms.example/badges/assertion.php?b=ab",
                                    data={"badge": "Reverse mentor"}))  # fmt: skip
    with work_on(world, ctx, START) as work:
        mine = participant.my_progress(work, "SENIOR", pair_id)
        theirs = participant.my_progress(work, "JUNIOR", pair_id)
    assert mine.milestones[0].key == "agreement_signed" and mine.milestones[0].reached_on == START
    assert mine.reached == 1
    assert [(b.name, b.status, b.link) for b in mine.badges] == [
        ("Reverse mentor", "issued", "https://lms.example/badges/assertion.php?b=ab")
    ]
    assert [(b.award, b.status, b.link) for b in theirs.badges] == [("reverse-mentoring", "pending", "")]


def test_a_badge_links_to_the_page_its_host_names_rather_than_its_assertion(
    world: World, ctx: ProgrammeContext
) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    key = f"award:rm-2026:programme_completed:{pair_id}:SENIOR:moodle"
    payload = {"programme": "rm-2026", "award": "reverse-mentoring", "person": "SENIOR", "pair_id": pair_id}
    receipt = {
        "badge": "Reverse mentor",
        "assertion": "https://lms.example/badges/assertion.php?b=ab",
        "page": "https://lms.example/badges/badge.php?hash=ab",
    }
    with world.db.transaction() as s:
        s.add(OutboxItem(key=key, connection="moodle", action="award", payload=payload, status="done"))
        s.add(StoredReceipt(connection="moodle", key=key, host_ref=receipt["assertion"], data=receipt))
    with work_on(world, ctx, START) as work:
        mine = participant.my_progress(work, "SENIOR", pair_id)
    assert [b.link for b in mine.badges] == ["https://lms.example/badges/badge.php?hash=ab"]


def test_a_form_edit_saves_only_what_changed_and_is_refused_on_a_replaced_version(
    world: World, ctx: ProgrammeContext
) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    with work_on(world, ctx, START) as work:
        page = agreement_pages.agreement_page(work, "SENIOR", pair_id)
        body = page.view["body"]
        form = {name: agreement_pages.field_text(body, name) for name in agreement_pages.FIELDS}
        form["goals"] = "generative AI: write prompts\nFigma: a first mock-up"
        form["schedule.minutes"] = "60"
        assert agreement_pages.form_changes(body, form) == {
            "goals": [
                {"skill": "generative AI", "aim": "write prompts"},
                {"skill": "Figma", "aim": "a first mock-up"},
            ],
            "schedule": {"minutes": 60},
        }
        edited = agreement_pages.edit_from_form(work, "SENIOR", pair_id, form, based_on=1)
        assert edited.version == 2
        with pytest.raises(ProgrammeError, match="your partner saved version 2"):
            agreement_pages.edit_from_form(work, "JUNIOR", pair_id, {"purpose": "x"}, based_on=1)
        with pytest.raises(ProgrammeError, match="nothing was changed"):
            agreement_pages.edit_from_form(work, "JUNIOR", pair_id, form, based_on=2)
        again = agreement_pages.agreement_page(work, "JUNIOR", pair_id)
        earlier = agreement_pages.agreement_page(work, "JUNIOR", pair_id, version=1)
    assert [c.field for c in again.changes] == ["goals", "schedule.minutes"]
    assert again.changes[1].before == "45" and again.changes[1].after == "60"
    assert [v.version for v in again.versions] == [2, 1] and again.versions[0].author == "SENIOR Test"
    assert earlier.changes == [] and earlier.view["version"] == 1


def test_the_schedule_reaches_a_calendar_connection_once(world: World, ctx: ProgrammeContext) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    with work_on(world, ctx, START) as work:
        agreements.show_to_member(work, "SENIOR", pair_id=pair_id)
        with pytest.raises(ProgrammeError, match="once you both signed"):
            agreement_pages.add_to_host_calendars(work, "SENIOR", pair_id)
    world.sign(ctx, pair_id)  # signing queues the calendar row for "files"
    with work_on(world, ctx, START) as work:
        assert agreement_pages.add_to_host_calendars(work, "SENIOR", pair_id) == []
        page = agreement_pages.agreement_page(work, "SENIOR", pair_id)
        name, ics = agreement_pages.agreement_ics(work, "JUNIOR", pair_id)
    assert [(c.connection, c.status) for c in page.calendars] == [("files", "queued")]
    assert name == f"reverse-mentoring-rm-2026-pair-{pair_id}.ics" and "RRULE" in ics


@pytest.mark.parametrize(
    ("day", "due"),
    [(0, set()), (89, set()), (90, {"midpoint"}), (149, {"midpoint"}), (150, {"midpoint", "final"})],
)
def test_retrospectives_open_at_the_midpoint_and_in_the_last_sixth(
    world: World, ctx: ProgrammeContext, day: int, due: set[str]
) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    with work_on(world, ctx, START + dt.timedelta(days=day)) as work:
        pair = work.session.get(Pair, pair_id)
        assert participant.retrospectives_due(work, pair) == due


def test_the_command_line_lists_the_versions_and_what_each_changed(world: World, rm) -> None:  # type: ignore[no-untyped-def]
    world.pair("SENIOR", "JUNIOR")
    rm("agreement", "show", "--as", "SENIOR")  # drafts it
    rm("agreement", "edit", "--as", "JUNIOR", "--set", "schedule.minutes=60")
    out = rm("agreement", "versions", "--as", "SENIOR")
    lines = out.splitlines()
    assert lines[0].startswith("version 1, first draft")
    assert lines[1].startswith("version 2, by JUNIOR Test")
    assert lines[2] == "  schedule.minutes: '45' -> '60'"
    assert "is not in pair" in rm("agreement", "versions", "--as", "ADMIN", "--pair", "1", code=1)
