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
    # groups_add_member() returns early for an existing member it can see.
    WsFunction("core_group_add_group_members", "put both members of a pair in its group", True, "groups"),
    WsFunction(
        "core_calendar_get_calendar_access_information",
        "health check: may the integration user manage the course's events",
        True,
        "calendar",
    ),
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
    WsFunction(
        "core_message_get_member_info",
        "health check: may the integration user message a participant",
        True,
        "messages",
    ),
)

BY_NAME: Mapping[str, WsFunction] = {f.name: f for f in FUNCTIONS}

#: Calls the client retries after a connection error or a 5xx.
REPEATABLE: frozenset[str] = frozenset(f.name for f in FUNCTIONS if f.repeatable)


@dataclass(frozen=True)
class Capability:
    """A capability the integration role needs, when it needs it, and why."""

    name: str
    why: str
    #: "core" always; a config switch ("groups", "calendar", "messages", "cohorts", "group-events"
    #: for calendar and groups); the account field (``match_by``: "idnumber" or "email"); or
    #: "hidden-course"/"hidden-activity" (needed only while the course or an activity is hidden).
    feature: str = "core"

    @property
    def when(self) -> str:
        return _WHEN[self.feature]


_WHEN: Mapping[str, str] = {
    "core": "always",
    "idnumber": 'match_by = "idnumber"',
    "email": 'match_by = "email"',
    "hidden-course": "only while the course is hidden",
    "hidden-activity": "only for hidden milestone activities",
    "group-events": "calendar = true and groups = true",
    "cohorts": "with `cohorts` or a cohort award",
    "groups": "groups = true",
    "calendar": "calendar = true",
    "messages": "messages = true",
}

#: What the integration role (system context) must allow. Observed on Moodle 4.4: a field the
#: caller may not see makes ``core_user_get_users_by_field`` answer an empty list, not an error;
#: a hidden group (visibility "Visible to members") is left out of every group list.
CAPABILITIES: tuple[Capability, ...] = (
    Capability("webservice/rest:use", "use the REST protocol"),
    Capability("moodle/user:viewdetails", "see participants' accounts at all"),
    Capability(
        "moodle/user:viewalldetails",
        "see accounts' ID numbers: without it Moodle finds no account by ID number, and says no error",
        "idnumber",
    ),
    Capability(
        "moodle/site:viewuseridentity",
        "see accounts' email addresses (with email under Show user identity): without it Moodle finds "
        "no account by email, and says no error",
        "email",
    ),
    Capability("moodle/course:view", "open the programme course without being enrolled in it"),
    Capability("enrol/manual:enrol", "enrol participants"),
    Capability(
        "moodle/role:assign", "give them the participant role (also allow it under Allow role assignments)"
    ),
    Capability("moodle/course:overridecompletion", "mark milestone activities complete for a participant"),
    Capability(
        "moodle/badges:viewotherbadges",
        "read a participant's badges back (Authenticated user has it by default)",
    ),
    Capability(
        "moodle/course:viewhiddencourses", "find the programme course while it is hidden", "hidden-course"
    ),
    Capability(
        "moodle/course:viewhiddenactivities", "find milestone activities that are hidden", "hidden-activity"
    ),
    Capability("moodle/cohort:assign", "add participants to cohorts", "cohorts"),
    Capability("moodle/course:managegroups", "list and create pair groups and add their members", "groups"),
    Capability(
        "moodle/course:viewhiddengroups",
        "see pair groups (visible to their members only): without it the groups list is empty, a pair's "
        "group is never found and re-adding a member fails",
        "groups",
    ),
    Capability(
        "moodle/calendar:manageentries",
        "create, read back and delete the pair's group events (managegroupentries is not enough)",
        "calendar",
    ),
    Capability(
        "moodle/site:accessallgroups",
        "read the pair groups' events back: without it Moodle returns none of them, and says no error, "
        "so a re-signed schedule would be added next to the old one",
        "group-events",
    ),
    Capability("moodle/site:sendmessage", "send messages (Authenticated user has it by default)", "messages"),
    Capability("moodle/site:readallmessages", "message participants who share no course with it", "messages"),
)


def _features(config: Mapping[str, Any] | None) -> set[str]:
    features = {"core", "hidden-course", "hidden-activity"}
    for switch in ("groups", "calendar", "messages"):
        if config is None or config.get(switch, True):
            features.add(switch)
    if {"groups", "calendar"} <= features:
        features.add("group-events")
    if config is None:
        features |= {"idnumber", "email", "cohorts"}
    else:
        features.add(str(config.get("match_by", "idnumber")))
        awards = (config.get("awards") or {}).values()
        if config.get("cohorts") or any(a.get("route") == "cohort" for a in awards):
            features.add("cohorts")
    return features


def required_capabilities(config: Mapping[str, Any] | None = None) -> list[Capability]:
    """The capabilities a connection with ``config`` needs (all of them when ``config`` is None)."""
    features = _features(config)
    return [c for c in CAPABILITIES if c.feature in features]


def required_functions(config: Mapping[str, Any] | None = None) -> list[str]:
    """The functions a connection with ``config`` calls (all of them when ``config`` is None)."""
    features = _features(config)
    return [f.name for f in FUNCTIONS if f.feature in features]
