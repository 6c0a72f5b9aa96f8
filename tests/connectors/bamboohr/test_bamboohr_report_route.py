"""With an API key the roster comes from one custom report, since /api/v1/employees is OAuth-only.

Shapes from host-apis §2.3: ``POST /api/v1/reports/custom?format=json`` with a body of ``title``,
``fields`` and ``filters`` (``employeeIds``, ``lastChanged``), answering ``{"title", "fields":
[{"id", "type", "name"}], "employees": [{"id", …}]}``, active and inactive employees alike.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from bamboo_fakes import API_KEY, BASE, META_FIELDS, make_connection, report
from responses import matchers

REPORT = f"{BASE}/api/v1/reports/custom"
ASKED = [
    "id",
    "workEmail",
    "firstName",
    "lastName",
    "jobTitleName",
    "department",
    "division",
    "location",
    "reportsToId",
    "hireDate",
    "terminationDate",
    "status",
    "4021",
]


def row(eid: int, **over: Any) -> dict[str, Any]:
    """One report row: values as strings, keyed by the field ids asked for."""
    base = {
        "id": str(eid),
        "workEmail": f"person{eid}@acme.example",
        "firstName": f"Given{eid}",
        "lastName": f"Family{eid}",
        "jobTitleName": "Engineer",
        "department": "Engineering",
        "division": "Product",
        "location": "London",
        "reportsToId": "" if eid == 1 else "1",  # every value a string, as the spec says
        "hireDate": "2020-01-15",
        "terminationDate": "0000-00-00",
        "status": "Active",
        "4021": "3",
    }
    base.update(over)
    return base


def test_an_api_key_reads_the_whole_roster_with_one_custom_report(tmp_path, mocked):
    mocked.get(f"{BASE}/api/v1/meta/fields", json=META_FIELDS)
    posted = mocked.post(
        REPORT,
        json=report(
            [row(1, **{"4021": "9"}), row(2), row(3, status="Inactive", terminationDate="2026-02-01")], ASKED
        ),
        match=[
            matchers.query_param_matcher({"format": "json"}),
            matchers.json_params_matcher({"title": "rm-plugin roster", "fields": ASKED}),
        ],
    )
    connection = make_connection(tmp_path)
    assert connection.roster_route == "report"
    batch = connection.fetch(None)
    assert batch.complete and batch.problems == ()
    people = {p.hr_id: p for p in batch.records}
    assert (people["1"].job_level, people["1"].manager_hr_id) == (9, None)
    assert (people["2"].manager_hr_id, people["2"].department, people["2"].team) == (
        "1",
        "Engineering",
        "Product",
    )
    assert people["3"].status == "left" and str(people["3"].termination_date) == "2026-02-01"
    request = posted.calls[0].request
    assert request.headers["Content-Type"] == "application/json"  # exactly: a charset makes it XML
    assert request.headers["Accept"] == "application/json"
    assert base64.b64decode(request.headers["Authorization"].split()[1]).decode() == f"{API_KEY}:x"
    assert connection.api.http.calls == {"GET": 1, "POST": 1}  # the level field's id, then everyone


def test_an_incremental_pull_reports_only_the_changed_employees(tmp_path, mocked):
    mocked.get(f"{BASE}/api/v1/meta/fields", json=META_FIELDS)
    mocked.get(
        f"{BASE}/api/v1/employees/changed",
        json={
            "latest": "2026-03-10T08:30:00+00:00",
            "employees": {
                "2": {"id": "2", "action": "Updated", "lastChanged": "2026-03-10T08:00:00+00:00"},
                "3": {"id": "3", "action": "Inserted", "lastChanged": "2026-03-10T08:10:00+00:00"},
            },
        },
    )
    mocked.post(
        REPORT,
        json=report([row(2, jobTitleName="Staff engineer"), row(3, reportsToId="2")], ASKED),
        match=[
            matchers.json_params_matcher(
                {"title": "rm-plugin roster", "fields": ASKED, "filters": {"employeeIds": [2, 3]}}
            )
        ],
    )
    batch = make_connection(tmp_path).fetch("2026-03-09T08:55:00Z")
    assert [(p.hr_id, p.title, p.manager_hr_id) for p in batch.records] == [
        ("2", "Staff engineer", "1"),
        ("3", "Engineer", "2"),
    ]


def test_employee_numbers_are_resolved_through_the_report(tmp_path, mocked):
    mocked.post(
        REPORT,
        json=report([{"id": "5", "employeeNumber": "A-0005"}], ["id", "employeeNumber"]),
        match=[
            matchers.json_params_matcher({"title": "rm-plugin roster", "fields": ["id", "employeeNumber"]})
        ],
    )
    connection = make_connection(tmp_path, {"hr_id": "employeeNumber"})
    assert connection.employee_id_for("A-0005") == "5"


def test_health_uses_the_report_and_names_fields_bamboohr_left_out(tmp_path, mocked):
    mocked.get(f"{BASE}/api/v1/meta/fields", json=META_FIELDS)
    check = mocked.post(REPORT, json=report([], [f for f in ASKED if f not in ("reportsToId", "4021")]))
    report_ = make_connection(tmp_path).health()
    assert report_.problems == (
        "the custom report left out reportsToId, 4021: BambooHR does not know these fields or the API "
        "key's user may not see them; name the right fields in [fields] of connectors/bamboohr.toml "
        "or give the user access",
    )
    sent = json.loads(check.calls[0].request.body)
    assert sent["filters"] == {"lastChanged": {"includeNull": "no", "value": "2026-03-10T09:00:00Z"}}


def test_health_with_a_good_key_is_ok_and_never_lists_employees(tmp_path, mocked):
    mocked.get(f"{BASE}/api/v1/meta/fields", json=META_FIELDS)
    mocked.post(REPORT, json=report([], ASKED))
    assert make_connection(tmp_path).health().ok
    assert all("/api/v1/employees" not in c.request.url for c in mocked.calls)


def test_a_refused_api_key_is_named(tmp_path, mocked):
    mocked.get(f"{BASE}/api/v1/meta/fields", status=401, headers={"X-BambooHR-Message": "Invalid API key"})
    report_ = make_connection(tmp_path).health()
    assert report_.problems == (
        "bamboohr: GET /api/v1/meta/fields failed: Invalid API key (HTTP 401); "
        "check api_key in connectors/bamboohr.toml",
    )
    assert API_KEY not in report_.problems[0]


def test_languages_and_time_zone_come_from_custom_fields_named_in_config(tmp_path, mocked):
    mocked.get(f"{BASE}/api/v1/meta/fields", json=META_FIELDS)
    mocked.post(
        REPORT,
        json=report(
            [
                row(1, customLanguages="en; de", customTimeZone="Europe/Berlin"),
                row(2, customLanguages="", customTimeZone="Mars/Olympus"),
            ],
            [*ASKED, "customLanguages", "customTimeZone"],
        ),
        match=[
            matchers.json_params_matcher(
                {
                    "title": "rm-plugin roster",
                    "fields": [*ASKED[:12], "customLanguages", "customTimeZone", "4021"],
                }
            )
        ],
    )
    config = {"fields": {"languages": "customLanguages", "time_zone": "customTimeZone"}}
    batch = make_connection(tmp_path, config).fetch(None)
    (person,) = batch.records
    assert (person.languages, person.time_zone) == (("en", "de"), "Europe/Berlin")
    assert [p.reason for p in batch.problems] == [
        "time zone 'Mars/Olympus' is not an IANA time zone (e.g. Europe/London)"
    ]
