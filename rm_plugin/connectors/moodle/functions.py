"""The Moodle web-service functions the connector calls, and what an admin must grant for them.

One table drives three things that must agree: the list an admin pastes into the external
service (``rm-plugin moodle functions``), the health check that names the functions a token's
service lacks, and which calls the client may safely repeat after a connection error or a 5xx.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class WsFunction:
    name: str
    purpose: str
    #: True when sending it twice means the same as once (reads, and writes Moodle de-duplicates).
    repeatable: bool
    #: The feature that needs it: "core" always, else a config switch ("groups", "calendar", "messages").
    feature: str = "core"


FUNCTIONS: tuple[WsFunction, ...] = (
    WsFunction("core_webservice_get_site_info", "health check: site, release, the service's functions", True),
    WsFunction("core_user_get_users_by_field", "find participants' accounts by idnumber or email", True),
    WsFunction("core_course_get_courses_by_field", "find the programme course", True),
    WsFunction("core_course_get_contents", "find each milestone's activity", True),
    # Re-enrolling updates the existing enrolment in place (enrol_plugin::enrol_user).
    WsFunction("enrol_manual_enrol_users", "enrol both members of a pair", True),
    # An existing membership comes back as warning 3, not an error.
    WsFunction("core_cohort_add_cohort_members", "programme cohorts and cohort badge criteria", True),
    # completion_info::update_state returns early when the state is already the one asked for.
    WsFunction("core_completion_override_activity_completion_status", "milestones as completions", True),
    WsFunction("core_badges_get_user_badges", "read an awarded badge back for its assertion link", True),
    WsFunction(
        "core_group_get_course_groups",
        "find a pair's group by its ID number before creating it",
        True,
        "groups",
    ),
    # Not idempotent (a second group with a new id); always looked up first by idnumber.
    WsFunction("core_group_create_groups", "one private group per active pair", False, "groups"),
    # groups_add_member() returns early for an existing member.
    WsFunction("core_group_add_group_members", "put both members of a pair in its group", True, "groups"),
    WsFunction(
        "core_calendar_get_calendar_events",
        "read a pair's events to bring them to its latest schedule",
        True,
        "calendar",
    ),
    WsFunction(
        "core_calendar_create_calendar_events",
        "agreed meetings as the pair's group events",
        False,
        "calendar",
    ),
    # Not repeatable: deleting an event already deleted fails the whole call; a retry reads first.
    WsFunction(
        "core_calendar_delete_calendar_events",
        "remove meetings a re-signed agreement no longer has",
        False,
        "calendar",
    ),
    WsFunction("core_message_send_instant_messages", "invitations, reminders and nudges", False, "messages"),
    WsFunction(
        "core_message_get_messages",
        "find a message already sent before a retry sends it again",
        True,
        "messages",
    ),
)

BY_NAME: Mapping[str, WsFunction] = {f.name: f for f in FUNCTIONS}

#: Calls the client retries after a connection error or a 5xx.
REPEATABLE: frozenset[str] = frozenset(f.name for f in FUNCTIONS if f.repeatable)

#: Capabilities the integration user's role needs (system context), with why.
CAPABILITIES: tuple[tuple[str, str], ...] = (
    ("webservice/rest:use", "use the REST protocol"),
    ("moodle/user:viewdetails", "read participants' accounts"),
    ("moodle/user:viewhiddendetails", "match on fields users may hide"),
    ("moodle/course:useremail", 'match on email (match_by = "email")'),
    ("moodle/course:view", "read a course the integration user is not enrolled in"),
    ("moodle/course:update", "read course settings such as completion and idnumber"),
    ("moodle/course:viewhiddencourses", "read the course while it is hidden"),
    ("moodle/course:viewhiddenactivities", "read hidden milestone activities"),
    ("enrol/manual:enrol", "enrol participants"),
    ("moodle/role:assign", "give the participant role (also allow it under Allow role assignments)"),
    ("moodle/cohort:assign", "add participants to cohorts"),
    ("moodle/cohort:view", "see the cohorts"),
    ("moodle/course:overridecompletion", "mark milestone activities complete for a participant"),
    ("moodle/badges:viewbadges", "see badges"),
    ("moodle/badges:viewotherbadges", "read a participant's badges"),
    ("moodle/course:managegroups", "find and create pair groups and add their members (groups = true)"),
    ("moodle/site:accessallgroups", "see and write to pair groups it is not a member of (groups = true)"),
    ("moodle/calendar:manageentries", "create course events (calendar = true, groups = false)"),
    ("moodle/calendar:managegroupentries", "create a pair's group events (calendar = true, groups = true)"),
    ("moodle/site:sendmessage", "send messages (messages = true)"),
    ("moodle/site:readallmessages", "message participants who share no course with it (messages = true)"),
)


def required_functions(config: Mapping[str, Any] | None = None) -> list[str]:
    """The functions a connection with ``config`` calls (all of them when ``config`` is None)."""
    features = {"core"}
    if config is None or config.get("groups", True):
        features.add("groups")
    if config is None or config.get("calendar", True):
        features.add("calendar")
    if config is None or config.get("messages", True):
        features.add("messages")
    return [f.name for f in FUNCTIONS if f.feature in features]
