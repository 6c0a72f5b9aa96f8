"""`rm-plugin check` for BambooHR: what it reaches and what it says is wrong."""

from __future__ import annotations

from bamboo_fakes import BASE, META_FIELDS, make_oauth, page


def test_a_healthy_connection(tmp_path, mocked):
    mocked.get(f"{BASE}/api/v1/employees", json=page([{"employeeId": 1}], "c", 900))
    mocked.get(f"{BASE}/api/v1/meta/fields", json=META_FIELDS)
    mocked.get(f"{BASE}/api/v1/training/type", json={"101": {"id": 101, "name": "RM: agreement"}})
    report = make_oauth(tmp_path, {"training_types": {"agreement_signed": 101}}).health()
    assert report.ok and report.summary == "(BambooHR acme)"


def test_bad_credentials_are_named(tmp_path, mocked):
    mocked.get(f"{BASE}/api/v1/employees", status=401, headers={"X-BambooHR-Message": "Invalid API key"})
    report = make_oauth(tmp_path).health()
    assert report.problems == (
        "bamboohr: GET /api/v1/employees failed: Invalid API key (HTTP 401); "
        "check access_token in connectors/bamboohr.toml",
    )


def test_missing_custom_field_and_training_type_are_named(tmp_path, mocked):
    mocked.get(f"{BASE}/api/v1/employees", json=page([], None, 0))
    mocked.get(f"{BASE}/api/v1/meta/fields", json=META_FIELDS[:2])
    mocked.get(f"{BASE}/api/v1/training/type", json=[])
    report = make_oauth(tmp_path, {"training_types": {"agreement_signed": 101}}).health()
    assert len(report.problems) == 2
    assert (
        "the custom field 'Job Level' (job_level_field in connectors/bamboohr.toml) does not exist"
        in (report.problems[0])
    )
    assert report.problems[1] == "training_types.agreement_signed = 101: no such training type in BambooHR"
