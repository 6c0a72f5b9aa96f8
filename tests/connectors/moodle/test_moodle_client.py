"""The Moodle web-service client: the exact form sent, Moodle's error envelope, retries, no token leaks."""

from __future__ import annotations

import logging

import pytest
import requests
import responses
import urllib3
from moodle_helpers import BASE, ENDPOINT, TOKEN, Expect, body

from rm_plugin.connectors.moodle import MoodleClient, MoodleError
from rm_plugin.connectors.moodle.encoding import php_form
from rm_plugin.http import (
    AuthenticationError,
    HostConnectionError,
    HostTimeout,
    HostUnavailable,
    InvalidRequest,
    PermissionDenied,
    RetryPolicy,
    Secret,
    UnexpectedResponse,
)


@pytest.fixture
def client() -> MoodleClient:
    with MoodleClient("moodle", BASE, Secret(TOKEN), retry=RetryPolicy(sleep=lambda s: None)) as c:
        yield c


def test_nested_arguments_are_encoded_the_php_way() -> None:
    encoded = php_form(
        {
            "users": [
                {"username": "a", "customfields": [{"type": "joblevel", "value": "L3"}], "suspended": False}
            ],
            "options": {"excludecontents": True},
            "skip": None,
        }
    )
    assert encoded == {
        "users[0][username]": "a",
        "users[0][customfields][0][type]": "joblevel",
        "users[0][customfields][0][value]": "L3",
        "users[0][suspended]": "0",
        "options[excludecontents]": "1",
    }


def test_unsupported_argument_types_are_refused_by_name() -> None:
    with pytest.raises(TypeError, match=r"values\[0\]"):
        php_form({"values": [object()]})


def test_a_call_posts_exactly_the_reserved_fields_and_the_arguments(
    client: MoodleClient, expect: Expect
) -> None:
    expect(
        "core_user_get_users_by_field",
        {"field": "idnumber", "values[0]": "E100", "values[1]": "E200"},
        body("users"),
    )
    users = client.call("core_user_get_users_by_field", {"field": "idnumber", "values": ["E100", "E200"]})
    assert [u["id"] for u in users] == [41, 57]
    assert client.calls_by_name["core_user_get_users_by_field"] == 1


def test_invalid_token_is_an_authentication_error_without_the_token(
    client: MoodleClient, expect: Expect
) -> None:
    expect("core_webservice_get_site_info", {}, body("invalidtoken"))
    with pytest.raises(MoodleError) as caught:
        client.call("core_webservice_get_site_info")
    error = caught.value
    assert isinstance(error, AuthenticationError)
    assert (error.function, error.errorcode, error.retryable) == (
        "core_webservice_get_site_info",
        "invalidtoken",
        False,
    )
    assert "Invalid token" in str(error) and "check the token" in str(error)
    for text in (str(error), repr(error), repr(client)):
        assert TOKEN not in text


def test_a_function_missing_from_the_service_says_to_add_it(client: MoodleClient, expect: Expect) -> None:
    expect("core_badges_get_user_badges", {"userid": "41"}, body("accessexception"))
    with pytest.raises(PermissionDenied) as caught:
        client.call("core_badges_get_user_badges", {"userid": 41})
    assert caught.value.code == "accessexception"
    assert "core_badges_get_user_badges failed: accessexception" in str(caught.value)
    assert "add this function to the external service" in str(caught.value)


def test_invalid_parameter_is_not_retried(client: MoodleClient, expect: Expect) -> None:
    expect("core_user_get_users_by_field", {"field": "email", "values[0]": "x"}, body("invalidparameter"))
    with pytest.raises(InvalidRequest) as caught:
        client.call("core_user_get_users_by_field", {"field": "email", "values": ["x"]})
    assert caught.value.errorcode == "invalidparameter" and not caught.value.retryable
    assert client.calls_by_name["core_user_get_users_by_field"] == 1
    assert "debuginfo" not in str(caught.value)


def test_an_html_page_is_reported_as_such(client: MoodleClient, expect: Expect) -> None:
    expect(
        "core_webservice_get_site_info",
        {},
        body="<html><head><title>Maintenance</title></head><body>Site is under maintenance</body></html>",
    )
    with pytest.raises(UnexpectedResponse) as caught:
        client.call("core_webservice_get_site_info")
    assert "an HTML page instead of JSON ('Maintenance')" in str(caught.value)
    assert caught.value.retryable
    assert "Site is under maintenance" in caught.value.excerpt


def test_a_503_on_a_read_is_retried_then_succeeds(client: MoodleClient, expect: Expect) -> None:
    expect(
        "core_course_get_courses_by_field",
        {"field": "idnumber", "value": "rm-2026"},
        None,
        status=503,
        body="Service Unavailable",
    )
    expect("core_course_get_courses_by_field", {"field": "idnumber", "value": "rm-2026"}, body("courses"))
    answer = client.call("core_course_get_courses_by_field", {"field": "idnumber", "value": "rm-2026"})
    assert answer["courses"][0]["id"] == 12
    assert client.calls_by_name["core_course_get_courses_by_field"] == 2


def test_a_503_on_a_write_moodle_does_not_deduplicate_is_not_retried(
    client: MoodleClient, expect: Expect
) -> None:
    fields = {"messages[0][touserid]": "41", "messages[0][text]": "hi"}
    expect("core_message_send_instant_messages", fields, None, status=503, body="Service Unavailable")
    with pytest.raises(HostUnavailable) as caught:
        client.call("core_message_send_instant_messages", {"messages": [{"touserid": 41, "text": "hi"}]})
    assert caught.value.retryable and caught.value.status == 503  # the outbox retries it later, guarded
    assert client.calls_by_name["core_message_send_instant_messages"] == 1


def test_a_timeout_on_a_read_is_retried_up_to_the_policy_then_raised(
    client: MoodleClient, mock: responses.RequestsMock
) -> None:
    mock.post(ENDPOINT, body=requests.ReadTimeout("read timed out"))
    with pytest.raises(HostTimeout) as caught:
        client.call("core_webservice_get_site_info")
    assert caught.value.retryable
    assert client.calls_by_name["core_webservice_get_site_info"] == 4
    assert TOKEN not in str(caught.value)


def test_warnings_are_logged_without_the_token(
    client: MoodleClient, expect: Expect, caplog: pytest.LogCaptureFixture
) -> None:
    answer = {
        "warnings": [{"item": "cohort", "itemid": 4, "warningcode": "2", "message": f"no cohort {TOKEN}"}]
    }
    expect("core_cohort_add_cohort_members", {"members[0][cohorttype][type]": "idnumber"}, answer)
    with caplog.at_level(logging.DEBUG):
        result = client.call(
            "core_cohort_add_cohort_members", {"members": [{"cohorttype": {"type": "idnumber"}}]}
        )
    assert result["warnings"][0]["warningcode"] == "2"
    assert "function=core_cohort_add_cohort_members item=cohort itemid=4 code=2" in caplog.text
    assert TOKEN not in caplog.text


def test_the_token_must_be_a_secret() -> None:
    with pytest.raises(TypeError):
        MoodleClient("moodle", BASE, TOKEN)  # type: ignore[arg-type]


def test_a_cut_short_answer_to_a_write_is_retryable_and_says_truncated_json(
    client: MoodleClient, expect: Expect
) -> None:
    users = '[{"id": 41, "username": "e100", "email": "ann@example.org", "fullname": "Ann Smith"}]'
    fields = {"messages[0][touserid]": "41", "messages[0][text]": "hi"}
    expect("core_message_send_instant_messages", fields, body=users[:40], content_type="application/json")
    with pytest.raises(UnexpectedResponse) as caught:
        client.call("core_message_send_instant_messages", {"messages": [{"touserid": 41, "text": "hi"}]})
    err = caught.value
    assert err.retryable and "truncated JSON: the body ends after 40 bytes" in str(err)
    assert "ann@example.org" not in str(err) + err.excerpt and "Ann Smith" not in str(err) + err.excerpt
    assert client.calls_by_name["core_message_send_instant_messages"] == 1  # the outbox retries, guarded


def test_a_reset_connection_is_retryable_and_may_have_reached_moodle(client: MoodleClient, mock) -> None:
    reset = requests.ConnectionError(
        urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset by peer"))
    )
    mock.post(ENDPOINT, body=reset)
    with pytest.raises(HostConnectionError) as caught:
        client.call("enrol_manual_enrol_users", {"enrolments": [{"roleid": 5, "userid": 41, "courseid": 12}]})
    assert caught.value.retryable and caught.value.request_sent
