"""A site whose roster comes from BambooHR, then from Workday, driven only through the command line.

The hosts are replayed with ``responses`` in the shapes their APIs document (host-apis §2, §3):
``rm-plugin check`` is green, then red with one clear line per broken thing; ``people sync``
imports, a rerun changes nothing, and a leaver is marked as left.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from bamboo_contract import assert_conforms
from click.testing import CliRunner
from sqlalchemy import select

from rm_plugin.cli import build_cli
from rm_plugin.site import Site
from rm_plugin.store.models import Person

BAMBOO = "https://acme.bamboohr.com"
API_KEY = "bhr-e2e-key-0123456789"
WORKDAY = "https://wd2-impl-services1.workday.com"
WD_PASSWORD = "wd-e2e-pa55word"
RAAS = f"{WORKDAY}/ccx/service/customreport2/acme/ISU_RM/RM_Workers"
META_FIELDS = [
    {"id": 1, "name": "First Name", "type": "text", "alias": "firstName"},
    {"id": 4021, "name": "Job Level", "type": "list"},
]


def run(site: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_cli(), ["--site", str(site), *args])
    return result.exit_code, result.output


def problems(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("problem:")]


def stored(site_root: Path) -> dict[str, Person]:
    site = Site.load(site_root, load_entrypoints=False)
    try:
        with site.database.transaction() as session:
            return {p.hr_id: p for p in session.scalars(select(Person))}
    finally:
        site.close()


@pytest.fixture
def hosts() -> Iterator[responses.RequestsMock]:
    """Both hosts replayed; every BambooHR exchange is checked against BambooHR's OpenAPI spec."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps
        assert_conforms(rsps.calls, host=BAMBOO)


# --- BambooHR --------------------------------------------------------------------------------


def employee(eid: int, manager: int | None, **over: Any) -> dict[str, Any]:
    """A list-employees item: what GET /api/v1/employees offers, ids as strings."""
    base = {
        "employeeId": str(eid),
        "firstName": f"Given{eid}",
        "lastName": f"Family{eid}",
        "preferredName": None,
        "photoUrl": None,
        "jobTitleName": "Engineer",
        "status": "Active",
        "_restrictedFields": [],
        "workEmail": f"person{eid}@acme.example",
        "departmentName": "Engineering",
        "divisionName": "Product",
        "locationName": "London",
        "reportsToId": None if manager is None else str(manager),
        "hireDate": "2020-01-15",
    }
    base.update(over)
    return base


LEVELS = {1: "10", 2: "7", 3: "2", 4: "3"}
ROSTER = [employee(1, None), employee(2, 1), employee(3, 2), employee(4, 2)]
BAMBOO_REPORT = f"{BAMBOO}/api/v1/reports/custom"


def employees_page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "data": items,
        "meta": {"total": len(items), "page": {"limit": 100, "nextCursor": None, "prevCursor": None}},
        "_links": {"self": {"href": f"{BAMBOO}/api/v1/employees"}},
    }


def extra_fields(termination: dict[int, str] | None = None) -> dict[str, Any]:
    """The custom report with what the list does not offer: termination dates and the level."""
    left = termination or {}
    rows = [
        {"id": str(eid), "terminationDate": left.get(eid, "0000-00-00"), "4021": level}
        for eid, level in LEVELS.items()
    ]
    fields = [{"id": f, "type": "text", "name": f} for f in ("terminationDate", "4021")]
    return {"title": "rm-plugin roster", "fields": fields, "employees": rows}


@pytest.fixture
def bamboo_site(site_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BAMBOOHR_TOKEN", API_KEY)
    connectors = site_root / "connectors"
    (connectors / "csv.toml").write_text('type = "csv"\nenabled = false\nsample = true\n')
    (connectors / "bamboohr.toml").write_text(
        'type = "bamboohr"\nenabled = true\ncompany = "acme"\naccess_token = "${BAMBOOHR_TOKEN}"\n'
        'job_level_field = "Job Level"\n'
    )
    return site_root


def test_bamboohr_site_checks_then_syncs(bamboo_site: Path, hosts: responses.RequestsMock) -> None:
    hosts.get(f"{BAMBOO}/api/v1/employees", json=employees_page(ROSTER))
    hosts.get(f"{BAMBOO}/api/v1/meta/fields", json=META_FIELDS)
    hosts.post(BAMBOO_REPORT, json=extra_fields())

    code, out = run(bamboo_site, "check")
    assert code == 0, out
    assert "bamboohr: ok (BambooHR acme)" in out and "all checks passed" in out

    code, out = run(bamboo_site, "people", "sync")
    assert code == 0, out
    assert "people: 4 created, 0 updated, 0 unchanged, 0 marked as left; 0 record(s) skipped" in out
    people = stored(bamboo_site)
    assert {hr_id: (p.job_level, p.manager_hr_id) for hr_id, p in people.items()} == {
        "1": (10, None),
        "2": (7, "1"),
        "3": (2, "2"),
        "4": (3, "2"),
    }
    # The list for what it offers (fields exploded), one report for the level and leave dates.
    listed, reported = hosts.calls[-2].request, hosts.calls[-1].request
    assert "fields=workEmail&fields=departmentName" in listed.url and "4021" not in listed.url
    assert listed.headers["Accept"] == "application/json"
    assert json.loads(reported.body)["fields"] == ["terminationDate", "4021"]

    # The rerun asks only for what changed since the stored cursor: nothing.
    hosts.get(
        f"{BAMBOO}/api/v1/employees/changed", json={"latest": "2026-03-10T09:00:00+00:00", "employees": {}}
    )
    before = len(hosts.calls)
    code, out = run(bamboo_site, "people", "sync")
    assert code == 0, out
    assert "people: 0 created, 0 updated, 0 unchanged, 0 marked as left" in out
    assert [c.request.method + " " + c.request.path_url.split("?")[0] for c in hosts.calls[before:]] == [
        "GET /api/v1/meta/fields",
        "GET /api/v1/employees/changed",
    ]
    assert stored(bamboo_site).keys() == people.keys()

    # Employee 4 leaves: the change feed names them and their record says so.
    hosts.upsert(
        responses.GET,
        f"{BAMBOO}/api/v1/employees/changed",
        json={
            "latest": "2026-03-11T09:00:00+00:00",
            "employees": {"4": {"id": "4", "action": "Updated", "lastChanged": "2026-03-11T08:00:00+00:00"}},
        },
    )
    hosts.upsert(
        responses.GET, f"{BAMBOO}/api/v1/employees", json=employees_page([employee(4, 2, status="Inactive")])
    )
    hosts.upsert(responses.POST, BAMBOO_REPORT, json=extra_fields({4: "2026-02-28"}))
    code, out = run(bamboo_site, "people", "sync")
    assert code == 0, out
    assert "people: 0 created, 1 updated" in out
    leaver = stored(bamboo_site)["4"]
    assert leaver.status == "left" and str(leaver.termination_date) == "2026-02-28"
    assert all(API_KEY not in line for line in out.splitlines())


def test_bamboohr_check_names_bad_credentials_in_one_line(
    bamboo_site: Path, hosts: responses.RequestsMock
) -> None:
    hosts.get(
        f"{BAMBOO}/api/v1/employees",
        status=401,
        headers={"X-BambooHR-Message": "Invalid API key"},
        body="",
    )
    code, out = run(bamboo_site, "check")
    assert code == 1
    assert problems(out) == [
        "problem: bamboohr: GET /api/v1/employees failed: Invalid API key (HTTP 401); "
        "check access_token in connectors/bamboohr.toml"
    ]
    assert API_KEY not in out


def test_bamboohr_check_names_a_missing_job_level_field(
    bamboo_site: Path, hosts: responses.RequestsMock
) -> None:
    hosts.get(f"{BAMBOO}/api/v1/employees", json=employees_page(ROSTER[:1]))
    hosts.get(f"{BAMBOO}/api/v1/meta/fields", json=META_FIELDS[:1])
    hosts.post(BAMBOO_REPORT, json=extra_fields())
    code, out = run(bamboo_site, "check")
    assert code == 1
    (line,) = problems(out)
    assert line.startswith(
        "problem: bamboohr: GET /api/v1/meta/fields failed: the custom field 'Job Level' "
        "(job_level_field in connectors/bamboohr.toml) does not exist"
    )


# --- Workday ---------------------------------------------------------------------------------


def report_row(eid: str, level: str, manager: str, **over: str) -> dict[str, str]:
    row = {
        "Employee_ID": eid,
        "Work_Email": f"w{eid}@acme.example",
        "First_Name": f"First{eid}",
        "Last_Name": f"Last{eid}",
        "Job_Level": level,
        "Business_Title": "Analyst",
        "Supervisory_Organization": "Finance Ops",
        "Manager_Employee_ID": manager,
        "Location": "Berlin",
        "Hire_Date": "2019-05-01-07:00",
        "Active": "1",
    }
    row.update(over)
    return row


REPORT = [
    report_row("21001", "Executive", ""),
    report_row("21002", "8", "21001"),
    report_row("21003", "3", "21002"),
    report_row("21004", "2", "21002"),
]


@pytest.fixture
def workday_site(site_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WORKDAY_ISU_PASSWORD", WD_PASSWORD)
    connectors = site_root / "connectors"
    (connectors / "csv.toml").write_text('type = "csv"\nenabled = false\nsample = true\n')
    (connectors / "workday.toml").write_text(
        f'type = "workday"\nenabled = true\nhost = "{WORKDAY}"\ntenant = "acme"\nroster = "raas"\n'
        'raas_owner = "ISU_RM"\nraas_report = "RM_Workers"\nraas_user = "ISU_RM@acme"\n'
        'raas_password = "${WORKDAY_ISU_PASSWORD}"\nmentorships = false\n'
        '[job_levels]\n"Executive" = 10\n'
    )
    return site_root


def test_workday_site_checks_then_syncs(workday_site: Path, hosts: responses.RequestsMock) -> None:
    hosts.get(RAAS, json={"Report_Entry": REPORT})
    code, out = run(workday_site, "check")
    assert code == 0, out
    assert "workday: ok (Workday tenant acme, v42.2)" in out

    code, out = run(workday_site, "people", "sync")
    assert code == 0, out
    assert "people: 4 created, 0 updated, 0 unchanged, 0 marked as left; 0 record(s) skipped" in out
    people = stored(workday_site)
    assert (people["21001"].job_level, people["21004"].manager_hr_id) == (10, "21002")

    code, out = run(workday_site, "people", "sync")
    assert "people: 0 created, 0 updated, 4 unchanged, 0 marked as left" in out

    # The report is whole every time: a terminated worker is marked as left with their date.
    hosts.upsert(
        responses.GET,
        RAAS,
        json={
            "Report_Entry": [
                *REPORT[:3],
                report_row("21004", "2", "21002", Active="0", Termination_Date="2026-02-27-08:00"),
            ]
        },
    )
    code, out = run(workday_site, "people", "sync")
    assert "people: 0 created, 1 updated, 3 unchanged" in out
    leaver = stored(workday_site)["21004"]
    assert leaver.status == "left" and str(leaver.termination_date) == "2026-02-27"
    assert WD_PASSWORD not in out


@pytest.mark.parametrize(
    ("answer", "line"),
    [
        (
            {"status": 401, "body": "Unauthorized"},
            "problem: workday: RaaS ISU_RM/RM_Workers failed: Unauthorized "
            "(HTTP 401); check raas_user and raas_password in connectors/workday.toml",
        ),
        (
            {"status": 404, "json": {"error": "The resource could not be found."}},
            "problem: workday: report ISU_RM/RM_Workers: workday: RaaS ISU_RM/RM_Workers failed: "
            'Not Found: {"error": "The resource could not be found."} (HTTP 404); no report '
            "ISU_RM/RM_Workers: is raas_owner/raas_report right, is the report enabled as a web "
            "service and shared with the integration user?",
        ),
        (
            {"json": {"Report_Entry": [{k: v for k, v in r.items() if k != "Job_Level"} for r in REPORT]}},
            "problem: workday: report ISU_RM/RM_Workers has no column 'Job_Level' (our job_level); "
            "add it to the report with that XML alias, or map its alias in [columns] of "
            "connectors/workday.toml",
        ),
    ],
    ids=["bad-credentials", "missing-report", "missing-job-level"],
)
def test_workday_check_names_what_is_wrong_in_one_line(
    workday_site: Path, hosts: responses.RequestsMock, answer: dict[str, Any], line: str
) -> None:
    hosts.get(RAAS, **answer)
    code, out = run(workday_site, "check")
    assert code == 1
    assert problems(out) == [line]
    assert WD_PASSWORD not in out
