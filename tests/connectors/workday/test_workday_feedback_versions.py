"""Give_Feedback names its recipient by the tenant's WSDL version, or as the config says."""

from __future__ import annotations

import pytest
from workday_fakes import HOST, envelope, make_connection

from rm_plugin.connectors.workday import soap
from rm_plugin.domain.records import Delivery

GIVEN = envelope(
    '<wd:Give_Feedback_Response><wd:Give_Feedback_Event_Reference><wd:ID wd:type="WID">fb-1'
    "</wd:ID></wd:Give_Feedback_Event_Reference></wd:Give_Feedback_Response>"
)


@pytest.mark.parametrize(
    ("version", "override", "element"),
    [
        ("v30.1", None, "To_Worker_Reference"),  # the Talent WSDL v30.1
        ("v28.0", None, "To_Worker_Reference"),
        ("v31.0", None, "To_Workers_Reference"),
        ("v42.2", None, "To_Workers_Reference"),  # the default version
        ("v42.2", "To_Worker_Reference", "To_Worker_Reference"),  # a tenant that says otherwise
        ("v30.1", "To_Workers_Reference", "To_Workers_Reference"),
    ],
)
def test_the_recipient_element_follows_the_version(tmp_path, mocked, version, override, element):
    talent = f"{HOST}/ccx/service/acme/Talent/{version}"
    mocked.post(talent, body=GIVEN, content_type="text/xml")
    config = {"version": version, "badges": {"mentor_recognised": "RM_Mentor"}, "feedback_from": "21001"}
    if override:
        config["feedback_to_element"] = override
    payload = {"programme": "rm-2026", "award": "mentor_recognised", "person": "21044", "pair_id": 7}
    make_connection(tmp_path, config).rm_award(Delivery(4, "award:7", "workday", "award", payload))
    request = soap.parse(mocked.calls[0].request.body)
    assert request.get(soap.q("version")) == version
    data = soap.find(request, "Give_Feedback_Data")
    assert soap.ref_id(soap.find(data, element), "Employee_ID") == "21044"
    other = {"To_Worker_Reference", "To_Workers_Reference"} - {element}
    assert soap.find(data, other.pop()) is None
