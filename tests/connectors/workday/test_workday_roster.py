"""The Workday roster: a RaaS report, or Get_Workers pages to the end and incremental by transaction log."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

from responses import matchers
from workday_fakes import PASSWORD, RAAS, SOAP_HR, make_connection, worker, workers_page

from rm_plugin.connectors.workday import soap

LEVELS = {"Individual_Contributor_3": 3, "Director": 8, "Executive": 10}


def row(eid: str, **over: str) -> dict[str, str]:
    base = {
        "Employee_ID": eid,
        "Work_Email": f"w{eid}@acme.example",
        "First_Name": f"First{eid}",
        "Last_Name": f"Last{eid}",
        "Job_Level": "3",
        "Business_Title": "Analyst",
        "Supervisory_Organization": "Finance Ops",
        "Manager_Employee_ID": "21001",
        "Location": "Berlin",
        "Hire_Date": "2019-05-01",
        "Active": "1",
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def test_raas_report_is_one_call_with_mapped_columns(tmp_path, mocked):
    call = mocked.get(
        RAAS,
        json={
            "Report_Entry": [
                row("21001", Manager_Employee_ID="", Level="10", Job_Level="10"),
                row("21002", Work_Email_Address="x", Job_Level="Director"),
                row("21003", Active="0", Termination_Date="2026-02-28"),
                row("21004", Work_Email=""),
                row("21005", Hire_Date="May 2019"),
            ]
        },
        match=[matchers.query_param_matcher({"format": "json"})],
    )
    batch = make_connection(tmp_path, {"job_levels": LEVELS}).fetch(None)
    assert batch.complete and batch.cursor is None
    people = {p.hr_id: p for p in batch.records}
    assert sorted(people) == ["21001", "21002", "21003"]
    assert (people["21002"].job_level, people["21002"].manager_hr_id) == (8, "21001")
    assert people["21003"].status == "left" and str(people["21003"].termination_date) == "2026-02-28"
    assert [(p.where, p.reason) for p in batch.problems] == [
        ("Report_Entry[3]", "no work email"),
        ("Report_Entry[4]", "hire date 'May 2019' is not a date (YYYY-MM-DD)"),
    ]
    auth = call.calls[0].request.headers["Authorization"]
    assert base64.b64decode(auth.split()[1]).decode() == f"ISU_RM:{PASSWORD}"


def test_report_columns_can_be_renamed(tmp_path, mocked):
    mocked.get(RAAS, json={"Report_Entry": [{"Worker": "9", "Email_-_Primary_Work": "a@acme.example"}]})
    batch = make_connection(
        tmp_path, {"columns": {"hr_id": "Worker", "email": "Email_-_Primary_Work"}}
    ).fetch(None)
    assert [(p.hr_id, p.email) for p in batch.records] == [("9", "a@acme.example")]


def _request_of(call) -> ET.Element:
    return soap.parse(call.request.body)


def test_get_workers_walks_every_page_with_a_fixed_as_of_time(tmp_path, mocked):
    pages = [
        [worker("21001", manager=None, level="Executive"), worker("21002", level="Director")],
        [worker("21003", active="0", termination="2026-01-31-08:00")],
        [worker("21004", email="not-an-email")],
    ]
    for number, workers in enumerate(pages, start=1):
        mocked.post(SOAP_HR, body=workers_page(workers, number, 3), content_type="text/xml")
    connection = make_connection(tmp_path, {"roster": "soap", "job_levels": LEVELS})
    batch = connection.fetch(None)

    assert batch.complete and batch.cursor == "2026-03-10T09:00:00+00:00"
    people = {p.hr_id: p for p in batch.records}
    assert sorted(people) == ["21001", "21002", "21003"]
    top, director, leaver = people["21001"], people["21002"], people["21003"]
    assert (top.job_level, top.manager_hr_id, top.email) == (10, None, "w21001@acme.example")
    assert (director.department, director.location, director.title) == ("Finance Ops", "Berlin", "Analyst")
    assert str(director.hire_date) == "2019-05-01"
    assert leaver.status == "left" and str(leaver.termination_date) == "2026-01-31"
    assert [str(p) for p in batch.problems] == [
        "workday: Worker 21004 (21004): work email 'not-an-email' is not an email address"
    ]
    requests_sent = [_request_of(c) for c in mocked.calls]
    assert [soap.text(r, "Response_Filter/Page") for r in requests_sent] == ["1", "2", "3"]
    assert {soap.text(r, "Response_Filter/As_Of_Entry_DateTime") for r in requests_sent} == {
        "2026-03-10T09:00:00+00:00"
    }
    assert soap.text(requests_sent[0], "Response_Filter/Count") == "999"
    assert soap.text(requests_sent[0], "Response_Group/Include_Management_Chain_Data") == "true"
    assert soap.find(requests_sent[0], "Request_Criteria/Transaction_Log_Criteria_Data") is None
    raw = mocked.calls[0].request.body.decode()
    assert "<wsse:Username>ISU_RM@acme</wsse:Username>" in raw and PASSWORD in raw
    assert mocked.calls[0].request.headers["Content-Type"] == 'text/xml; charset="utf-8"'


def test_incremental_get_workers_asks_for_the_transaction_log_window(tmp_path, mocked):
    mocked.post(SOAP_HR, body=workers_page([worker("21002")], 1, 1), content_type="text/xml")
    batch = make_connection(tmp_path, {"roster": "soap", "job_levels": LEVELS}).fetch(
        "2026-03-09T09:00:00+00:00"
    )
    assert not batch.complete and [p.hr_id for p in batch.records] == ["21002"]
    window = soap.find(
        _request_of(mocked.calls[0]),
        "Request_Criteria/Transaction_Log_Criteria_Data/Transaction_Date_Range_Data",
    )
    assert soap.text(window, "Updated_From") == "2026-03-09T09:00:00+00:00"
    assert soap.text(window, "Updated_Through") == "2026-03-10T09:00:00+00:00"
