"""``rm-plugin check`` proves a Moodle setup with read-only probes and names each missing capability.

The answers are the ones a real Moodle 4.4 gives when a capability is missing: most are not
errors at all (an empty user list, a group list without the hidden groups, a calendar read
without the group events), which is why the check asks questions whose answers differ.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Expect, body

from rm_plugin.connectors.moodle.errors import MoodlePermissionDenied
from rm_plugin.domain.records import Delivery
from rm_plugin.people.accounts import StoredAccounts
from rm_plugin.store import Database
from rm_plugin.store.connector_state import StoredState

COURSE = {"field": "idnumber", "value": "rm-2026"}
CONTENTS = {"courseid": "12", "options[0][name]": "excludecontents", "options[0][value]": "1"}
PEOPLE = {"field": "idnumber", "values[0]": "E100", "values[1]": "E200", "values[2]": "E300"}
CAN_MESSAGE = {"referenceuserid": "3", "userids[0]": "41", "includeprivacyinfo": "1"}
EVENTS = {
    "options[userevents]": "1",
    "options[siteevents]": "0",
    "options[timestart]": "0",
    "options[timeend]": "0",
}
ROLES = "(Site administration › Users › Permissions › Define roles)"


def expect_reachable(expect: Expect, info: dict[str, Any] | None = None) -> None:
    expect("core_webservice_get_site_info", {}, info or body("site_info"))
    expect("core_course_get_courses_by_field", COURSE, body("courses"))
    expect("core_course_get_contents", CONTENTS, body("contents"))
    expect("core_user_get_users_by_field", {"field": "id", "values[0]": "1"}, body("guest"))


def expect_probes(expect: Expect, **answers: Any) -> None:
    """The probes after the course and the accounts; ``answers`` replaces one of them."""
    expect("core_group_get_course_groups", {"courseid": "12"}, answers.get("groups", body("course_groups")))
    access = answers.get("access", body("calendar_access"))
    expect("core_calendar_get_calendar_access_information", {"courseid": "12"}, access)
    if access.get("canmanageentries"):
        expect("core_calendar_get_calendar_access_information", {"courseid": "0"}, access)
    expect(
        "core_completion_override_activity_completion_status",
        {"userid": "3", "cmid": "310", "newstate": "0"},
        answers.get("override", {"cmid": 310, "userid": 3, "state": 0, "timecompleted": 0, "tracking": 1}),
    )


def expect_participant_probes(expect: Expect, **answers: Any) -> None:
    expect("core_badges_get_user_badges", {"userid": "41"}, answers.get("badges", body("badges_none")))
    member = body("member_info")
    member[0] |= {"id": 41, "canmessage": answers.get("canmessage", True)}
    expect("core_message_get_member_info", CAN_MESSAGE, member)


def people_found(*hr_ids: str) -> list[dict[str, Any]]:
    return [u for u in body("users") if u["idnumber"] in hr_ids]


def test_a_complete_setup_passes_and_warns_about_people_without_an_account(
    make_connection, people: Database, expect: Expect
) -> None:
    expect_reachable(expect)
    expect("core_user_get_users_by_field", PEOPLE, people_found("E100", "E200"))
    expect_probes(expect)
    expect_participant_probes(expect)
    report = make_connection(people).rm_check_health(connection="moodle")
    assert report.ok, report.problems
    assert report.summary == (
        "(Acme Learning, Moodle 4.4.3+ (Build: 20240920), as rm-integration; course RM-2026 (id 12), "
        "3 milestone activities; 2 of 3 people have accounts; 1 pair group(s))"
    )
    assert report.warnings == (
        "1 of 3 active people have no Moodle account with their HR id as ID number; their deliveries are "
        "parked until they have one (`rm-plugin moodle accounts` lists them)",
    )


def test_accounts_moodle_hides_are_named_with_the_capability_not_passed_as_fine(
    make_connection, people: Database, expect: Expect
) -> None:
    # without moodle/user:viewalldetails Moodle answers an empty list, not an error
    expect_reachable(expect)
    expect("core_user_get_users_by_field", PEOPLE, [])
    expect_probes(expect)
    report = make_connection(people).rm_check_health(connection="moodle")
    assert report.problems == (
        "none of the 3 active people has a Moodle account the integration user can find by ID number: "
        "Moodle answers with no account, not an error, when the integration role lacks "
        "moodle/user:viewdetails or moodle/user:viewalldetails: give the integration role "
        f"moodle/user:viewdetails and moodle/user:viewalldetails {ROLES}; if it has both, give the accounts "
        "the people's HR ids as ID number (`rm-plugin moodle accounts` lists who has none)",
    )


def test_without_viewdetails_not_even_the_guest_account_is_shown(
    make_connection, people: Database, expect: Expect
) -> None:
    expect("core_webservice_get_site_info", {}, body("site_info"))
    expect("core_course_get_courses_by_field", COURSE, body("courses"))
    expect("core_course_get_contents", CONTENTS, body("contents"))
    expect("core_user_get_users_by_field", {"field": "id", "values[0]": "1"}, [])
    expect_probes(expect)
    report = make_connection(people).rm_check_health(connection="moodle")
    assert report.problems == (
        "Moodle shows the integration user no account but its own (not even the guest account, id 1), so "
        "it finds no participant who is not enrolled yet: give the integration role moodle/user:viewdetails "
        f"{ROLES}",
    )


@pytest.mark.parametrize(
    ("match_by", "field", "capability"),
    [
        ("idnumber", "idnumber", "moodle/user:viewalldetails"),
        ("email", "email", "moodle/site:viewuseridentity"),
    ],
)
def test_accounts_matched_before_but_shown_without_their_field_name_the_capability(
    make_connection, people: Database, expect: Expect, match_by: str, field: str, capability: str
) -> None:
    StoredAccounts(lambda: people).link("moodle", {"E100": "41", "E200": "57"})
    expect_reachable(expect)
    if match_by == "idnumber":
        expect("core_user_get_users_by_field", {"field": "idnumber", "values[0]": "E300"}, [])
    else:
        expect("core_user_get_users_by_field", {"field": "email", "values[0]": "cy.nobody@acme.example"}, [])
    hidden = [{k: v for k, v in u.items() if k != field} for u in body("users")]
    expect("core_user_get_users_by_field", {"field": "id", "values[0]": "41", "values[1]": "57"}, hidden)
    expect_probes(expect)
    report = make_connection(people, match_by=match_by).rm_check_health(connection="moodle")
    label = "ID number" if field == "idnumber" else "email"
    assert report.problems == (
        f"Moodle shows the accounts rm-plugin matched before without their {label}, so it finds nobody by "
        f"{label} (an empty answer, not an error): give the integration role {capability} {ROLES}",
    )


def test_pair_groups_hidden_from_the_integration_user_are_named(
    make_connection, people: Database, expect: Expect
) -> None:
    StoredState(lambda: people, "moodle")  # the connection notes the groups it creates in its state
    connection = make_connection(people, state=True)
    connection.groups.notes.add(12, "rm-pair-9", 45)
    expect_reachable(expect)
    expect("core_user_get_users_by_field", PEOPLE, people_found("E100", "E200"))
    # without moodle/course:viewhiddengroups the list lacks every group "Visible to members"
    expect_probes(expect, groups=[body("course_groups")[0]])
    expect_participant_probes(expect)
    report = connection.rm_check_health(connection="moodle")
    assert report.problems == (
        "the group list of course id 12 lacks the pair groups rm-pair-9 that rm-plugin created (visible to "
        "their members only), so pairs' groups are never found: give the integration role "
        f"moodle/course:viewhiddengroups {ROLES}",
    )


def test_calendar_entries_the_integration_user_may_not_manage_are_named(
    make_connection, people: Database, expect: Expect
) -> None:
    expect_reachable(expect)
    expect("core_user_get_users_by_field", PEOPLE, people_found("E100", "E200"))
    expect_probes(expect, access=body("calendar_access") | {"canmanageentries": False})
    expect_participant_probes(expect)
    report = make_connection(people).rm_check_health(connection="moodle")
    assert report.problems == (
        "the integration user may not manage calendar entries in course id 12, so the pairs' meetings cannot "
        "be put in, read back from and removed from their calendars: give the integration role "
        f"moodle/calendar:manageentries {ROLES} (a system role; managegroupentries is not enough)",
    )


def test_group_events_moodle_does_not_return_name_accessallgroups(
    make_connection, people: Database, expect: Expect
) -> None:
    connection = make_connection(people, state=True)
    connection.event_notes.add(12, 45, 501)
    expect_reachable(expect)
    expect("core_user_get_users_by_field", PEOPLE, people_found("E100", "E200"))
    expect_probes(expect, groups=body("course_groups") + body("group_created"))
    event = {"id": 501, "groupid": 45, "courseid": 12, "eventtype": "group", "timestart": 1768208400}
    # by id Moodle has it; among the group's events it is missing without moodle/site:accessallgroups
    expect("core_calendar_get_calendar_events", {"events[eventids][0]": "501", **EVENTS}, {"events": [event]})
    expect(
        "core_calendar_get_calendar_events",
        {"events[courseids][0]": "12", "events[groupids][0]": "45", **EVENTS},
        body("events_none"),
    )
    expect_participant_probes(expect)
    report = connection.rm_check_health(connection="moodle")
    assert report.problems == (
        "Moodle does not return the events of pair groups to the integration user (event 501 of group id 45 "
        "is missing from its group's events), so re-signed schedules would be added next to the old ones: "
        f"give the integration role moodle/site:accessallgroups {ROLES}",
    )


def test_refused_probes_name_their_capability(make_connection, people: Database, expect: Expect) -> None:
    refused_badges = body("nopermissions_groups") | {
        "message": "Sorry, but you do not currently have permissions to do that (View other users' badges)."
    }
    expect_reachable(expect)
    expect("core_user_get_users_by_field", PEOPLE, people_found("E100", "E200"))
    expect_probes(expect, groups=body("nopermissions_groups"), override=body("nopermission_override"))
    expect_participant_probes(expect, badges=refused_badges, canmessage=False)
    problems = make_connection(people).rm_check_health(connection="moodle").problems
    assert problems == (
        "core_group_get_course_groups failed: nopermissions: Sorry, but you do not currently have "
        "permissions to do that (Manage groups). (give the integration role moodle/course:managegroups "
        f"{ROLES})",
        "core_completion_override_activity_completion_status failed: nopermission: error/nopermission "
        f"(give the integration role moodle/course:overridecompletion {ROLES})",
        "core_badges_get_user_badges failed: nopermissions: Sorry, but you do not currently have permissions "
        "to do that (View other users' badges). (give the integration role moodle/badges:viewotherbadges "
        f"{ROLES})",
        "Moodle says the integration user may not message participants (checked with user id 41): give the "
        f"integration role moodle/site:sendmessage and moodle/site:readallmessages {ROLES}",
    )


def test_a_course_shown_only_as_a_summary_names_course_view(make_connection, expect: Expect) -> None:
    public = {
        k: v
        for k, v in body("courses")["courses"][0].items()
        if k not in {"enablecompletion", "format", "visible", "idnumber", "startdate", "enddate", "groupmode"}
    }
    expect("core_webservice_get_site_info", {}, body("site_info"))
    expect("core_course_get_courses_by_field", COURSE, {"courses": [public], "warnings": []})
    expect("core_user_get_users_by_field", {"field": "id", "values[0]": "1"}, body("guest"))
    assert make_connection().rm_check_health(connection="moodle").problems == (
        "core_course_get_courses_by_field failed: nocourseaccess: the integration user cannot open course "
        f"'RM-2026' (id 12): give the integration role moodle/course:view {ROLES}",
    )


def test_a_refused_protocol_names_webservice_rest_use(make_connection, expect: Expect) -> None:
    expect("core_webservice_get_site_info", {}, body("accessexception"))
    assert make_connection().rm_check_health(connection="moodle").problems == (
        "core_webservice_get_site_info failed: accessexception: Access control exception (give the "
        f"integration role webservice/rest:use {ROLES}; make the integration user an authorised user of "
        "the external service, and add this function to it)",
    )


def test_a_refused_enrolment_is_named_until_an_enrolment_goes_through(
    make_connection, people: Database, expect: Expect
) -> None:
    # Moodle 4.4 has no read-only probe for enrol/manual:enrol: the refusal a delivery met is reported
    connection = make_connection(people, state=True, cohorts=[])
    pair = {"pair_id": 9, "programme": "rm-2026", "mentee": "E100", "mentor": "E200"}
    expect("core_course_get_courses_by_field", COURSE, body("courses"))
    expect("core_course_get_contents", CONTENTS, body("contents"))
    expect(
        "core_user_get_users_by_field",
        {"field": "idnumber", "values[0]": "E100", "values[1]": "E200"},
        people_found("E100", "E200"),
    )
    refused = body("nopermissions_groups") | {
        "message": "Sorry, but you do not currently have permissions to do that (Enrol users)."
    }
    expect("enrol_manual_enrol_users", None, refused, any_fields=True)
    with pytest.raises(MoodlePermissionDenied):
        connection.rm_enrol_pair(delivery=Delivery(1, "enrol:9", "moodle", "enrol", pair))

    expect_reachable(expect)
    expect("core_user_get_users_by_field", {"field": "idnumber", "values[0]": "E300"}, [])
    expect(
        "core_user_get_users_by_field", {"field": "id", "values[0]": "41", "values[1]": "57"}, body("users")
    )
    expect_probes(expect)
    expect_participant_probes(expect)
    later = make_connection(people, state=True, cohorts=[])  # check runs in a process of its own
    (problem,) = later.rm_check_health(connection="moodle").problems
    assert problem.startswith("Moodle refused enrol_manual_enrol_users on ")
    assert problem.endswith(
        "enrol_manual_enrol_users failed: nopermissions: Sorry, but you do not currently have permissions to "
        "do that (Enrol users). (give the integration role enrol/manual:enrol and moodle/role:assign "
        f"{ROLES}) (rows it parked: `rm-plugin sync status`; after the fix, `rm-plugin sync retry`)"
    )
    later.refusals.clear("enrol_manual_enrol_users")  # what the next enrolment that goes through does
    assert make_connection(people, state=True).refusals.all() == {}


def test_the_functions_the_service_lacks_are_listed_exactly(make_connection, expect: Expect) -> None:
    info = body("site_info")
    gone = {"core_badges_get_user_badges", "core_completion_override_activity_completion_status"}
    info["functions"] = [f for f in info["functions"] if f["name"] not in gone]
    expect("core_webservice_get_site_info", {}, info)
    report = make_connection().rm_check_health(connection="moodle")
    assert report.problems == (
        "the token's external service lacks 2 function(s): "
        "core_completion_override_activity_completion_status, "
        "core_badges_get_user_badges (Site administration › Server › Web services › External services › "
        "Functions; `rm-plugin moodle functions` lists them all)",
    )


def test_without_calendar_and_messages_fewer_functions_and_probes_are_needed(
    make_connection, expect: Expect
) -> None:
    info = body("site_info")
    info["functions"] = [
        f for f in info["functions"] if "calendar" not in f["name"] and "message" not in f["name"]
    ]
    expect_reachable(expect, info)
    expect("core_group_get_course_groups", {"courseid": "12"}, body("course_groups"))
    expect(
        "core_completion_override_activity_completion_status",
        {"userid": "3", "cmid": "310", "newstate": "0"},
        {"cmid": 310, "userid": 3, "state": 0, "timecompleted": 0, "tracking": 1},
    )
    assert make_connection(calendar=False, messages=False).rm_check_health(connection="moodle").ok


def test_a_refused_token_and_another_connection(make_connection, expect: Expect) -> None:
    expect("core_webservice_get_site_info", {}, body("invalidtoken"))
    report = make_connection().rm_check_health(connection="moodle")
    assert len(report.problems) == 1 and "invalidtoken" in report.problems[0]
    assert make_connection().rm_check_health(connection="other") is None


def test_a_moodle_older_than_4_4_is_named(make_connection, expect: Expect) -> None:
    info = body("site_info") | {"release": "4.1.2 (Build: 20230313)", "version": "2022112802"}
    expect_reachable(expect, info)
    expect_probes(expect)
    assert make_connection().rm_check_health(connection="moodle").problems == (
        "Moodle 4.1.2 (Build: 20230313) is older than 4.4, which this connector needs",
    )
