"""BambooHR's error shapes and throttling, read into the shared error tree."""

from __future__ import annotations

import pytest
from bamboo_fakes import API_KEY, BASE, META_FIELDS, make_connection

from rm_plugin.http import (
    AuthenticationError,
    HostError,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    RateLimited,
    UnexpectedResponse,
)

URL = f"{BASE}/api/v1/meta/fields"


@pytest.mark.parametrize(
    ("status", "headers", "body", "cls", "text"),
    [
        (
            401,
            {"X-BambooHR-Message": "Invalid API key"},
            None,
            AuthenticationError,
            "Invalid API key (HTTP 401",
        ),
        (
            403,
            {"x-bamboohr-error-message": "No access to fields"},
            None,
            PermissionDenied,
            "No access to fields",
        ),
        (404, {"X-BambooHR-Message": "Not found"}, None, NotFound, "Not found"),
        (
            400,
            {},
            {"error": {"code": "BadPage", "message": "Invalid cursor"}},
            InvalidRequest,
            "BadPage: Invalid cursor",
        ),
        (
            422,
            {"X-Request-ID": "req-77"},
            {"type": "about:blank", "title": "Invalid filter", "detail": "unknown field", "status": 422},
            InvalidRequest,
            "Invalid filter: unknown field (HTTP 422, request id req-77)",
        ),
        (400, {}, {"errors": [{"error": "url must be https"}]}, InvalidRequest, "url must be https"),
    ],
)
def test_error_shapes_become_one_readable_error(tmp_path, mocked, status, headers, body, cls, text):
    mocked.get(URL, status=status, headers=headers, json=body)
    with pytest.raises(cls) as caught:
        make_connection(tmp_path).api.meta_fields()
    assert text in str(caught.value)
    assert str(caught.value).startswith("bamboohr: GET /api/v1/meta/fields failed")
    assert not caught.value.retryable


def test_throttling_with_503_is_retried_with_backoff(tmp_path, mocked):
    waits: list[float] = []
    mocked.get(URL, status=503, headers={"X-BambooHR-Message": "Too many requests"})
    mocked.get(URL, json=META_FIELDS)
    fields = make_connection(tmp_path, sleep=waits.append).api.meta_fields()
    assert len(fields) == 4 and len(waits) == 1 and 0.25 <= waits[0] <= 0.5


def test_throttling_with_429_honours_retry_after(tmp_path, mocked):
    waits: list[float] = []
    mocked.get(URL, status=429, headers={"Retry-After": "7"})
    mocked.get(URL, status=429, headers={"Retry-After": "3"})
    mocked.get(URL, json=META_FIELDS)
    make_connection(tmp_path, sleep=waits.append).api.meta_fields()
    assert waits == [7.0, 3.0]


def test_throttling_that_never_ends_raises_a_retryable_error(tmp_path, mocked):
    for _ in range(4):
        mocked.get(URL, status=503)
    with pytest.raises(RateLimited) as caught:
        make_connection(tmp_path).api.meta_fields()
    assert caught.value.retryable and caught.value.status == 503


@pytest.mark.off_contract("a login page where BambooHR answers JSON: the host misbehaves on purpose")
def test_an_html_page_instead_of_json_is_named(tmp_path, mocked):
    mocked.get(URL, body="<html><body>Please log in</body></html>", content_type="text/html")
    with pytest.raises(UnexpectedResponse, match="an HTML page instead of JSON") as caught:
        make_connection(tmp_path).api.meta_fields()
    assert caught.value.retryable  # a login page cannot be told from a maintenance page


def test_the_api_key_never_appears_in_an_error(tmp_path, mocked):
    mocked.get(URL, status=401, headers={"X-BambooHR-Message": f"key {API_KEY} is not valid"})
    with pytest.raises(HostError) as caught:
        make_connection(tmp_path).api.meta_fields()
    assert API_KEY not in str(caught.value) and API_KEY not in repr(caught.value)
    assert API_KEY not in repr(make_connection(tmp_path).config)
