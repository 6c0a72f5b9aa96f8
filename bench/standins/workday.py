"""A local stand-in of the Workday calls rm-plugin makes, as a WSGI app.

Run ``python bench/standins/workday.py --port 8766`` (the sample organisation; ``--size 10000`` for a
synthetic one), then point ``connectors/workday.toml`` at it: ``host = "http://127.0.0.1:8766"``,
``tenant = "standin"``, any ``soap_user``/``soap_password`` and, for the report route,
``raas_owner = "ISU"``, ``raas_report = "RM_Workers"`` with any ``raas_user``/``raas_password``.
It answers SOAP ``Human_Resources/Get_Workers`` (pages, fixed as-of time, transaction-log window)
with the members the public v31.2 types require (the tests check its answers against them), and the
RaaS report in JSON, in the shapes of host-apis §3.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[2])]
from org import Employee, sample, synthetic  # noqa: E402

from rm_plugin.connectors.workday import soap  # noqa: E402

Start = Callable[[str, list[tuple[str, str]]], Any]
E = soap.q
#: The country of each sample location (Name_Detail_Data requires a Country_Reference).
COUNTRY = {"London": "GB", "Berlin": "DE", "New York": "US", "Singapore": "SG", "Toronto": "CA"}


def _org_id(name: str) -> str:
    return "SUP-" + "".join(c if c.isalnum() else "_" for c in name.upper())


def _worker(person: Employee, number_of: dict[int, str]) -> ET.Element:
    worker = ET.Element(E("Worker"))
    soap.add_ref(worker, "Worker_Reference", "Employee_ID", person.number)
    data = soap.add(worker, "Worker_Data")
    soap.add(data, "Worker_ID", person.number)
    personal = soap.add(data, "Personal_Data")
    name = soap.add(soap.add(soap.add(personal, "Name_Data"), "Legal_Name_Data"), "Name_Detail_Data")
    soap.add_ref(name, "Country_Reference", "ISO_3166-1_Alpha-2_Code", COUNTRY.get(person.location, "US"))
    soap.add(name, "First_Name", person.first)
    soap.add(name, "Last_Name", person.last)
    email = soap.add(soap.add(personal, "Contact_Data"), "Email_Address_Data")
    soap.add(email, "Email_Address", person.email)
    usage = soap.add(soap.add(email, "Usage_Data"), "Type_Data")
    soap.add_ref(usage, "Type_Reference", "Communication_Usage_Type_ID", "WORK")
    employment = soap.add(data, "Employment_Data")
    job = soap.add(employment, "Worker_Job_Data")
    job.set(E("Primary_Job"), "1")
    position = soap.add(job, "Position_Data")
    soap.add(position, "Business_Title", person.title)
    summary = soap.add(position, "Job_Profile_Summary_Data")
    soap.add_ref(summary, "Management_Level_Reference", "Management_Level_ID", str(person.level))
    soap.add(soap.add(position, "Business_Site_Summary_Data"), "Name", person.location)
    if person.manager:
        soap.add_ref(
            position,
            "Manager_as_of_last_detected_manager_change_Reference",
            "Employee_ID",
            number_of[person.manager],
        )
    status = soap.add(employment, "Worker_Status_Data")
    soap.add(status, "Active", "0" if person.terminated else "1")
    soap.add(status, "Hire_Date", person.hired)
    if person.terminated:
        soap.add(status, "Termination_Date", person.terminated)
    membership = soap.add(soap.add(data, "Organization_Data"), "Worker_Organization_Data")
    soap.add_ref(
        membership, "Organization_Reference", "Organization_Reference_ID", _org_id(person.department)
    )
    org = soap.add(membership, "Organization_Data")
    soap.add(org, "Organization_Name", person.department)
    soap.add_ref(org, "Organization_Type_Reference", "Organization_Type_ID", "Supervisory")
    return worker


class WorkdayStandIn:
    def __init__(self, people: list[Employee]) -> None:
        self.people = people
        self.number_of = {p.id: p.number for p in people}
        self.requests = 0

    def __call__(self, environ: dict[str, Any], start: Start) -> Iterable[bytes]:
        self.requests += 1
        path = environ["PATH_INFO"]
        if environ["REQUEST_METHOD"] == "GET" and "/customreport2/" in path:
            if not environ.get("HTTP_AUTHORIZATION"):
                start("401 Unauthorized", [("Content-Type", "text/plain")])
                return [b"Unauthorized"]
            rows = [self._row(p) for p in self.people]
            start("200 OK", [("Content-Type", "application/json")])
            return [json.dumps({"Report_Entry": rows}).encode()]
        if path.endswith("/Human_Resources/" + path.rsplit("/", 1)[-1]) and "/Human_Resources/" in path:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            return self._get_workers(soap.parse(body), start)
        start("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no such service"]

    def _row(self, p: Employee) -> dict[str, str]:
        return {
            "Employee_ID": p.number,
            "Work_Email": p.email,
            "First_Name": p.first,
            "Last_Name": p.last,
            "Job_Level": str(p.level),
            "Business_Title": p.title,
            "Supervisory_Organization": p.department,
            "Manager_Employee_ID": self.number_of.get(p.manager or 0, ""),
            "Location": p.location,
            "Hire_Date": p.hired,
            "Termination_Date": p.terminated,
            "Active": "0" if p.terminated else "1",
        }

    def _get_workers(self, request: ET.Element, start: Start) -> list[bytes]:
        people = self.people
        since = soap.text(
            request, "Request_Criteria/Transaction_Log_Criteria_Data/Transaction_Date_Range_Data/Updated_From"
        )
        if since:
            cutoff = dt.datetime.fromisoformat(since)
            people = [p for p in people if p.changed > cutoff]
        page = int(soap.text(request, "Response_Filter/Page") or 1)
        count = int(soap.text(request, "Response_Filter/Count") or 100)
        total_pages = max(1, -(-len(people) // count))
        response = ET.Element(E("Get_Workers_Response"))
        results = soap.add(response, "Response_Results")
        chunk = people[(page - 1) * count : page * count]
        for name, value in (
            ("Total_Results", len(people)),
            ("Total_Pages", total_pages),
            ("Page_Results", len(chunk)),
            ("Page", page),
        ):
            soap.add(results, name, value)
        data = soap.add(response, "Response_Data")
        for person in chunk:
            data.append(_worker(person, self.number_of))
        root = ET.Element(f"{{{soap.SOAP_ENV}}}Envelope")
        ET.SubElement(root, f"{{{soap.SOAP_ENV}}}Body").append(response)
        start("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
        return [ET.tostring(root, encoding="utf-8", xml_declaration=True)]


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--size", type=int, default=0, help="a synthetic organisation of this many people")
    args = parser.parse_args()
    app = WorkdayStandIn(synthetic(args.size) if args.size else sample())
    print(f"Workday stand-in with {len(app.people)} workers on http://127.0.0.1:{args.port}")
    make_server("127.0.0.1", args.port, app, handler_class=_Quiet).serve_forever()


if __name__ == "__main__":
    main()
