"""The error tree: what a person reads, and what the sync worker decides from."""

from __future__ import annotations

import pytest

from rm_plugin.http import (
    AuthenticationError,
    HostConnectionError,
    HostError,
    HostTimeout,
    HostUnavailable,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    RateLimited,
    Redactor,
    UnexpectedResponse,
)


def test_str_names_host_call_code_message_and_request_id() -> None:
    err = AuthenticationError(
        "Invalid token - token not found",
        host="moodle-main",
        call="core_user_get_users_by_field",
        status=200,
        code="invalidtoken",
        request_id="r-42",
    )
    assert str(err) == (
        "moodle-main: core_user_get_users_by_field failed: invalidtoken: "
        "Invalid token - token not found (request id r-42)"
    )


def test_str_shows_an_error_status_and_leaves_out_missing_parts() -> None:
    err = HostUnavailable("Bad Gateway", host="bamboohr", call="GET /api/v1/employees", status=502)
    assert str(err) == "bamboohr: GET /api/v1/employees failed: Bad Gateway (HTTP 502)"


@pytest.mark.parametrize(
    ("cls", "retryable"),
    [
        (HostConnectionError, True),
        (HostTimeout, True),
        (RateLimited, True),
        (HostUnavailable, True),
        (AuthenticationError, False),
        (PermissionDenied, False),
        (NotFound, False),
        (InvalidRequest, False),
    ],
)
def test_each_class_says_whether_retrying_can_help(cls: type[HostError], retryable: bool) -> None:
    assert cls("m", host="h", call="c").retryable is retryable


def test_a_connector_can_override_retryable_and_a_timeout_is_a_connection_error() -> None:
    # BambooHR's 503 means throttling today, so a connector may mark an unavailable host differently.
    assert HostUnavailable("x", host="h", call="c", retryable=False).retryable is False
    assert issubclass(HostTimeout, HostConnectionError)
    assert RateLimited("x", host="h", call="c", retry_after=7).retry_after == 7


def test_redact_cleans_message_call_args_and_excerpt() -> None:
    err = UnexpectedResponse(
        "expected JSON: login?wstoken=tok123",
        host="moodle-main",
        call="GET /x?token=tok123",
        excerpt="tok123 echoed",
    )
    err.redact(Redactor(["tok123"]).redact)
    assert "tok123" not in str(err) + repr(err) + str(err.args) + err.excerpt
    assert "wstoken=***" in str(err)
