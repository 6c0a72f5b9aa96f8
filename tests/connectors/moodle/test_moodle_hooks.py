"""Every Moodle hook against Moodle 4.4-shaped answers, with the exact form fields each sends."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest
import responses
from moodle_helpers import Expect, body
from sqlalchemy import select

from rm_plugin.connectors.moodle.connection import BadgePending, reference
from rm_plugin.connectors.moodle.errors import MoodleSetupError
from rm_plugin.connectors.moodle.groups import GroupMissing
from rm_plugin.domain.records import Delivery, PersonRecord, ProgrammeInfo
from rm_plugin.http import HostError
from rm_plugin.store import Database
from rm_plugin.store.models import AccountLink
from rm_plugin.sync.backoff import classify

COURSE = {"field": "idnumber", "value": "rm-2026"}
CONTENTS = {"courseid": "12", "options[0][name]": "excludecontents", "options[0][value]": "1"}
PAIR = {
    "pair_id": 9,
    "programme": "rm-2026",
    "mentee": "E100",
    "mentor": "E200",
    "start": "2026-01-05",
    "end": "2026-07-03",
}


def delivery(
    action: str, payload: dict[str, Any], key: str = "k1", previous: dict[str, Any] | None = None
) -> Delivery:
    return Delivery(1, key, "moodle", action, payload, previous_receipt=previous)


def expect_course(expect: Expect) -> None:
    expect("core_course_get_courses_by_field", COURSE, body("courses"))
    expect("core_course_get_contents", CONTENTS, body("contents"))


def expect_users(expect: Expect, *ids: str) -> None:
    fields = {"field": "idnumber", **{f"values[{i}]": v for i, v in enumerate(ids)}}
    users = [u for u in body("users") if u["idnumber"] in ids]
    expect("core_user_get_users_by_field", fields, users)


# -- prepare -------------------------------------------------------------------------------------


PROGRAMME = ProgrammeInfo(
    1, "rm-2026", "RM 2026", None, None, milestones=("agreement_signed", "first_meeting")
)


def test_prepare_maps_each_milestone_to_its_activity(make_connection, expect: Expect) -> None:
    expect_course(expect)
    receipt = make_connection().rm_prepare_programme(connection="moodle", programme=PROGRAMME)
    assert receipt.host_ref == "course 12" and receipt.skipped
    assert receipt.data["activities"] == {"agreement_signed": 310, "first_meeting": 311}


def test_prepare_names_a_missing_course(make_connection, expect: Expect) -> None:
    expect("core_course_get_courses_by_field", COURSE, {"courses": [], "warnings": []})
    with pytest.raises(MoodleSetupError, match="no course has idnumber 'rm-2026'"):
        make_connection().rm_prepare_programme(connection="moodle", programme=PROGRAMME)


def test_prepare_names_every_problem_of_the_course_at_once(make_connection, expect: Expect) -> None:
    courses = body("courses")
    courses["courses"][0]["enablecompletion"] = 0
    expect("core_course_get_courses_by_field", COURSE, courses)
    expect("core_course_get_contents", CONTENTS, body("contents"))
    connection = make_connection(milestones={"agreement_signed": 313, "first_meeting": 999})
    programme = ProgrammeInfo(
        1, "rm-2026", "RM", None, None, milestones=("agreement_signed", "first_meeting", "midpoint")
    )
    with pytest.raises(MoodleSetupError) as caught:
        connection.rm_prepare_programme(connection="moodle", programme=programme)
    message = str(caught.value)
    assert "course 'RM-2026' (id 12) does not track completion" in message
    assert (
        "milestone 'agreement_signed': activity 'Course feedback' (id 313) uses automatic completion"
        in message
    )
    assert (
        "milestone 'first_meeting': course 'RM-2026' (id 12) has no activity with course-module id 999"
        in message
    )
    assert "milestone 'midpoint' has no activity: add `midpoint = <course-module id or name>`" in message
    assert not caught.value.retryable


# -- people --------------------------------------------------------------------------------------


def test_people_are_resolved_in_batches_and_remembered(
    make_connection, people: Database, expect: Expect, mock: responses.RequestsMock
) -> None:
    connection = make_connection(people, batch_size=2)
    records = [
        PersonRecord("E100", "a@x.example"),
        PersonRecord("E200", "b@x.example"),
        PersonRecord("E300", "c@x.example"),
    ]
    expect_users(expect, "E100", "E200")
    expect("core_user_get_users_by_field", {"field": "idnumber", "values[0]": "E300"}, [])
    assert connection.rm_resolve_accounts(connection="moodle", people=records) == {"E100": "41", "E200": "57"}
    result = connection.accounts.resolve(records)
    assert result.missing == {"E300": "no account with ID number 'E300' is visible to the integration user"}
    # asked once per run: E300 is not looked up again (the mock fails on an unexpected call)
    assert connection.accounts.resolve(records[2:]).missing == result.missing
    assert connection.client.calls_by_name["core_user_get_users_by_field"] == 2
    with people.transaction() as session:
        assert sorted(session.scalars(select(AccountLink.account_id))) == ["41", "57"]
    # a new connection (a later run) reads the stored links: no call for E100 and E200
    again = make_connection(people)
    assert again.accounts.resolve(records[:2]).found == {"E100": 41, "E200": 57}
    assert again.client.calls_by_name["core_user_get_users_by_field"] == 0


def test_people_matched_by_email_ignore_case_and_report_duplicates(
    make_connection, people: Database, expect: Expect
) -> None:
    users = [*body("users"), body("users")[1] | {"id": 58}]
    expect(
        "core_user_get_users_by_field",
        {
            "field": "email",
            "values[0]": "ada.senior@acme.example",
            "values[1]": "Bo.Junior@acme.example",
            "values[2]": "bo.junior@acme.example",
        },
        users,
    )
    result = make_connection(people, match_by="email").accounts.resolve_hr_ids(["E100", "E200", "E999"])
    assert result.found == {"E100": 41}
    assert result.missing == {
        "E200": "2 Moodle accounts (57, 58) have email 'bo.junior@acme.example'",
        "E999": "not a known person (run `rm-plugin people sync`)",
    }


def test_an_email_is_asked_for_as_hr_holds_it_and_lowercased(
    make_connection, people: Database, expect: Expect
) -> None:
    # Moodle compares exactly: an account typed "Bo.Junior@…" is found only by that spelling
    typed_as_in_hr = body("users")[1] | {"email": "Bo.Junior@acme.example"}
    expect(
        "core_user_get_users_by_field",
        {"field": "email", "values[0]": "Bo.Junior@acme.example", "values[1]": "bo.junior@acme.example"},
        [typed_as_in_hr],
    )
    result = make_connection(people, match_by="email").accounts.resolve_hr_ids(["E200"])
    assert result.found == {"E200": 57} and result.missing == {}


def test_an_email_found_under_both_spellings_is_one_account(
    make_connection, people: Database, expect: Expect
) -> None:
    expect(
        "core_user_get_users_by_field",
        {"field": "email", "values[0]": "Bo.Junior@acme.example", "values[1]": "bo.junior@acme.example"},
        [body("users")[1], body("users")[1]],
    )
    assert make_connection(people, match_by="email").accounts.resolve_hr_ids(["E200"]).found == {"E200": 57}


# -- enrol ---------------------------------------------------------------------------------------

GROUP_MEMBERS = {
    "members[0][groupid]": "45",
    "members[0][userid]": "41",
    "members[1][groupid]": "45",
    "members[1][userid]": "57",
}


def expect_pair_group(expect: Expect, *, created: bool) -> None:
    """Pair 9's group: listed first; created only when the list lacks rm-pair-9; both added."""
    groups = body("course_groups")
    if not created:
        groups = groups + body("group_created")
    expect("core_group_get_course_groups", {"courseid": "12"}, groups)
    if created:
        expect(
            "core_group_create_groups",
            {
                "groups[0][courseid]": "12",
                "groups[0][name]": "Reverse mentoring pair 9",
                "groups[0][description]": (
                    "The two members of one reverse-mentoring pair, for their own calendar events."
                ),
                "groups[0][descriptionformat]": "2",
                "groups[0][idnumber]": "rm-pair-9",
                "groups[0][visibility]": "1",
            },
            body("group_created"),
        )
    expect("core_group_add_group_members", GROUP_MEMBERS, None)


def test_enrol_puts_both_members_in_the_course_and_the_cohorts_in_two_calls(
    make_connection, people: Database, expect: Expect
) -> None:
    expect_course(expect)
    expect_users(expect, "E100", "E200")
    expect(
        "enrol_manual_enrol_users",
        {
            "enrolments[0][roleid]": "5",
            "enrolments[0][userid]": "41",
            "enrolments[0][courseid]": "12",
            "enrolments[0][timestart]": "1767571200",
            "enrolments[1][roleid]": "5",
            "enrolments[1][userid]": "57",
            "enrolments[1][courseid]": "12",
            "enrolments[1][timestart]": "1767571200",
        },
        None,
    )
    expect(
        "core_cohort_add_cohort_members",
        {
            "members[0][cohorttype][type]": "idnumber",
            "members[0][cohorttype][value]": "rm-participants",
            "members[0][usertype][type]": "id",
            "members[0][usertype][value]": "41",
            "members[1][cohorttype][type]": "idnumber",
            "members[1][cohorttype][value]": "rm-participants",
            "members[1][usertype][type]": "id",
            "members[1][usertype][value]": "57",
        },
        {
            "warnings": [
                {"item": "cohort", "itemid": 4, "warningcode": "3", "message": "record already exists"}
            ]
        },
    )
    expect_pair_group(expect, created=True)
    receipt = make_connection(people).rm_enrol_pair(delivery=delivery("enrol", PAIR))
    assert receipt.host_ref == "course 12" and not receipt.skipped
    assert receipt.data["users"] == {"E100": 41, "E200": 57}
    assert receipt.data["group_id"] == 45 and receipt.data["group_created"]


def test_enrol_names_the_person_without_an_account_and_writes_nothing(
    make_connection, people: Database, expect: Expect
) -> None:
    expect_course(expect)
    expect_users(expect, "E100", "E300")
    with pytest.raises(MoodleSetupError) as caught:
        make_connection(people).rm_enrol_pair(delivery=delivery("enrol", PAIR | {"mentor": "E300"}))
    assert str(caught.value) == (
        "moodle: core_user_get_users_by_field failed: noaccount: no Moodle account for E300: no account with "
        "ID number 'E300' is visible to the integration user; give each an account whose ID number is their "
        "HR id (`rm-plugin moodle accounts` lists everyone without one), then `rm-plugin sync retry <id>`"
    )
    assert not classify(caught.value).retryable  # parked once, not retried in a loop


def expect_enrolled(expect: Expect) -> None:
    expect_course(expect)
    expect_users(expect, "E100", "E200")
    expect("enrol_manual_enrol_users", None, None, any_fields=True)
    expect("core_cohort_add_cohort_members", None, {"warnings": []}, any_fields=True)


def test_a_member_moodle_cannot_see_in_a_hidden_group_names_viewhiddengroups(
    make_connection, people: Database, expect: Expect
) -> None:
    # Moodle 4.4 without moodle/course:viewhiddengroups: the retried enrolment's list shows no group,
    # creating it again is refused (name taken), the list still lacks it; re-adding a member the
    # integration user cannot see fails with dml_write_exception instead of being kept
    expect_enrolled(expect)
    expect("core_group_get_course_groups", {"courseid": "12"}, body("course_groups")[:1])
    expect("core_group_create_groups", None, body("invalidparameter"), any_fields=True)
    with pytest.raises(MoodleSetupError) as caught:
        make_connection(people).rm_enrol_pair(delivery=replace(delivery("enrol", PAIR), attempt=2))
    assert (
        "Moodle refused to create the group 'rm-pair-9' of pair 9 in course id 12 (invalidparameter"
        in str(caught.value)
    )
    assert "give the integration role moodle/course:viewhiddengroups" in str(caught.value)
    assert not classify(caught.value).retryable


def test_re_adding_members_refused_by_the_database_names_viewhiddengroups(
    make_connection, people: Database, expect: Expect
) -> None:
    expect_enrolled(expect)
    expect("core_group_get_course_groups", {"courseid": "12"}, body("course_groups") + body("group_created"))
    expect("core_group_add_group_members", GROUP_MEMBERS, body("dmlwriteexception"))
    with pytest.raises(MoodleSetupError) as caught:
        make_connection(people).rm_enrol_pair(delivery=delivery("enrol", PAIR))
    assert "cannot see that they are members already; give the integration role " in str(caught.value)
    assert "moodle/course:viewhiddengroups" in str(caught.value)
    # not retried as if Moodle's database were down: the same call would fail the same way
    assert not classify(caught.value).retryable


def test_a_group_made_since_the_list_was_read_is_used_not_made_twice(
    make_connection, people: Database, expect: Expect
) -> None:
    expect_enrolled(expect)
    expect("core_group_get_course_groups", {"courseid": "12"}, body("course_groups"))
    expect("core_group_create_groups", None, body("idnumbertaken"), any_fields=True)
    expect("core_group_get_course_groups", {"courseid": "12"}, body("course_groups") + body("group_created"))
    expect("core_group_add_group_members", GROUP_MEMBERS, None)
    receipt = make_connection(people).rm_enrol_pair(delivery=delivery("enrol", PAIR))
    assert receipt.data["group_id"] == 45 and not receipt.data["group_created"]


def test_enrol_fails_on_an_unknown_cohort(make_connection, people: Database, expect: Expect, mock) -> None:
    expect_course(expect)
    expect_users(expect, "E100", "E200")
    mock.post("https://moodle.example.org/webservice/rest/server.php", body="null")
    mock.post(
        "https://moodle.example.org/webservice/rest/server.php",
        json={
            "warnings": [
                {"item": "cohort", "itemid": 0, "warningcode": "2", "message": "Cohort does not exist"}
            ]
        },
    )
    with pytest.raises(
        MoodleSetupError, match=r"could not add to cohort.s. rm-participants: Cohort does not exist"
    ):
        make_connection(people).rm_enrol_pair(delivery=delivery("enrol", PAIR))


def test_an_enrolment_whose_welcome_message_moodle_cannot_send_says_what_to_fix(
    make_connection, people: Database, expect: Expect
) -> None:
    # Moodle 4.4 with the Manual enrolments method's course welcome message on and a course contact
    # (a teacher) to send it: when its mail fails, the call answers this after enrolling both.
    expect_course(expect)
    expect_users(expect, "E100", "E200")
    answer = {"exception": "moodle_exception", "errorcode": "Message was not sent.",
              "message": "error/Message was not sent."}  # fmt: skip
    expect("enrol_manual_enrol_users", None, answer, any_fields=True)
    with pytest.raises(HostError) as caught:
        make_connection(people).rm_enrol_pair(delivery=delivery("enrol", PAIR))
    assert "could not send the course welcome message" in str(caught.value)
    assert "Send course welcome message" in str(caught.value)
    assert not classify(caught.value).retryable  # parked: retrying re-sends the welcome message


def test_a_rerun_with_receipts_makes_no_call_at_all(make_connection, people: Database) -> None:
    connection = make_connection(people)
    previous = {"host_ref": "course 12", "data": {"course_id": 12}}
    milestone = {"programme": "rm-2026", "milestone": "first_meeting", "person": "E100", "pair_id": 9}
    award = {"programme": "rm-2026", "award": "reverse_mentor", "person": "E100", "pair_id": 9}
    calendar = PAIR | {"summary": "Pair 9", "occurrences": ["2026-01-12T09:00:00+00:00"], "ics": ""}
    notify = {"audience": ["E100"], "subject": "s", "body": "b", "kind": "reminder"}
    receipts = [
        connection.rm_enrol_pair(delivery=delivery("enrol", PAIR, previous=previous)),
        connection.rm_record_milestone(delivery=delivery("completion", milestone, previous=previous)),
        connection.rm_award(delivery=delivery("award", award, previous=previous)),
        connection.rm_put_calendar_event(delivery=delivery("calendar", calendar, previous=previous)),
        connection.rm_send_notification(delivery=delivery("notify", notify, previous=previous)),
        connection.rm_close_pair(delivery=delivery("close", PAIR)),
    ]
    assert all(r.skipped for r in receipts)
    assert receipts[0].host_ref == "course 12"
    assert sum(connection.client.calls.values()) == 0  # the mock would fail on any request


def test_other_connections_deliveries_are_not_answered(make_connection) -> None:
    other = Delivery(1, "k", "bamboo", "enrol", PAIR)
    connection = make_connection()
    assert connection.rm_enrol_pair(delivery=other) is None
    assert connection.rm_award(delivery=other) is None
    assert connection.rm_resolve_accounts(connection="bamboo", people=[]) is None


def test_close_suspends_both_enrolments_when_configured(
    make_connection, people: Database, expect: Expect
) -> None:
    expect_course(expect)
    expect_users(expect, "E100", "E200")
    expect(
        "enrol_manual_enrol_users",
        {
            "enrolments[0][roleid]": "5",
            "enrolments[0][userid]": "41",
            "enrolments[0][courseid]": "12",
            "enrolments[0][suspend]": "1",
            "enrolments[1][roleid]": "5",
            "enrolments[1][userid]": "57",
            "enrolments[1][courseid]": "12",
            "enrolments[1][suspend]": "1",
        },
        None,
    )
    receipt = make_connection(people, on_close="suspend").rm_close_pair(delivery=delivery("close", PAIR))
    assert receipt.data == {"suspended": {"E100": 41, "E200": 57}}


# -- milestones ----------------------------------------------------------------------------------


def test_a_milestone_overrides_the_participants_completion(
    make_connection, people: Database, expect: Expect
) -> None:
    expect_course(expect)
    expect_users(expect, "E100")
    expect(
        "core_completion_override_activity_completion_status",
        {"userid": "41", "cmid": "311", "newstate": "1"},
        body("override"),
    )
    payload = {
        "programme": "rm-2026",
        "milestone": "first_meeting",
        "person": "E100",
        "pair_id": 9,
        "reached_on": "2026-01-12",
    }
    receipt = make_connection(people).rm_record_milestone(delivery=delivery("completion", payload))
    assert receipt.host_ref == "cm 311 user 41"
    assert receipt.data == {"cmid": 311, "userid": 41, "timecompleted": 1767700000}


def test_an_unmapped_milestone_is_named(make_connection, people: Database) -> None:
    payload = {"programme": "rm-2026", "milestone": "meetings_3", "person": "E100", "pair_id": 9}
    with pytest.raises(MoodleSetupError, match="milestone 'meetings_3' has no activity"):
        make_connection(people).rm_record_milestone(delivery=delivery("completion", payload))


# -- awards --------------------------------------------------------------------------------------

AWARD = {"programme": "rm-2026", "award": "reverse_mentor", "person": "E100", "pair_id": 9}


def test_a_course_completion_badge_is_read_back_as_its_assertion(
    make_connection, people: Database, expect: Expect
) -> None:
    expect_course(expect)
    expect_users(expect, "E100")
    # the milestones completed the course, so the badge is read once, nothing written
    expect("core_badges_get_user_badges", {"userid": "41"}, body("badges_one"))
    connection = make_connection(people)
    receipt = connection.rm_award(delivery=delivery("award", AWARD))
    assert connection.client.calls_by_name["core_badges_get_user_badges"] == 1
    assert receipt.host_ref == (
        "https://moodle.example.org/badges/assertion.php?b=5f1d0c3a9e2b4d6f8a7c1e3b5d7f9a0c2e4b6d8f"
    )
    assert receipt.data["badge_id"] == 7 and receipt.data["dateissued"] == 1767800000


def test_a_badge_receipt_names_the_page_a_person_sees_it_on(
    make_connection, people: Database, expect: Expect
) -> None:
    # What Moodle 4.4 gives the integration user for another user's badge: no email, no issuedid.
    # Its assertion.php answers JSON (for verifiers); badge.php?hash= is the page people read.
    expect_course(expect)
    expect_users(expect, "E100")
    expect("core_badges_get_user_badges", {"userid": "41"}, body("badges_of_another_user"))
    receipt = make_connection(people).rm_award(delivery=delivery("award", AWARD))
    unique = "fe4d5ca6ab6b6597ccc6fd92dda7530aa4cb74c6"
    assert receipt.host_ref == f"https://moodle.example.org/badges/assertion.php?b={unique}"
    assert receipt.data["page"] == f"https://moodle.example.org/badges/badge.php?hash={unique}"


def test_a_badge_already_issued_makes_no_write(make_connection, people: Database, expect: Expect) -> None:
    expect_course(expect)
    expect_users(expect, "E100")
    expect("core_badges_get_user_badges", {"userid": "41"}, body("badges_one"))
    award = AWARD | {"award": "mentor_cohort"}
    connection = make_connection(people)
    receipt = connection.rm_award(delivery=delivery("award", award))
    assert receipt.skipped and receipt.data["uniquehash"]
    assert connection.client.calls_by_name["core_cohort_add_cohort_members"] == 0


def test_a_cohort_badge_adds_the_person_to_the_badge_cohort(
    make_connection, people: Database, expect: Expect
) -> None:
    expect_course(expect)
    expect_users(expect, "E100")
    expect("core_badges_get_user_badges", {"userid": "41"}, body("badges_none"))
    expect(
        "core_cohort_add_cohort_members",
        {
            "members[0][cohorttype][type]": "idnumber",
            "members[0][cohorttype][value]": "rm-badge-mentor",
            "members[0][usertype][type]": "id",
            "members[0][usertype][value]": "41",
        },
        {"warnings": []},
    )
    expect("core_badges_get_user_badges", {"userid": "41"}, body("badges_one"))
    receipt = make_connection(people).rm_award(delivery=delivery("award", AWARD | {"award": "mentor_cohort"}))
    assert not receipt.skipped and receipt.data["badge"] == "Reverse mentor"


def test_an_activity_badge_completes_its_activity(make_connection, people: Database, expect: Expect) -> None:
    expect_course(expect)
    expect_users(expect, "E100")
    expect("core_badges_get_user_badges", {"userid": "41"}, body("badges_none"))
    expect(
        "core_completion_override_activity_completion_status",
        {"userid": "41", "cmid": "312", "newstate": "1"},
        body("override") | {"cmid": 312},
    )
    expect("core_badges_get_user_badges", {"userid": "41"}, body("badges_one"))
    awards = {"finisher": {"route": "activity", "badge": "Reverse mentor", "activity": "Final retrospective"}}
    receipt = make_connection(people, awards=awards).rm_award(
        delivery=delivery("award", AWARD | {"award": "finisher"})
    )
    assert receipt.data["userid"] == 41


def test_a_badge_not_yet_issued_is_retried_later(make_connection, people: Database, expect: Expect) -> None:
    expect_course(expect)
    expect_users(expect, "E100")
    expect("core_badges_get_user_badges", {"userid": "41"}, body("badges_none"))
    with pytest.raises(BadgePending) as caught:
        make_connection(people).rm_award(delivery=delivery("award", AWARD))
    # no fixed wait of its own: the sync engine backs off exponentially, with jitter
    assert caught.value.retryable and caught.value.retry_after is None
    message = str(caught.value)
    assert "the course (id 12) is not complete for user 41" in message
    # a private badge is never returned to the integration user: the reason says what to do
    assert "Moodle shows the integration user only public badges" in message
    assert "Recipients page (Badges › Manage badges) lists this user" in message
    assert "Preferences › Badges › Manage badges: Make public" in message


# -- calendar ------------------------------------------------------------------------------------

ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//rm//EN\r\nBEGIN:VEVENT\r\nUID:p9@rm\r\nDTSTAMP:20260101T000000Z\r\n"
    "DTSTART:20260112T090000Z\r\nDURATION:PT45M\r\nRRULE:FREQ=WEEKLY;COUNT=2\r\n"
    "SUMMARY:Pair 9\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
CALENDAR = PAIR | {
    "summary": "Reverse mentoring: pair 9",
    "ics": ICS,
    "occurrences": ["2026-01-12T09:00:00+00:00", "2026-01-19T09:00:00+00:00"],
}
LOOKUP = {
    "events[courseids][0]": "12",
    "options[userevents]": "1",
    "options[siteevents]": "0",
    "options[timestart]": "0",
    "options[timeend]": "0",
}


GROUP_LOOKUP = {
    "events[courseids][0]": "12",
    "events[groupids][0]": "45",
    **{k: v for k, v in LOOKUP.items() if k.startswith("options")},
}


TAG = "[rm-pair-9]"


def event_fields(i: int, when: int, tag: str = TAG, group: int | None = None) -> dict[str, str]:
    audience = (
        {f"events[{i}][eventtype]": "group", f"events[{i}][groupid]": str(group)}
        if group
        else {f"events[{i}][eventtype]": "course"}
    )
    return {
        f"events[{i}][name]": "Reverse mentoring: pair 9",
        f"events[{i}][description]": f"Reverse mentoring: pair 9\n\nAgreed reverse-mentoring meeting {tag}",
        f"events[{i}][format]": "2",
        f"events[{i}][courseid]": "12",
        **audience,
        f"events[{i}][timestart]": str(when),
        f"events[{i}][timeduration]": "2700",
    }


def test_meetings_become_events_of_the_pairs_group(make_connection, people: Database, expect: Expect) -> None:
    tag = TAG
    expect_course(expect)
    expect_users(expect, "E100", "E200")
    expect("core_group_get_course_groups", {"courseid": "12"}, body("course_groups") + body("group_created"))
    expect("core_calendar_get_calendar_events", GROUP_LOOKUP, body("events_none"))
    created = {
        "events": [
            {"id": 501, "timestart": 1768208400, "eventtype": "group", "groupid": 45},
            {"id": 502, "timestart": 1768813200, "eventtype": "group", "groupid": 45},
        ],
        "warnings": [],
    }
    expect(
        "core_calendar_create_calendar_events",
        event_fields(0, 1768208400, tag, 45) | event_fields(1, 1768813200, tag, 45),
        created,
    )
    receipt = make_connection(people).rm_put_calendar_event(
        delivery=delivery("calendar", CALENDAR, key="cal-9")
    )
    assert receipt.host_ref == "events 501,502" and not receipt.skipped
    assert receipt.data["group_id"] == 45


def test_meetings_wait_for_the_pairs_group_and_write_nothing(
    make_connection, people: Database, expect: Expect
) -> None:
    expect_course(expect)
    expect_users(expect, "E100", "E200")
    expect("core_group_get_course_groups", {"courseid": "12"}, body("course_groups"))
    with pytest.raises(
        GroupMissing, match="the group 'rm-pair-9' of pair 9 is not in course 12 yet"
    ) as caught:
        make_connection(people).rm_put_calendar_event(delivery=delivery("calendar", CALENDAR, key="cal-9"))
    assert caught.value.retryable


def test_moodle_refusing_group_events_names_the_capabilities(
    make_connection, people: Database, expect: Expect
) -> None:
    expect_course(expect)
    expect_users(expect, "E100", "E200")
    expect("core_group_get_course_groups", {"courseid": "12"}, body("course_groups") + body("group_created"))
    expect("core_calendar_get_calendar_events", GROUP_LOOKUP, body("events_none"))
    refused = {
        "events": [],
        "warnings": [
            {"item": "Reverse mentoring: pair 9", "warningcode": "nopermissions", "message": "No permission"}
        ],
    }
    tag = TAG
    expect(
        "core_calendar_create_calendar_events",
        event_fields(0, 1768208400, tag, 45) | event_fields(1, 1768813200, tag, 45),
        refused,
    )
    with pytest.raises(
        MoodleSetupError,
        match=re.escape(
            "refused the group events: No permission (give the integration role "
            "moodle/calendar:manageentries (Site administration › Users › Permissions › Define roles); "
            "managegroupentries is not enough)"
        ),
    ):
        make_connection(people).rm_put_calendar_event(delivery=delivery("calendar", CALENDAR, key="cal-9"))


def test_without_groups_meetings_become_course_events_tagged_with_the_pair(
    make_connection, people: Database, expect: Expect
) -> None:
    tag = TAG
    expect_course(expect)
    expect_users(expect, "E100", "E200")
    expect("core_calendar_get_calendar_events", LOOKUP, body("events_none"))
    created = {
        "events": [
            {"id": 501, "name": "x", "timestart": 1768208400, "eventtype": "course"},
            {"id": 502, "name": "x", "timestart": 1768813200, "eventtype": "course"},
        ],
        "warnings": [],
    }
    expect(
        "core_calendar_create_calendar_events",
        event_fields(0, 1768208400, tag) | event_fields(1, 1768813200, tag),
        created,
    )
    receipt = make_connection(people, groups=False).rm_put_calendar_event(
        delivery=delivery("calendar", CALENDAR, key="cal-9")
    )
    assert receipt.host_ref == "events 501,502" and not receipt.skipped
    assert receipt.data["group_id"] is None


def test_a_repeat_after_a_crash_finds_the_events_on_moodle(
    make_connection, people: Database, expect: Expect
) -> None:
    tag = TAG
    expect_course(expect)
    expect_users(expect, "E100", "E200")
    expect("core_group_get_course_groups", {"courseid": "12"}, body("course_groups") + body("group_created"))
    found = {
        "events": [
            {
                "id": 501,
                "timestart": 1768208400,
                "timeduration": 2700,
                "description": f"<p>Agreed reverse-mentoring meeting {tag}</p>",
            },
            {"id": 777, "timestart": 1768813200, "timeduration": 2700, "description": "someone else's event"},
        ],
        "warnings": [],
    }
    expect("core_calendar_get_calendar_events", GROUP_LOOKUP, found)
    expect(
        "core_calendar_create_calendar_events",
        event_fields(0, 1768813200, tag, 45),
        {"events": [{"id": 502, "timestart": 1768813200}], "warnings": []},
    )
    receipt = make_connection(people).rm_put_calendar_event(
        delivery=delivery("calendar", CALENDAR, key="cal-9")
    )
    assert receipt.data["event_ids"] == [501, 502]


# -- messages ------------------------------------------------------------------------------------


def test_messages_report_each_recipient_moodle_refused(
    make_connection, people: Database, expect: Expect
) -> None:
    tag = reference("n-1")
    expect_users(expect, "E100", "E200", "E300")
    text = f"Time to meet\n\nPlease plan your next meeting.\n\n[{tag}]"
    expect(
        "core_message_send_instant_messages",
        {
            "messages[0][touserid]": "41",
            "messages[0][text]": text,
            "messages[0][textformat]": "2",
            "messages[0][clientmsgid]": f"{tag}-0",
            "messages[1][touserid]": "57",
            "messages[1][text]": text,
            "messages[1][textformat]": "2",
            "messages[1][clientmsgid]": f"{tag}-1",
        },
        [
            {
                "msgid": 901,
                "clientmsgid": f"{tag}-0",
                "text": text,
                "timecreated": 1,
                "conversationid": 3,
                "useridfrom": 3,
                "candeletemessagesforallusers": False,
            },
            {
                "msgid": -1,
                "clientmsgid": f"{tag}-1",
                "errormessage": "The user is not able to receive messages",
            },
        ],
    )
    payload = {
        "audience": ["E100", "E200", "E300"],
        "subject": "Time to meet",
        "body": "Please plan your next meeting.",
        "kind": "reminder",
    }
    receipt = make_connection(people).rm_send_notification(delivery=delivery("notify", payload, key="n-1"))
    assert receipt.data["sent"] == {"E100": 901}
    assert receipt.data["failed"] == {
        "E200": "The user is not able to receive messages",
        "E300": "no account with ID number 'E300' is visible to the integration user",
    }


def test_messages_that_reach_nobody_fail_the_delivery(
    make_connection, people: Database, expect: Expect
) -> None:
    expect_users(expect, "E300")
    payload = {"audience": ["E300"], "subject": "s", "body": "b", "kind": "nudge"}
    with pytest.raises(Exception, match="no recipient was reached: E300: no account with ID number 'E300'"):
        make_connection(people).rm_send_notification(delivery=delivery("notify", payload))


def test_a_retried_message_is_not_sent_again_to_whom_an_earlier_try_reached(
    make_connection, people: Database, expect: Expect
) -> None:
    tag = reference("n-1")
    text = f"Time to meet\n\nPlease plan your next meeting.\n\n[{tag}]"
    expect_users(expect, "E100", "E200")
    expect("core_webservice_get_site_info", {}, body("site_info"))
    recent = {
        "useridfrom": "3",
        "type": "conversations",
        "read": "2",
        "newestfirst": "1",
        "limitfrom": "0",
        "limitnum": "20",
    }
    sent_before = json.loads(json.dumps(body("messages_sent_before")).replace("[REF]", f"[{tag}]"))
    expect("core_message_get_messages", {"useridto": "41", **recent}, sent_before)
    expect("core_message_get_messages", {"useridto": "57", **recent}, {"messages": [], "warnings": []})
    expect(
        "core_message_send_instant_messages",
        {
            "messages[0][touserid]": "57",
            "messages[0][text]": text,
            "messages[0][textformat]": "2",
            "messages[0][clientmsgid]": f"{tag}-0",
        },
        [{"msgid": 913, "clientmsgid": f"{tag}-0", "text": text, "timecreated": 1, "conversationid": 4}],
    )
    payload = {
        "audience": ["E100", "E200"],
        "subject": "Time to meet",
        "body": "Please plan your next meeting.",
        "kind": "reminder",
    }
    retried = Delivery(1, "n-1", "moodle", "notify", payload, attempt=2)
    receipt = make_connection(people).rm_send_notification(delivery=retried)
    assert receipt.data["sent"] == {"E100": 912, "E200": 913}
    assert receipt.data["found_on_moodle"] == ["E100"] and not receipt.skipped


def test_a_retried_message_everyone_had_makes_no_write(
    make_connection, people: Database, expect: Expect
) -> None:
    tag = reference("n-1")
    expect_users(expect, "E100")
    expect("core_webservice_get_site_info", {}, body("site_info"))
    sent_before = json.loads(json.dumps(body("messages_sent_before")).replace("[REF]", f"[{tag}]"))
    expect(
        "core_message_get_messages",
        {
            "useridto": "41",
            "useridfrom": "3",
            "type": "conversations",
            "read": "2",
            "newestfirst": "1",
            "limitfrom": "0",
            "limitnum": "20",
        },
        sent_before,
    )
    payload = {"audience": ["E100"], "subject": "s", "body": "b", "kind": "nudge"}
    connection = make_connection(people)
    receipt = connection.rm_send_notification(
        delivery=Delivery(1, "n-1", "moodle", "notify", payload, attempt=3)
    )
    assert receipt.skipped and receipt.data["sent"] == {"E100": 912}
    assert "core_message_send_instant_messages" not in connection.client.calls_by_name


def test_a_first_try_sends_without_reading_messages_back(
    make_connection, people: Database, expect: Expect
) -> None:
    expect_users(expect, "E100")
    expect("core_message_send_instant_messages", None, body("messages_ok"), any_fields=True)
    payload = {"audience": ["E100"], "subject": "s", "body": "b", "kind": "nudge"}
    connection = make_connection(people)
    connection.rm_send_notification(delivery=delivery("notify", payload))
    assert set(connection.client.calls_by_name) == {
        "core_user_get_users_by_field",
        "core_message_send_instant_messages",
    }


def test_enrol_after_a_crash_finds_the_pairs_group_and_creates_no_other(
    make_connection, people: Database, expect: Expect
) -> None:
    expect_course(expect)
    expect_users(expect, "E100", "E200")
    expect("enrol_manual_enrol_users", None, None, any_fields=True)
    expect("core_cohort_add_cohort_members", None, {"warnings": []}, any_fields=True)
    expect_pair_group(expect, created=False)
    connection = make_connection(people)
    receipt = connection.rm_enrol_pair(delivery=delivery("enrol", PAIR))
    assert receipt.data["group_id"] == 45 and not receipt.data["group_created"]
    assert "core_group_create_groups" not in connection.client.calls_by_name


def test_without_groups_enrol_makes_no_group_call(make_connection, people: Database, expect: Expect) -> None:
    expect_course(expect)
    expect_users(expect, "E100", "E200")
    expect("enrol_manual_enrol_users", None, None, any_fields=True)
    connection = make_connection(people, groups=False, cohorts=[])
    receipt = connection.rm_enrol_pair(delivery=delivery("enrol", PAIR))
    assert "group_id" not in receipt.data
    assert not [name for name in connection.client.calls_by_name if name.startswith("core_group")]


def test_an_award_without_a_route_is_parked_naming_the_table_to_add(
    make_connection, people: Database
) -> None:
    payload = {"programme": "rm-2026", "award": "reverse-mentoring", "person": "E100", "pair_id": 9}
    with pytest.raises(MoodleSetupError) as caught:
        make_connection(people).rm_award(delivery=delivery("award", payload))
    failure = classify(caught.value)
    assert not failure.retryable
    assert failure.reason == (
        "moodle: award 'reverse-mentoring' has no route: add an [awards.reverse-mentoring] table with "
        "`route` and `badge` to connectors/moodle.toml, then retry the delivery (`rm-plugin sync retry <id>`)"
    )
    assert "core_badges_get_user_badges" not in failure.reason and "noaward" not in failure.reason


def test_health_lines_do_not_repeat_the_connection_name(make_connection, expect: Expect) -> None:
    expect("core_webservice_get_site_info", {}, body("invalidtoken"))
    (problem,) = make_connection().rm_check_health(connection="moodle").problems
    assert problem.startswith("core_webservice_get_site_info failed: invalidtoken: Invalid token")
