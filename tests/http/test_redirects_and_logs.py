"""A redirect is never followed (it could carry credentials away), and no log line shows a secret."""

from __future__ import annotations

import logging

import pytest
import responses

from rm_plugin.http import HttpClient, InvalidRequest, RetryPolicy
from rm_plugin.logs import configure, remember_secrets
from rm_plugin.secret import Secret


@responses.activate
def test_a_redirect_is_an_error_naming_the_fix_and_is_not_followed() -> None:
    responses.add(
        responses.POST,
        "https://lms.example.com/webservice/rest/server.php",
        status=302,
        headers={"Location": "https://lms.example.com/login/index.php?wstoken=tok-123"},
    )
    client = HttpClient("moodle", "https://lms.example.com", retry=RetryPolicy(sleep=lambda _s: None))
    with pytest.raises(InvalidRequest) as caught:
        client.request("POST", "/webservice/rest/server.php", data={"wstoken": Secret("tok-123")})
    text = str(caught.value)
    assert "redirected" in text and "check the URL in the connector file" in text
    assert "tok-123" not in text
    assert len(responses.calls) == 1  # the login page was never requested


def test_log_lines_of_any_library_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    configure(logging.DEBUG)
    remember_secrets({"nested": {"token": Secret("s3cr3t-value")}, "plain": "not a secret"})
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("urllib3.connectionpool").debug('"GET /x?wstoken=abc999&y=1 HTTP/1.1" 302')
        logging.getLogger("rm_plugin.anything").warning("host said: s3cr3t-value is wrong")
    assert "abc999" not in caplog.text and "s3cr3t-value" not in caplog.text
    assert "not a secret" not in caplog.text  # nothing else was logged
    assert "host said: *** is wrong" in caplog.text


@responses.activate
def test_a_connector_reading_its_own_errors_still_refuses_a_redirect() -> None:
    class HostWithOwnErrors(HttpClient):
        def error_for_response(self, response, call):  # like BambooHR's: below 400 is success
            return None if response.status_code < 400 else super().error_for_response(response, call)

    responses.add(
        responses.GET,
        "https://acme.bamboohr.com/api/v1/meta/fields",
        status=301,
        headers={"Location": "https://acme.bamboohr.com/login"},
    )
    client = HostWithOwnErrors(
        "bamboohr", "https://acme.bamboohr.com", retry=RetryPolicy(sleep=lambda _s: None)
    )
    with pytest.raises(InvalidRequest, match=r"redirected to https://acme\.bamboohr\.com/login"):
        client.request("GET", "/api/v1/meta/fields")
