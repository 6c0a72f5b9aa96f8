"""`rm-plugin check` for BambooHR: what it reaches and what it says is wrong."""

from __future__ import annotations

import json

from bamboo_fakes import BASE, META_FIELDS, employee, make_oauth, page, report
from responses import matchers

REPORT = f"{BASE}/api/v1/reports/custom"
EXTRA = ["terminationDate", "4021"]  # what GET /api/v1/employees does not offer
TYPE_101 = {
    "id": 101,
    "name": "RM: agreement",
    "renewable": False,
    "required": None,
    "category": [],
    "linkUrl": None,
    "description": None,
    "allowEmployeesToMarkComplete": False,
}


def test_a_healthy_connection(tmp_path, mocked):
    listed = mocked.get(
        f"{BASE}/api/v1/employees",
        json=page([employee(1)], "c", 900, limit=1),
        match=[matchers.query_param_matcher({"page[limit]": "1"})],
    )
    mocked.get(f"{BASE}/api/v1/meta/fields", json=META_FIELDS)
    asked = mocked.post(REPORT, json=report([], EXTRA))
    mocked.get(f"{BASE}/api/v1/training/type", json={"101": TYPE_101})
    report_ = make_oauth(tmp_path, {"training_types": {"agreement_signed": 101}}).health()
    assert report_.ok and report_.summary == "(BambooHR acme)"
    assert listed.call_count == 1
    sent = json.loads(asked.calls[0].request.body)
    assert sent == {
        "title": "rm-plugin roster",
        "fields": EXTRA,
        "filters": {"lastChanged": {"includeNull": "no", "value": "2026-03-10T09:00:00Z"}},
    }


def test_oauth_names_fields_neither_the_list_nor_the_report_delivers(tmp_path, mocked):
    mocked.get(f"{BASE}/api/v1/employees", json=page([employee(1)], None, 1, limit=1))
    mocked.get(f"{BASE}/api/v1/meta/fields", json=META_FIELDS)
    mocked.post(REPORT, json=report([], ["terminationDate"]))
    report_ = make_oauth(tmp_path).health()
    assert report_.problems == (
        "the custom report left out 4021: BambooHR does not know these fields or the access token's "
        "user may not see them; name the right fields in [fields] of connectors/bamboohr.toml or give "
        "the user access (GET /api/v1/employees does not offer them either)",
    )


def test_oauth_names_the_fields_it_cannot_read_without_the_report_scope(tmp_path, mocked):
    mocked.get(f"{BASE}/api/v1/employees", json=page([employee(1)], None, 1, limit=1))
    mocked.get(f"{BASE}/api/v1/meta/fields", json=META_FIELDS)
    mocked.post(REPORT, status=403, headers={"X-BambooHR-Message": "Insufficient scope"})
    report_ = make_oauth(tmp_path, {"hr_id": "employeeNumber"}).health()
    assert report_.problems == (
        "GET /api/v1/employees does not offer terminationDate, employeeNumber, 4021, so they are read "
        "from the custom report, which needs the token's OAuth scope 'report': bamboohr: "
        "POST /api/v1/reports/custom failed: Insufficient scope (HTTP 403)",
    )


def test_bad_credentials_are_named(tmp_path, mocked):
    mocked.get(f"{BASE}/api/v1/employees", status=401, headers={"X-BambooHR-Message": "Invalid API key"})
    report_ = make_oauth(tmp_path).health()
    assert report_.problems == (
        "bamboohr: GET /api/v1/employees failed: Invalid API key (HTTP 401); "
        "check access_token in connectors/bamboohr.toml",
    )


def test_missing_custom_field_and_training_type_are_named(tmp_path, mocked):
    mocked.get(f"{BASE}/api/v1/employees", json=page([], None, 0, limit=1))
    mocked.get(f"{BASE}/api/v1/meta/fields", json=META_FIELDS[:2])
    mocked.post(REPORT, json=report([], ["terminationDate"]))
    mocked.get(f"{BASE}/api/v1/training/type", json={"7": {**TYPE_101, "id": 7}})
    report_ = make_oauth(tmp_path, {"training_types": {"agreement_signed": 101}}).health()
    assert len(report_.problems) == 2
    assert (
        "the custom field 'Job Level' (job_level_field in connectors/bamboohr.toml) does not exist"
        in (report_.problems[0])
    )
    assert report_.problems[1] == "training_types.agreement_signed = 101: no such training type in BambooHR"
