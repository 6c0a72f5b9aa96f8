"""Moodle's exception envelope (HTTP 200 with ``exception``/``errorcode``) as one error type.

Every class below is a :class:`MoodleError` *and* the matching class of the shared error tree, so
the sync worker reads ``retryable`` as for any host while code and people see the web-service
function and Moodle's own errorcode.
"""

from __future__ import annotations

from rm_plugin.http import AuthenticationError, HostError, HostUnavailable, InvalidRequest, PermissionDenied


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

_HINTS: dict[str, str] = {
    "invalidtoken": "check the token in the connector config and that it has not expired",
    "accessexception": "add this function to the external service (`rm-plugin moodle functions` lists them)",
    "nopermissions": "give the integration user's role the capability named above",
    "servicenotavailable": "enable the external service and authorise the integration user",
    "wsusercannotassign": "allow the integration role to assign the participant role",
    "wsnoinstance": "add the Manual enrolments method to the programme course",
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
    text = f"{message.strip()} ({hint})" if hint else message.strip()
    return cls(text or exception or "error", host=host, call=function, code=errorcode or None)
