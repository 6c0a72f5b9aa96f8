"""HttpClient against replayed responses: timeouts, retries, error mapping, redaction, counting."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
import requests
import responses
from responses.registries import OrderedRegistry

from rm_plugin.http import (
    AuthenticationError,
    HostConnectionError,
    HostError,
    HostTimeout,
    HostUnavailable,
    HttpClient,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    Secret,
    UnexpectedResponse,
)

BASE = "https://moodle.example.org"  # the conftest client's base URL
URL = f"{BASE}/api/v1/employees"
TOKEN = "tok-5ecret-123"


@pytest.fixture
def mocked():
    """Responses are served in the order added; an unused one fails the test."""
    with responses.RequestsMock(registry=OrderedRegistry) as rsps:
        yield rsps


def test_sends_user_agent_and_default_timeouts_and_counts_calls(mocked, client) -> None:
    mocked.get(URL, json={"data": []})
    assert client.request_json("GET", "/api/v1/employees") == {"data": []}
    sent = mocked.calls[0].request
    assert sent.headers["User-Agent"] == "rm-plugin/0.1.0"
    assert sent.req_kwargs["timeout"] == (10.0, 60.0)
    assert client.calls == {"GET": 1}
    assert client.calls_by_name == {"GET /api/v1/employees": 1}


def test_connect_timeout_is_retried_then_reported_without_the_token(mocked, client, sleep) -> None:
    for _ in range(4):
        mocked.get(
            URL, body=requests.exceptions.ConnectTimeout(f"timed out: /api/v1/employees?token={TOKEN}")
        )
    with pytest.raises(HostTimeout) as caught:
        client.request("GET", "/api/v1/employees", params={"token": TOKEN})
    err = caught.value
    assert "could not connect within 10 s" in str(err)
    assert TOKEN not in str(err) + repr(err)
    assert err.retryable and err.__cause__ is None and err.__suppress_context__
    assert len(sleep.waits) == 3 and client.calls["GET"] == 4


def test_read_timeout_on_a_post_is_not_retried(mocked, client, sleep) -> None:
    mocked.post(URL, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(HostTimeout, match="no answer within 60 s"):
        client.request("POST", "/api/v1/employees", json={"firstName": "Ann"})
    assert sleep.waits == [] and client.calls["POST"] == 1


def test_a_broken_connection_is_a_retryable_connection_error(mocked, client) -> None:
    mocked.get(URL, body=requests.exceptions.ConnectionError("connection reset"))
    with pytest.raises(HostConnectionError, match="could not reach the host") as caught:
        client.request("GET", URL, idempotent=False)
    assert caught.value.retryable and type(caught.value) is HostConnectionError


def test_a_refused_connection_names_the_host_and_the_reason_not_the_pool_s_message(policy, sleep) -> None:
    """A real connection to a closed port on this machine: the message says where and why, in
    one line a person can act on, without urllib3's pool and retry wrapping or the query string."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: nothing listens there
    closed = HttpClient("bamboohr", f"http://127.0.0.1:{port}", retry=policy)
    with closed, pytest.raises(HostConnectionError) as caught:
        closed.request("GET", "/api/v1/employees", params={"token": TOKEN})
    message = str(caught.value)
    assert f"could not reach the host 127.0.0.1:{port}: Connection refused" in message
    assert "HTTPConnectionPool" not in message and "retries" not in message
    assert TOKEN not in message
    assert caught.value.retryable and len(sleep.waits) == 3


def test_503_then_success_retries_once_after_a_backoff(mocked, client, sleep) -> None:
    mocked.get(URL, status=503)
    mocked.get(URL, json={"data": [1]})
    assert client.request_json("GET", "/api/v1/employees") == {"data": [1]}
    assert len(sleep.waits) == 1 and 0.25 <= sleep.waits[0] <= 0.5
    assert client.calls["GET"] == 2


def test_429_retry_after_seconds_is_honoured(mocked, client, sleep) -> None:
    mocked.get(URL, status=429, headers={"Retry-After": "7"})
    mocked.get(URL, json={})
    client.request("GET", "/api/v1/employees")
    assert sleep.waits == [7.0]


def test_429_retry_after_http_date_is_honoured(mocked, client, sleep) -> None:
    when = format_datetime(datetime.fromtimestamp(client.retry.clock() + 12, UTC), usegmt=True)
    mocked.get(URL, status=429, headers={"Retry-After": when})
    mocked.get(URL, json={})
    client.request("GET", "/api/v1/employees")
    assert sleep.waits == [12.0]


def test_gives_up_after_max_attempts_with_the_last_error(mocked, client, sleep) -> None:
    for status in (503, 503, 503, 502):
        mocked.get(URL, status=status, headers={"X-Request-ID": f"req-{status}"})
    with pytest.raises(HostUnavailable) as caught:
        client.request("GET", "/api/v1/employees")
    assert caught.value.status == 502 and caught.value.request_id == "req-502"
    assert len(sleep.waits) == 3 and client.calls["GET"] == 4


def test_a_post_is_not_retried_on_503_but_stays_retryable_for_the_outbox(mocked, client, sleep) -> None:
    mocked.post(URL, status=503)
    with pytest.raises(HostUnavailable) as caught:
        client.request("POST", "/api/v1/employees", json={"firstName": "Ann"})
    assert caught.value.retryable
    assert sleep.waits == [] and client.calls["POST"] == 1


def test_a_post_marked_idempotent_is_retried(mocked, client, sleep) -> None:
    mocked.post(URL, status=503)
    mocked.post(URL, status=200)
    client.request("POST", "/api/v1/employees", idempotent=True, call_name="Put_Mentorship")
    assert len(sleep.waits) == 1 and client.calls_by_name["Put_Mentorship"] == 2


@pytest.mark.parametrize(
    ("status", "cls"),
    [(400, InvalidRequest), (401, AuthenticationError), (403, PermissionDenied), (404, NotFound)],
)
def test_client_errors_map_to_the_tree_and_are_never_retried(mocked, client, sleep, status, cls) -> None:
    mocked.get(URL, status=status, json={"error": {"code": "BadRequest"}}, headers={"x-request-id": "r-9"})
    with pytest.raises(cls) as caught:
        client.request("GET", "/api/v1/employees")
    err = caught.value
    assert (err.status, err.request_id, err.retryable) == (status, "r-9", False)
    assert "BadRequest" in err.message
    assert sleep.waits == [] and client.calls["GET"] == 1


def test_a_hook_may_raise_and_the_call_is_still_logged(mocked, policy, caplog) -> None:
    mocked.post(
        f"{BASE}/webservice/rest/server.php", body="<html>Maintenance</html>", content_type="text/html"
    )
    moodle = MoodleLikeClient("moodle-main", BASE, retry=policy)
    with caplog.at_level(logging.DEBUG, logger="rm_plugin.http"), pytest.raises(UnexpectedResponse):
        moodle.request("POST", "/webservice/rest/server.php", call_name="core_webservice_get_site_info")
    assert "call=core_webservice_get_site_info method=POST" in caplog.text and "status=200" in caplog.text


def test_html_where_json_was_expected_is_an_unexpected_response(mocked, client) -> None:
    page = (
        "<html><head><title>Moodle: Log in</title></head>"
        f"<body><a href='?wstoken={TOKEN}'>x</a></body></html>"
    )
    mocked.get(URL, body=page, content_type="text/html; charset=utf-8")
    with pytest.raises(UnexpectedResponse) as caught:
        client.request_json("GET", "/api/v1/employees", call_name="core_user_get_users_by_field")
    err = caught.value
    assert str(err).startswith(
        "moodle-main: core_user_get_users_by_field failed: an HTML page instead of JSON ('Moodle: Log in'); "
        "retried, as a maintenance or proxy page passes"
    )
    # a maintenance page ("Moodle is being upgraded") looks the same: worth another try later
    assert err.content_type == "text/html; charset=utf-8" and err.retryable
    assert TOKEN not in str(err) + err.excerpt


USERS = '[{"id": 1001, "username": "e1001", "email": "ann.smith@example.org", "fullname": "Ann Smith"}]'


@pytest.mark.parametrize(
    ("body", "content_type", "says", "retryable"),
    [
        (USERS[:61], "application/json", "truncated JSON: the body ends after 61 bytes", True),
        ("", "application/json", "an empty body where JSON was expected", True),
        ('{"a": 1,, "email": "ann.smith@example.org"}', "application/json", "malformed JSON", False),
        ("Service temporarily unavailable", "text/plain", "a text/plain body instead of JSON", True),
    ],
)
def test_an_unreadable_body_says_what_it_was_never_echoes_it_and_is_retried_when_transient(
    mocked, client, body, content_type, says, retryable
) -> None:
    mocked.get(URL, body=body, content_type=content_type)
    with pytest.raises(UnexpectedResponse) as caught:
        client.decode_json(
            client.request("GET", "/api/v1/employees"), "core_user_get_users_by_field", empty_ok=False
        )
    err = caught.value
    assert says in str(err) and err.retryable is retryable
    assert "expected JSON but got" not in str(err)
    assert "ann.smith" not in str(err) + err.excerpt and "Smith" not in str(err) + err.excerpt


def test_an_html_proxy_error_page_reads_as_one_short_line(mocked, client) -> None:
    page = "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>" + "nginx " * 200 + "</body></html>"
    for _ in range(4):
        mocked.get(URL, status=502, body=page, content_type="text/html")
    with pytest.raises(HostUnavailable) as caught:
        client.request("GET", "/api/v1/employees")
    assert caught.value.message.startswith("Bad Gateway: 502 Bad Gateway nginx nginx")
    assert len(caught.value.message) < 250


class MoodleLikeClient(HttpClient):
    """How a connector reads its host's error shape: Moodle reports errors with HTTP 200."""

    def error_for_response(self, response: requests.Response, call: str) -> HostError | None:
        body = self.decode_json(response, call)
        if isinstance(body, dict) and "exception" in body:
            cls = AuthenticationError if body["errorcode"] == "invalidtoken" else InvalidRequest
            message = " ".join(filter(None, [body["message"], body.get("debuginfo")]))
            return cls(
                message, host=self.name, call=call, status=response.status_code, code=body["errorcode"]
            )
        return super().error_for_response(response, call)


def test_a_connector_hook_turns_a_200_exception_envelope_into_a_typed_error(mocked, policy, sleep) -> None:
    envelope = {
        "exception": "moodle_exception",
        "errorcode": "invalidtoken",
        "message": "Invalid token - token not found",
    }
    mocked.post(f"{BASE}/webservice/rest/server.php", json=envelope)
    mocked.post(
        f"{BASE}/webservice/rest/server.php", json={**envelope, "debuginfo": f"token {TOKEN} unknown"}
    )
    moodle = MoodleLikeClient("moodle-main", BASE, retry=policy)
    with pytest.raises(AuthenticationError) as caught:
        moodle.request(
            "POST",
            "/webservice/rest/server.php",
            data={"wstoken": Secret(TOKEN), "wsfunction": "core_user_get_users_by_field"},
            call_name="core_user_get_users_by_field",
        )
    assert str(caught.value) == (
        "moodle-main: core_user_get_users_by_field failed: invalidtoken: Invalid token - token not found"
    )
    assert f"wstoken={TOKEN}&" in mocked.calls[0].request.body and sleep.waits == []
    # A host echoing the token back in its own message is redacted by the client, not the hook.
    with pytest.raises(AuthenticationError) as caught:
        moodle.request("POST", "/webservice/rest/server.php", call_name="core_user_get_users_by_field")
    assert str(caught.value).endswith("Invalid token - token not found token *** unknown")


def test_no_secret_reaches_the_log_from_query_header_or_error(mocked, policy, caplog) -> None:
    mocked.get(URL, status=503, body=f"overloaded, token={TOKEN}")
    mocked.get(URL, json={})
    client = HttpClient("bamboohr", BASE, retry=policy, headers={"X-Api-Key": Secret(TOKEN)})
    with caplog.at_level(logging.DEBUG, logger="rm_plugin.http"):
        client.request("GET", "/api/v1/employees", params={"wstoken": TOKEN, "fields": "workEmail"})
    assert mocked.calls[0].request.headers["X-Api-Key"] == TOKEN  # the host still gets it
    assert TOKEN not in caplog.text and TOKEN not in client.redactor.redact(f"key {TOKEN}")
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert len(debug) == 2
    assert "method=GET" in debug[0] and "status=503" in debug[0] and "attempt=1" in debug[0]
    assert (
        "wstoken=***&fields=workEmail" in debug[1] and "status=200" in debug[1] and "elapsed_ms=" in debug[1]
    )
    assert any("http retry" in r.getMessage() for r in caplog.records)


def test_repr_shows_the_base_url_and_no_secret() -> None:
    client = HttpClient("workday", "https://isu:pw9@wd5.example/ccx/")
    assert repr(client) == "HttpClient(name='workday', base_url='https://isu:***@wd5.example/ccx')"


def test_basic_auth_secrets_are_sent_to_the_host_and_hidden_from_errors(mocked, policy) -> None:
    # BambooHR: the API key is the Basic-auth user name, with any password.
    mocked.get(URL, status=401, body=f"unknown key {TOKEN}")
    client = HttpClient("bamboohr", BASE, retry=policy, auth=(Secret(TOKEN), "x"))
    with pytest.raises(AuthenticationError) as caught:
        client.request("GET", "/api/v1/employees")
    expected = "Basic " + base64.b64encode(f"{TOKEN}:x".encode()).decode()
    assert mocked.calls[0].request.headers["Authorization"] == expected
    assert TOKEN not in str(caught.value) + repr(caught.value) + repr(client)


@pytest.mark.parametrize(
    "echo", ["auth=Basic {basic}", "you sent {basic}", '{{"authorization": "{header}"}}']
)
def test_a_host_echoing_the_basic_credentials_in_an_error_never_shows_them(mocked, policy, echo) -> None:
    basic = base64.b64encode(f"{TOKEN}:x".encode()).decode()
    mocked.get(URL, status=401, body=echo.format(basic=basic, header=f"Basic {basic}"))
    client = HttpClient("bamboohr", BASE, retry=policy, auth=(Secret(TOKEN), "x"))
    with pytest.raises(AuthenticationError) as caught:
        client.request("GET", "/api/v1/employees")
    assert basic not in str(caught.value) and TOKEN not in str(caught.value)
    assert "***" in str(caught.value)


def test_credentials_are_never_sent_to_another_host(mocked, client) -> None:
    mocked.get(f"{BASE}/next?page=2", json={})
    client.request("GET", f"{BASE}/next?page=2")
    with pytest.raises(ValueError, match="refusing to send"):
        client.request("GET", "https://evil.example/next")
    assert client.calls["GET"] == 1


def test_an_empty_body_decodes_to_none(mocked, client) -> None:
    mocked.post(URL, status=201, body="")
    assert client.request_json("POST", "/api/v1/employees", json={"firstName": "Ann"}) is None
