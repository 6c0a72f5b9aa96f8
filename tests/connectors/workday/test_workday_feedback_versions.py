"""Give_Feedback's recipient element: the public schema's singular unless the config names the
plural, and `check` reads the tenant's own Talent WSDL to say which one it declares."""

from __future__ import annotations

import pytest
from workday_fakes import HOST, envelope, make_connection

from rm_plugin.connectors.workday import soap
from rm_plugin.domain.records import Delivery

GIVEN = envelope(
    '<wd:Give_Feedback_Response><wd:Give_Feedback_Event_Reference><wd:ID wd:type="WID">fb-1'
    "</wd:ID></wd:Give_Feedback_Event_Reference></wd:Give_Feedback_Response>"
)
BADGES = {
    "badges": {"mentor_recognised": "RM_Mentor"},
    "feedback_from": "21001",
    "mentorships": False,
    "roster": "none",
}
WSDL = f"{HOST}/ccx/service/acme/Talent/v42.2?wsdl"


def wsdl(recipient: str) -> str:
    """A minimal WSDL of our own making with Give_Feedback's data type (names only, as a tenant's has)."""
    return (
        '<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema"><wsdl:types><xsd:schema>'
        '<xsd:complexType name="Give_Feedback_Business_Process_DataType"><xsd:sequence>'
        f'<xsd:element name="From_Worker_Reference"/><xsd:element name="{recipient}"/>'
        "</xsd:sequence></xsd:complexType></xsd:schema></wsdl:types></wsdl:definitions>"
    )


@pytest.mark.parametrize(
    ("version", "override", "element"),
    [
        ("v30.1", None, "To_Worker_Reference"),  # the public Talent WSDL v30.1
        ("v28.0", None, "To_Worker_Reference"),
        ("v31.0", None, "To_Worker_Reference"),  # no public schema: the evidence's name
        ("v42.2", None, "To_Worker_Reference"),  # the default version
        ("v42.2", "To_Workers_Reference", "To_Workers_Reference"),  # a tenant whose WSDL says so
    ],
)
def test_the_recipient_element_is_singular_unless_configured(tmp_path, mocked, version, override, element):
    talent = f"{HOST}/ccx/service/acme/Talent/{version}"
    mocked.post(talent, body=GIVEN, content_type="text/xml")
    config = {**BADGES, "version": version}
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


def test_an_old_auto_setting_is_refused_with_the_choices(tmp_path):
    with pytest.raises(Exception, match="To_Worker_Reference, To_Workers_Reference"):
        make_connection(tmp_path, {**BADGES, "feedback_to_element": "auto"})


def serve_health(mocked) -> None:
    mocked.post(f"{HOST}/ccx/service/acme/Human_Resources/v42.2", body=envelope("<wd:Get_Workers_Response/>"))


def test_check_confirms_the_element_the_tenant_declares(tmp_path, mocked):
    serve_health(mocked)
    mocked.get(WSDL, body=wsdl("To_Worker_Reference"), content_type="text/xml")
    report = make_connection(tmp_path, BADGES).health()
    assert report.ok
    assert report.summary == (
        "(Workday tenant acme, v42.2); Give_Feedback sends To_Worker_Reference, as the tenant's "
        "Talent v42.2 WSDL names it"
    )


def test_check_names_a_tenant_whose_wsdl_says_otherwise(tmp_path, mocked):
    serve_health(mocked)
    mocked.get(WSDL, body=wsdl("To_Workers_Reference"), content_type="text/xml")
    report = make_connection(tmp_path, BADGES).health()
    assert report.problems == (
        "the tenant's Talent v42.2 WSDL names Give_Feedback's recipient To_Workers_Reference, but "
        'rm-plugin would send To_Worker_Reference: set feedback_to_element = "To_Workers_Reference" '
        "in connectors/workday.toml",
    )


def test_check_says_the_element_is_unverified_when_the_wsdl_cannot_be_read(tmp_path, mocked):
    serve_health(mocked)
    mocked.get(WSDL, status=401, body="Unauthorized", content_type="text/plain")
    report = make_connection(tmp_path, BADGES).health()
    assert report.ok  # a wrong name fails every send loudly; check says how to confirm it
    assert report.summary.startswith(
        "(Workday tenant acme, v42.2); Give_Feedback sends To_Worker_Reference, unverified for v42.2 "
        "(the public Talent schema ends at v30.1; the tenant's WSDL could not be read: "
    )
    assert report.summary.endswith(
        f"open {WSDL}, find To_Worker_Reference or To_Workers_Reference under Give_Feedback_Data and "
        "set feedback_to_element in connectors/workday.toml to that name"
    )


def test_check_at_a_version_with_a_public_schema_adds_no_note(tmp_path, mocked):
    mocked.post(f"{HOST}/ccx/service/acme/Human_Resources/v30.1", body=envelope("<wd:Get_Workers_Response/>"))
    mocked.get(f"{HOST}/ccx/service/acme/Talent/v30.1?wsdl", status=404, body="no", content_type="text/plain")
    report = make_connection(tmp_path, {**BADGES, "version": "v30.1"}).health()
    assert report.ok and report.summary == "(Workday tenant acme, v30.1)"
