"""Moodle's exception envelope (HTTP 200 with ``exception``/``errorcode``) as one error type.

Every class below is a :class:`MoodleError` *and* the matching class of the shared error tree, so
the sync worker reads ``retryable`` as for any host while code and people see the web-service
function and Moodle's own errorcode.
"""

from __future__ import annotations

import re

from rm_plugin.http import (
    AuthenticationError,
    HostConnectionError,
    HostError,
    HostUnavailable,
    InvalidRequest,
    PermissionDenied,
)

# The transport exception's class name in the HTTP foundation's message: "... (ConnectionError: ...".
_TRANSPORT_CLASS = re.compile(r"\((\w+): ")
# The HTTP foundation's words for a refused or unresolved connection: "could not reach the host
# 127.0.0.1:9: Connection refused; check …": the system's reason is kept.
_UNREACHABLE_REASON = re.compile(r"could not reach the host \S+: (.+?); check")
# Moodle's words when the role lacks the protocol's capability: "(missing capability: webservice/rest:use)".
_MISSING_CAPABILITY = re.compile(r"missing capability: ([a-z]+/[a-z_]+:[a-z_]+)")


class MoodleError(HostError):
    """A Moodle web-service function raised an exception; ``function`` and ``errorcode`` say which."""

    @property
    def function(self) -> str:
        return self.call

    @property
    def errorcode(self) -> str:
        return self.code or ""


class MoodleAuthenticationError(MoodleError, AuthenticationError):
    """The token was refused (``invalidtoken``) or web services are off."""


class MoodlePermissionDenied(MoodleError, PermissionDenied):
    """The function is not in the token's service (``accessexception``) or a capability is missing."""


class MoodleInvalidRequest(MoodleError, InvalidRequest):
    """Moodle rejected the arguments or the state (``invalidparameter``, ``wsnoinstance`` …)."""


class MoodleUnavailable(MoodleError, HostUnavailable):
    """Moodle's database or a dependency failed; trying again later may work."""


class MoodleSetupError(MoodleError):
    """The Moodle site is not set up as the programme needs (a course, activity or badge is missing)."""


class MoodleConfigGap(MoodleSetupError):
    """The connector config lacks what a delivery needs; no call was made, so none is named.

    ``call`` and ``code`` stay set for code, but the message a person reads (and a parked row
    keeps) is only what to add to the config.
    """

    def __str__(self) -> str:
        return f"{self.host}: {self.message}"


def for_connection_line(error: HostError, *, url: str, config_file: str) -> str:
    """``error`` for a line that already names the connection (``check``, ``moodle accounts``).

    An unreachable host says what to check instead of the transport library's text, keeping the
    system's reason ("Connection refused") or the transport error's class name so the cause can
    still be told apart.
    """
    if isinstance(error, HostConnectionError) and error.message.startswith(
        ("could not reach", "could not connect")
    ):
        found = _UNREACHABLE_REASON.search(error.message) or _TRANSPORT_CLASS.search(error.message)
        cause = f" ({found.group(1)})" if found else ""
        return (
            f"{error.call} failed: cannot reach {url}: check `url` in {config_file} and the network "
            f"between this server and Moodle{cause}"
        )
    return str(error).removeprefix(f"{error.host}: ")


_BY_CODE: dict[str, type[MoodleError]] = {
    "invalidtoken": MoodleAuthenticationError,
    "webservicesnotenabled": MoodleAuthenticationError,
    "sitemaintenance": MoodleUnavailable,
    "accessexception": MoodlePermissionDenied,
    "nopermissions": MoodlePermissionDenied,
    "requireloginerror": MoodlePermissionDenied,
    "servicenotavailable": MoodlePermissionDenied,
    "wsusercannotassign": MoodlePermissionDenied,
    "dmlreadexception": MoodleUnavailable,
    "dmlwriteexception": MoodleUnavailable,
    "dbconnectionfailed": MoodleUnavailable,
}

#: Where an admin grants a capability to the integration role.
ROLES_PAGE = "Site administration › Users › Permissions › Define roles"

#: The capabilities each write or read needs, named when Moodle refuses it (its own message names
#: the capability's description only, e.g. "Override activity completion status").
NEEDS: dict[str, tuple[str, ...]] = {
    "enrol_manual_enrol_users": ("enrol/manual:enrol", "moodle/role:assign"),
    "core_cohort_add_cohort_members": ("moodle/cohort:assign",),
    "core_completion_override_activity_completion_status": ("moodle/course:overridecompletion",),
    "core_badges_get_user_badges": ("moodle/badges:viewotherbadges",),
    "core_group_get_course_groups": ("moodle/course:managegroups",),
    "core_group_create_groups": ("moodle/course:managegroups",),
    "core_group_add_group_members": ("moodle/course:managegroups",),
    "core_calendar_create_calendar_events": ("moodle/calendar:manageentries",),
    "core_calendar_delete_calendar_events": ("moodle/calendar:manageentries",),
    "core_calendar_get_calendar_events": ("moodle/calendar:manageentries",),
    "core_course_get_contents": ("moodle/course:view",),
    "core_message_send_instant_messages": ("moodle/site:sendmessage",),
}


def grant(*capabilities: str) -> str:
    """What to do about missing capabilities, for the end of an error line."""
    return f"give the integration role {' and '.join(capabilities)} ({ROLES_PAGE})"


_HINTS: dict[str, str] = {
    "invalidtoken": "check the token in the connector config and that it has not expired",
    "accessexception": "add this function to the external service (`rm-plugin moodle functions` lists them)",
    "nopermissions": "give the integration user's role the capability named above",
    "servicenotavailable": "enable the external service and authorise the integration user",
    "wsusercannotassign": "give the integration role moodle/role:assign and allow it to assign the "
    f"participant role ({ROLES_PAGE} › Allow role assignments)",
    "wsnoinstance": "add the Manual enrolments method to the programme course",
    # Moodle 4.4 enrols first, then mails the course welcome message from the course contact;
    # a mail failure fails the whole call, and each retry sends the welcome message again.
    "Message was not sent.": "Moodle enrolled them but could not send the course welcome message: fix "
    "Moodle's outgoing mail, or turn off Send course welcome message in the programme course's "
    "Manual enrolments method (Participants › Enrolment methods), then `rm-plugin sync retry`",
    "webservicesnotenabled": "enable web services and the REST protocol in Site administration",
}


def error_for(function: str, errorcode: str, message: str, *, host: str, exception: str = "") -> MoodleError:
    """The error class for Moodle's errorcode, its message followed by what the admin can do."""
    cls = _BY_CODE.get(errorcode)
    if cls is None:
        cls = (
            MoodlePermissionDenied
            if exception.endswith("required_capability_exception")
            else MoodleInvalidRequest
        )
    hint = _HINTS.get(errorcode)
    missing = _MISSING_CAPABILITY.search(message)
    if missing:  # with debugging on, Moodle names the protocol's capability
        hint = grant(missing.group(1))
    elif errorcode == "accessexception" and function == "core_webservice_get_site_info":
        # the first call refused: the protocol, not one function (Moodle says which only when debugging)
        hint = (
            f"{grant('webservice/rest:use')}; make the integration user an authorised user of the external "
            "service, and add this function to it"
        )
    elif function in NEEDS and (
        errorcode in ("nopermissions", "nopermission") or exception.endswith("required_capability_exception")
    ):
        hint = grant(*NEEDS[function])
    text = f"{message.strip()} ({hint})" if hint else message.strip()
    return cls(text or exception or "error", host=host, call=function, code=errorcode or None)
