"""Pairs as mentorships, milestones with deterministic ids, and feedback badges guarded by receipts."""

from __future__ import annotations

import pytest
from workday_fakes import PASSWORD, SOAP_HR, SOAP_LEARNING, SOAP_TALENT, envelope, fault, make_connection

from rm_plugin.connectors.workday import soap
from rm_plugin.connectors.workday.client import WorkdayFault
from rm_plugin.domain.records import Delivery
from rm_plugin.http import AuthenticationError, HostUnavailable, InvalidRequest, PermissionDenied

MENTORSHIP_OK = envelope(
    '<wd:Put_Mentorship_Event_Response><wd:Mentorship_Reference><wd:ID wd:type="WID">m-wid-1</wd:ID>'
    "</wd:Mentorship_Reference></wd:Put_Mentorship_Event_Response>"
)
PAIR = {
    "pair_id": 7,
    "programme": "rm-2026",
    "mentee": "21001",
    "mentor": "21044",
    "start": "2026-04-01",
    "end": "2026-09-30",
}


def sent(call):
    return soap.parse(call.request.body)


def test_enrol_puts_a_mentorship_with_the_junior_as_mentor(tmp_path, mocked):
    mocked.post(SOAP_TALENT, body=MENTORSHIP_OK, content_type="text/xml")
    connection = make_connection(tmp_path, {"mentor_type": "Reverse_Mentor"})
    receipt = connection.rm_enrol_pair(Delivery(1, "enrol:7", "workday", "enrol", PAIR))
    assert receipt.data == {"mentorship_id": "RM-PAIR-7", "wid": "m-wid-1"}
    data = soap.find(sent(mocked.calls[0]), "Mentorship_Data")
    assert soap.text(data, "ID") == "RM-PAIR-7"
    assert soap.ref_id(soap.find(data, "Mentor_Reference"), "Employee_ID") == "21044"
    assert soap.ref_id(soap.find(data, "Mentee_Reference"), "Employee_ID") == "21001"
    assert soap.ref_id(soap.find(data, "Mentor_Type_Reference"), "Mentor_Type_ID") == "Reverse_Mentor"
    assert (soap.text(data, "Mentorship_Start_Date"), soap.text(data, "Mentorship_End_Date")) == (
        "2026-04-01",
        "2026-09-30",
    )
    assert soap.find(data, "Mentorship_Reference") is None


def test_close_edits_the_same_mentorship_with_a_reason(tmp_path, mocked):
    mocked.post(SOAP_TALENT, body=MENTORSHIP_OK, content_type="text/xml")
    connection = make_connection(tmp_path, {"close_reason": "Programme_Ended"})
    connection.rm_close_pair(Delivery(2, "close:7", "workday", "close", {**PAIR, "reason": "completed"}))
    data = soap.find(sent(mocked.calls[0]), "Mentorship_Data")
    assert soap.ref_id(soap.find(data, "Mentorship_Reference"), "Mentorship_ID") == "RM-PAIR-7"
    reason = soap.find(data, "Close_Mentorship_Reason_Reference")
    assert soap.ref_id(reason, "Close_Mentorship_Reason_ID") == "Programme_Ended"


def milestone() -> Delivery:
    payload = {
        "programme": "rm-2026",
        "milestone": "agreement_signed",
        "person": "21044",
        "pair_id": 7,
        "reached_on": "2026-04-03",
    }
    return Delivery(3, "completion:x", "workday", "completion", payload)


def test_milestone_as_learning_enrollment_has_a_deterministic_id(tmp_path, mocked):
    ok = envelope(
        "<wd:Put_Learning_Enrollment_Response><wd:Learning_Enrollment_Reference>"
        '<wd:ID wd:type="WID">le-1</wd:ID></wd:Learning_Enrollment_Reference>'
        "</wd:Put_Learning_Enrollment_Response>"
    )
    mocked.post(SOAP_LEARNING, body=ok, content_type="text/xml")
    mocked.post(SOAP_LEARNING, body=ok, content_type="text/xml")
    connection = make_connection(
        tmp_path, {"milestones": "learning", "learning_content": {"agreement_signed": "RM_AGREEMENT"}}
    )
    first = connection.rm_record_milestone(milestone())
    again = connection.rm_record_milestone(milestone())
    assert first.data["id"] == again.data["id"] == "RM-rm-2026-agreement_signed-7-21044"
    data = soap.find(sent(mocked.calls[1]), "Learning_Enrollment_Data")
    assert soap.text(data, "ID") == "RM-rm-2026-agreement_signed-7-21044"
    assert soap.ref_id(soap.find(data, "Learning_Content_Reference"), "Learning_Course_ID") == "RM_AGREEMENT"
    assert soap.text(data, "Learning_Enrollment_Completion_Date") == "2026-04-03T00:00:00"


def test_milestone_as_talent_training(tmp_path, mocked):
    mocked.post(SOAP_TALENT, body=envelope("<wd:Manage_Training_Response/>"), content_type="text/xml")
    connection = make_connection(tmp_path, {"milestones": "training", "training_type": "Mentoring"})
    receipt = connection.rm_record_milestone(milestone())
    training = soap.find(sent(mocked.calls[0]), "Manage_Training_Data/Training/Training_Data")
    assert soap.text(training, "Training_ID") == receipt.data["training_id"]
    assert soap.text(training, "Completion_Date") == "2026-04-03"


def award(previous=None) -> Delivery:
    payload = {"programme": "rm-2026", "award": "mentor_recognised", "person": "21044", "pair_id": 7}
    return Delivery(4, "award:7", "workday", "award", payload, previous_receipt=previous)


def test_feedback_badge_is_given_once_and_a_stored_receipt_stops_a_repeat(tmp_path, mocked):
    mocked.post(
        SOAP_TALENT,
        body=envelope(
            '<wd:Give_Feedback_Response><wd:Give_Feedback_Event_Reference><wd:ID wd:type="WID">fb-9'
            "</wd:ID></wd:Give_Feedback_Event_Reference></wd:Give_Feedback_Response>"
        ),
        content_type="text/xml",
    )
    connection = make_connection(
        tmp_path, {"badges": {"mentor_recognised": "RM_Mentor"}, "feedback_from": "21001"}
    )
    receipt = connection.rm_award(award())
    data = soap.find(sent(mocked.calls[0]), "Give_Feedback_Data")
    assert soap.ref_id(soap.find(data, "Badge_Reference"), "Feedback_Badge_ID") == "RM_Mentor"
    assert soap.ref_id(soap.find(data, "To_Worker_Reference"), "Employee_ID") == "21044"
    assert soap.ref_id(soap.find(data, "From_Worker_Reference"), "Employee_ID") == "21001"
    rerun = connection.rm_award(award({"host_ref": receipt.host_ref, "event_wid": "fb-9"}))
    assert rerun.skipped and rerun.host_ref == "Give_Feedback fb-9"
    assert len(mocked.calls) == 1


def test_give_feedback_is_not_retried_after_a_server_fault(tmp_path, mocked):
    mocked.post(
        SOAP_TALENT,
        status=500,
        body=fault("SOAP-ENV:Server.processingError", "Internal error"),
        content_type="text/xml",
    )
    connection = make_connection(
        tmp_path, {"badges": {"mentor_recognised": "RM_Mentor"}, "feedback_from": "21001"}
    )
    with pytest.raises(HostUnavailable) as caught:
        connection.rm_award(award())
    assert caught.value.retryable and len(mocked.calls) == 1  # the outbox decides, not a blind repeat


@pytest.mark.parametrize(
    ("body", "cls", "text"),
    [
        (
            fault("SOAP-ENV:Client.authenticationError", "invalid username or password"),
            AuthenticationError,
            "workday: Human_Resources/Get_Workers failed: "
            "Client.authenticationError: invalid username or password",
        ),
        (
            fault(
                "SOAP-ENV:Server.processingError",
                "Processing error occurred.",
                "<wd:Processing_Fault><wd:Detail_Message>The task submitted is not authorized."
                "</wd:Detail_Message></wd:Processing_Fault>",
            ),
            PermissionDenied,
            "Processing error occurred.: The task submitted is not authorized. (Processing_Fault)",
        ),
        (
            fault(
                "SOAP-ENV:Client.validationError",
                "Validation error occurred.",
                "<wd:Validation_Fault><wd:Validation_Error><wd:Message>Invalid ID value. "
                "'99' is not a valid ID value for type = 'Employee_ID'</wd:Message>"
                "</wd:Validation_Error></wd:Validation_Fault>",
            ),
            InvalidRequest,
            "'99' is not a valid ID value for type = 'Employee_ID' (Validation_Fault)",
        ),
    ],
)
def test_soap_faults_become_one_clear_error_type(tmp_path, mocked, body, cls, text):
    mocked.post(SOAP_HR, status=500, body=body, content_type="text/xml")
    with pytest.raises(cls) as caught:
        make_connection(tmp_path, {"roster": "soap"}).fetch(None)
    assert isinstance(caught.value, WorkdayFault) and not caught.value.retryable
    assert text in str(caught.value) and "HTTP 500" in str(caught.value)
    assert PASSWORD not in str(caught.value)


def test_get_workers_is_retried_after_throttling(tmp_path, mocked):
    from workday_fakes import worker, workers_page

    waits: list[float] = []
    mocked.post(SOAP_HR, status=429, headers={"Retry-After": "4"})
    mocked.post(SOAP_HR, status=503)
    mocked.post(SOAP_HR, body=workers_page([worker("1", manager=None)], 1, 1), content_type="text/xml")
    batch = make_connection(tmp_path, {"roster": "soap"}, sleep=waits.append).fetch(None)
    assert "Individual_Contributor_3" in batch.problems[0].reason  # unmapped levels are named
    assert batch.records == ()
    assert waits[0] == 4.0 and len(waits) == 2
