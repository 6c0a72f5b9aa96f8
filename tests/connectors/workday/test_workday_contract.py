"""Workday's public schemas judge the SOAP messages: the checker catches a bad envelope, every
operation the connector sends conforms (business-process parameters included), and the stand-in's
Get_Workers answers carry what the v31.2 types require.

Every ``responses``-served test in this folder is checked the same way by the ``mocked`` fixture.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from standin_server import served, standin
from workday_fakes import SOAP_LEARNING, SOAP_TALENT, envelope, make_connection
from wsdl_expectations import GIVE_FEEDBACK, check, check_calls, check_message

from rm_plugin.connections import ConnectionContext
from rm_plugin.connectors.workday import WorkdayConfig, WorkdayConnection, soap
from rm_plugin.domain.records import Delivery


def test_a_bad_give_feedback_envelope_is_caught():
    """Comment before the badge, no recipient, an unknown element and a wrong ID type."""
    body = ET.fromstring(
        '<wd:Give_Feedback_Request xmlns:wd="urn:com.workday/bsvc"><wd:Give_Feedback_Data>'
        '<wd:From_Worker_Reference><wd:ID wd:type="Username">jo</wd:ID></wd:From_Worker_Reference>'
        "<wd:Comment>Thanks</wd:Comment>"
        '<wd:Badge_Reference><wd:ID wd:type="Feedback_Badge_ID">RM</wd:ID></wd:Badge_Reference>'
        "<wd:Feedback_Badge_Reference/><wd:Show_Name>yes</wd:Show_Name>"
        "</wd:Give_Feedback_Data></wd:Give_Feedback_Request>"
    )
    assert check(body, GIVE_FEEDBACK) == [
        "Give_Feedback_Request/Give_Feedback_Data/From_Worker_Reference/ID: type 'Username' is not one "
        "of WID, Contingent_Worker_ID, Employee_ID",
        "Give_Feedback_Request/Give_Feedback_Data/Badge_Reference: out of order (the schema puts it "
        "before Comment)",
        "Give_Feedback_Request/Give_Feedback_Data/Feedback_Badge_Reference: not an element of "
        "Give_Feedback_Data in the public schema",
        "Give_Feedback_Request/Give_Feedback_Data/Show_Name: 'yes' is not a bool",
        "Give_Feedback_Request/Give_Feedback_Data: To_Worker_Reference is required",
    ]


PAIR = {"pair_id": 7, "programme": "rm-2026", "mentee": "21001", "mentor": "21044", "start": "2026-04-01"}
MILESTONE = {"programme": "rm-2026", "milestone": "agreement_signed", "person": "21044", "pair_id": 7}


def test_every_operation_the_connector_sends_conforms(tmp_path, mocked):
    config: dict[str, Any] = {
        "auto_complete": True,
        "mentor_type": "Reverse_Mentor",
        "close_reason": "Programme_Ended",
        "badges": {"mentor_recognised": "RM_Mentor"},
        "feedback_from": "21001",
    }
    for body in (
        "<wd:Put_Mentorship_Event_Response/>",
        "<wd:Put_Mentorship_Event_Response/>",
        "<wd:Manage_Training_Response/>",
        "<wd:Give_Feedback_Response/>",
    ):
        mocked.post(SOAP_TALENT, body=envelope(body), content_type="text/xml")
    mocked.post(
        SOAP_LEARNING, body=envelope("<wd:Put_Learning_Enrollment_Response/>"), content_type="text/xml"
    )
    training = make_connection(tmp_path, {**config, "milestones": "training", "training_type": "Mentoring"})
    training.rm_enrol_pair(Delivery(1, "e", "workday", "enrol", PAIR))
    training.rm_close_pair(Delivery(2, "c", "workday", "close", {**PAIR, "end": "2026-09-30"}))
    training.rm_record_milestone(Delivery(3, "m", "workday", "completion", MILESTONE))
    award = {"programme": "rm-2026", "award": "mentor_recognised", "person": "21044", "pair_id": 7}
    training.rm_award(Delivery(4, "a", "workday", "award", award))
    learning = make_connection(
        tmp_path, {"milestones": "learning", "learning_content": {"agreement_signed": "RM_AGREEMENT"}}
    )
    learning.rm_record_milestone(Delivery(5, "m2", "workday", "completion", MILESTONE))
    sent = [soap.parse(c.request.body).tag.rsplit("}", 1)[-1] for c in mocked.calls]
    assert sent == [
        "Put_Mentorship_Request",
        "Put_Mentorship_Request",
        "Manage_Training_Request",
        "Give_Feedback_Request",
        "Put_Learning_Enrollment_Request",
    ]
    assert (
        soap.find(soap.parse(mocked.calls[0].request.body), "Business_Process_Parameters/Auto_Complete")
        is not None
    )
    assert check_calls(mocked.calls) == []


class _Recorded:
    """The stand-in, keeping each SOAP request and answer for the test to check."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.exchanges: list[tuple[bytes, bytes]] = []

    def __call__(self, environ: dict[str, Any], start: Any) -> list[bytes]:
        from io import BytesIO

        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = BytesIO(body)
        answer = b"".join(self.app(environ, start))
        self.exchanges.append((body, answer))
        return [answer]


def test_the_standins_get_workers_answers_as_the_schema_says(tmp_path):
    people = standin("org").sample()[:30]
    app = _Recorded(standin("workday").WorkdayStandIn(people))
    with served(app) as base:
        config = WorkdayConfig().load(
            {
                "host": base,
                "tenant": "standin",
                "roster": "soap",
                "soap_user": "ISU",
                "soap_password": "standin",
                "page_size": 12,
                "job_levels": {str(n): n for n in range(1, 11)},
            }
        )
        context = ConnectionContext("workday", tmp_path / "workday.toml", tmp_path, tmp_path)
        batch = WorkdayConnection(context, config).fetch(None)
    assert len(app.exchanges) == 3 and len(batch.records) == 30
    problems = [
        line
        for request, answer in app.exchanges
        for line in check_message("Human_Resources", request) + check_message("Human_Resources", answer)
    ]
    assert problems == []
