"""A feedback badge is given at most once, even when a send fails in a way that may have worked.

The sync engine retries a row after a timeout or 5xx and passes the attempt number; from the
second attempt on the connector looks in Workday for the reference it wrote into the comment,
and when Workday cannot be asked it parks the row for a person to check.
"""

from __future__ import annotations

import pytest
from responses import matchers
from workday_fakes import OAUTH, REST, SOAP_HR, SOAP_TALENT, TOKEN, envelope, fault, make_connection

from rm_plugin.connectors.workday import soap
from rm_plugin.connectors.workday.feedback import FeedbackUnverified, reference
from rm_plugin.domain.records import Delivery
from rm_plugin.http import HostUnavailable

KEY = "award:rm-2026:7:mentor_recognised:21044"
TAG = reference(KEY)
WORKER_WID = "3aa5550b7fe348b98d7b5741afc65534"
BADGES = {
    "total": 1,
    "data": [{"id": "c4f7", "descriptor": "Reverse Mentor", "feedbackBadgeID": "RM_Mentor"}],
}
WORKERS = {"total": 1, "data": [{"id": WORKER_WID, "descriptor": "Jo Junior (21044)", "workerId": "21044"}]}
REST_CONFIG = {**OAUTH, "feedback": "rest", "badges": {"mentor_recognised": "RM_Mentor"}}
SOAP_CONFIG = {"mentorships": False, "badges": {"mentor_recognised": "RM_Mentor"}, "feedback_from": "21001"}
EVENTS = f"{REST}/workers/{WORKER_WID}/anytimeFeedbackEvents"
GIVEN = envelope(
    '<wd:Give_Feedback_Response><wd:Give_Feedback_Event_Reference><wd:ID wd:type="WID">fb-9'
    "</wd:ID></wd:Give_Feedback_Event_Reference></wd:Give_Feedback_Response>"
)


def award(attempt: int) -> Delivery:
    payload = {"programme": "rm-2026", "award": "mentor_recognised", "person": "21044", "pair_id": 7}
    return Delivery(4, KEY, "workday", "award", payload, attempt=attempt)


def event(comment: str, eid: str) -> dict:
    return {"id": eid, "descriptor": "Feedback", "comment": comment, "badge": {"id": "c4f7"}}


def posts(mocked, url: str) -> int:
    return sum(1 for c in mocked.calls if c.request.method == "POST" and c.request.url == url)


# --- REST ----------------------------------------------------------------------------------


def serve_lookups(mocked) -> None:
    mocked.post(TOKEN, json={"access_token": "access-1", "token_type": "Bearer", "expires_in": 3600})
    mocked.get(f"{REST}/workers", json=WORKERS)


def test_rest_a_retry_after_a_failed_send_finds_the_earlier_feedback_and_sends_nothing(tmp_path, mocked):
    serve_lookups(mocked)
    mocked.get(f"{REST}/feedbackBadges", json=BADGES)
    mocked.post(EVENTS, status=504, json={"error": "Gateway timeout"})  # Workday did take it
    connection = make_connection(tmp_path, REST_CONFIG)
    with pytest.raises(HostUnavailable) as caught:
        connection.rm_award(award(1))
    assert caught.value.retryable  # the engine will try again later
    sent_comment = mocked.calls[-1].request.body
    assert f"[{TAG}]".encode() in sent_comment

    mocked.get(
        EVENTS,
        json={"total": 2, "data": [event("Great work", "fe-1"), event(f"Recognised ... [{TAG}]", "fe-2")]},
        match=[matchers.query_param_matcher({"offset": "0", "limit": "100"})],
    )
    receipt = connection.rm_award(award(2))
    assert receipt.skipped and receipt.host_ref == "anytimeFeedbackEvent fe-2"
    assert receipt.data["found_on_workday"] is True and receipt.data["reference"] == TAG
    assert posts(mocked, EVENTS) == 1


def test_rest_a_retry_that_finds_nothing_sends_once(tmp_path, mocked):
    serve_lookups(mocked)
    mocked.get(EVENTS, json={"total": 1, "data": [event("[rm-someotherdelivery0]", "fe-1")]})
    mocked.get(f"{REST}/feedbackBadges", json=BADGES)
    mocked.post(EVENTS, status=201, json={"id": "fe-3"})
    receipt = make_connection(tmp_path, REST_CONFIG).rm_award(award(2))
    assert not receipt.skipped and receipt.host_ref == "anytimeFeedbackEvent fe-3"
    assert posts(mocked, EVENTS) == 1


def test_rest_when_the_events_cannot_be_read_the_row_is_parked_for_a_person(tmp_path, mocked):
    serve_lookups(mocked)
    mocked.get(EVENTS, status=403, json={"error": "The task submitted is not authorized."})
    with pytest.raises(FeedbackUnverified) as caught:
        make_connection(tmp_path, REST_CONFIG).rm_award(award(2))
    assert not caught.value.retryable
    text = str(caught.value)
    assert "an earlier try may have given this feedback and Workday could not be checked" in text
    assert "not authorized" in text
    assert (
        f"Check in Workday whether worker 21044 already received feedback whose comment ends with [{TAG}]"
        in (text)
    )
    assert "mark this row done; if not, requeue it" in text
    assert posts(mocked, EVENTS) == 0


def test_rest_a_passing_failure_of_the_look_up_is_retried_later_and_sends_nothing(tmp_path, mocked):
    serve_lookups(mocked)
    for _ in range(4):  # the client's own retries of an idempotent GET
        mocked.get(EVENTS, status=503, json={"error": "Service unavailable"})
    with pytest.raises(HostUnavailable) as caught:
        make_connection(tmp_path, REST_CONFIG).rm_award(award(3))
    assert caught.value.retryable and not isinstance(caught.value, FeedbackUnverified)
    assert posts(mocked, EVENTS) == 0


# --- SOAP ----------------------------------------------------------------------------------


def workers_with_feedback(*comments: str) -> str:
    received = "".join(
        "<wd:Feedback_Received><wd:From>Pat Senior</wd:From><wd:Feedback_Type>Anytime Feedback"
        "</wd:Feedback_Type><wd:Date>2026-03-09-07:00</wd:Date><wd:Feedback_Response_Data>"
        f"<wd:Feedback_Comment>{c}</wd:Feedback_Comment></wd:Feedback_Response_Data>"
        "</wd:Feedback_Received>"
        for c in comments
    )
    return envelope(
        "<wd:Get_Workers_Response><wd:Response_Data><wd:Worker><wd:Worker_Reference>"
        '<wd:ID wd:type="Employee_ID">21044</wd:ID></wd:Worker_Reference><wd:Worker_Data>'
        f"<wd:Worker_ID>21044</wd:Worker_ID><wd:Feedback_Received_Data>{received}"
        "</wd:Feedback_Received_Data></wd:Worker_Data></wd:Worker></wd:Response_Data>"
        "</wd:Get_Workers_Response>"
    )


def test_soap_a_retry_finds_the_earlier_feedback_through_get_workers(tmp_path, mocked):
    mocked.post(SOAP_TALENT, status=500, body=fault("SOAP-ENV:Server.processingError", "Internal error"))
    connection = make_connection(tmp_path, SOAP_CONFIG)
    with pytest.raises(HostUnavailable):
        connection.rm_award(award(1))
    comment = soap.text(soap.parse(mocked.calls[0].request.body), "Give_Feedback_Data/Comment")
    assert comment.endswith(f"[{TAG}]")

    mocked.post(SOAP_HR, body=workers_with_feedback("Thanks!", comment), content_type="text/xml")
    receipt = connection.rm_award(award(2))
    assert receipt.skipped and receipt.data["found_on_workday"] is True
    assert receipt.data["received_on"] == "2026-03-09-07:00"
    asked = soap.parse(mocked.calls[1].request.body)
    assert soap.ref_id(soap.find(asked, "Request_References/Worker_Reference"), "Employee_ID") == "21044"
    assert soap.text(asked, "Response_Group/Include_Feedback_Received") == "true"
    assert posts(mocked, SOAP_TALENT) == 1


def test_soap_a_retry_that_finds_nothing_gives_the_feedback(tmp_path, mocked):
    mocked.post(
        SOAP_HR, body=workers_with_feedback("Thanks! [rm-someotherdelivery0]"), content_type="text/xml"
    )
    mocked.post(SOAP_TALENT, body=GIVEN, content_type="text/xml")
    receipt = make_connection(tmp_path, SOAP_CONFIG).rm_award(award(2))
    assert not receipt.skipped and receipt.host_ref == "Give_Feedback fb-9"
    assert posts(mocked, SOAP_TALENT) == 1


def test_soap_when_feedback_cannot_be_read_the_row_is_parked(tmp_path, mocked):
    denied = fault(
        "SOAP-ENV:Server.processingError",
        "Processing error occurred.",
        "<wd:Processing_Fault><wd:Detail_Message>The task submitted is not authorized."
        "</wd:Detail_Message></wd:Processing_Fault>",
    )
    mocked.post(SOAP_HR, status=500, body=denied, content_type="text/xml")
    with pytest.raises(FeedbackUnverified) as caught:
        make_connection(tmp_path, SOAP_CONFIG).rm_award(award(2))
    assert not caught.value.retryable
    assert "Human_Resources/Get_Workers (Include_Feedback_Received) failed" in str(caught.value)
    assert f"[{TAG}]" in str(caught.value)
    assert posts(mocked, SOAP_TALENT) == 0


def test_soap_without_checks_an_uncertain_send_is_parked_and_a_requeue_sends(tmp_path, mocked):
    mocked.post(SOAP_TALENT, status=500, body=fault("SOAP-ENV:Server.processingError", "Internal error"))
    connection = make_connection(tmp_path, {**SOAP_CONFIG, "feedback_check": False})
    with pytest.raises(FeedbackUnverified) as caught:
        connection.rm_award(award(1))
    assert not caught.value.retryable
    assert "the feedback may have been given although the call failed" in str(caught.value)
    assert "feedback_check = false in connectors/workday.toml" in str(caught.value)
    # A person looked, found nothing and requeued the row: it comes back as attempt 2 and is sent.
    mocked.post(SOAP_TALENT, body=GIVEN, content_type="text/xml")
    assert connection.rm_award(award(2)).host_ref == "Give_Feedback fb-9"
    assert posts(mocked, SOAP_TALENT) == 2 and posts(mocked, SOAP_HR) == 0
