"""The BambooHR roster with an OAuth token: cursor paging to the end, the fields the list does not
offer (termination date, employee number, the job-level custom field) from one custom report,
leavers, bad records, the incremental path through /employees/changed, and employee numbers."""

from __future__ import annotations

import pytest
from bamboo_fakes import ACCESS_TOKEN, BASE, META_FIELDS, employee, make_oauth, page, report
from responses import matchers

from rm_plugin.http import NotFound

#: What the list offers of the fields the connector needs, sent exploded (fields=a&fields=b).
FIELDS = ["workEmail", "departmentName", "divisionName", "locationName", "reportsToId", "hireDate"]
#: What it does not offer: asked of the custom report instead.
EXTRA = ["terminationDate", "4021"]
REPORT = f"{BASE}/api/v1/reports/custom"


def extra(eid: int, level: str = "3", termination: str = "0000-00-00") -> dict[str, str]:
    return {"id": str(eid), "terminationDate": termination, "4021": level}


def serve_extra(mocked, rows, ids=None):
    body = {"title": "rm-plugin roster", "fields": EXTRA}
    if ids is not None:
        body["filters"] = {"employeeIds": ids}
    return mocked.post(
        REPORT,
        json=report(rows, EXTRA),
        match=[matchers.query_param_matcher({"format": "json"}), matchers.json_params_matcher(body)],
    )


def test_full_roster_walks_every_cursor_page_and_maps_people(tmp_path, mocked):
    mocked.get(f"{BASE}/api/v1/meta/fields", json=META_FIELDS)
    first = mocked.get(
        f"{BASE}/api/v1/employees",
        json=page([employee(1), employee(2)], "c-2", 5),
        match=[matchers.query_param_matcher({"fields": FIELDS, "page[limit]": "2"})],
    )
    mocked.get(
        f"{BASE}/api/v1/employees",
        json=page([employee(3), employee(4, status="Inactive")], "c-3", 5),
        match=[matchers.query_param_matcher({"fields": FIELDS, "page[limit]": "2", "page[after]": "c-2"})],
    )
    mocked.get(
        f"{BASE}/api/v1/employees",
        json=page([employee(5, reportsToId="2")], None, 5),
        match=[matchers.query_param_matcher({"fields": FIELDS, "page[limit]": "2", "page[after]": "c-3"})],
    )
    serve_extra(mocked, [extra(1, "9"), extra(2), extra(3), extra(4, termination="2026-02-01"), extra(5)])

    connection = make_oauth(tmp_path)
    batch = connection.fetch(None)

    assert batch.complete and batch.problems == ()
    assert batch.cursor == "2026-03-10T08:55:00Z"  # started before the pull, with an overlap
    people = {p.hr_id: p for p in batch.records}
    assert sorted(people) == ["1", "2", "3", "4", "5"]
    ceo, leaver, five = people["1"], people["4"], people["5"]
    assert (ceo.job_level, ceo.manager_hr_id, ceo.email) == (9, None, "person1@acme.example")
    assert (five.manager_hr_id, five.department, five.team, five.location) == (
        "2",
        "Engineering",
        "Product",
        "London",
    )
    assert leaver.status == "left" and str(leaver.termination_date) == "2026-02-01"
    assert people["2"].termination_date is None  # BambooHR's 0000-00-00 means no date
    assert first.calls[0].request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert first.calls[0].request.headers["Accept"] == "application/json"
    assert connection.api.http.calls == {"GET": 4, "POST": 1}  # level field, 3 pages, 1 report


def test_a_malformed_record_is_reported_and_the_rest_imported(tmp_path, mocked):
    mocked.get(f"{BASE}/api/v1/meta/fields", json=META_FIELDS)
    mocked.get(
        f"{BASE}/api/v1/employees",
        json=page(
            [
                employee(1),
                employee(2, workEmail=None),
                employee(3, hireDate="15/01/2020"),
                employee(4),
                employee(5, reportsToId="99"),
                employee(6),
            ],
            None,
            6,
        ),
    )
    serve_extra(mocked, [extra(1), extra(2), extra(3), extra(4, "Senior"), extra(5), extra(6)])
    batch = make_oauth(tmp_path).fetch(None)
    # a manager missing from the roster skips nobody: people sync reports the broken link
    assert sorted(p.hr_id for p in batch.records) == ["1", "5", "6"]
    reasons = {p.where: p.reason for p in batch.problems}
    assert reasons["employee 2"] == "no work email (workEmail)"
    assert "hire date '15/01/2020' is not a date" in reasons["employee 3"]
    assert "job level 'Senior' is not a whole number" in reasons["employee 4"]
    assert "employee 5" not in reasons


def test_text_job_levels_are_mapped_by_config(tmp_path, mocked):
    mocked.get(f"{BASE}/api/v1/meta/fields", json=META_FIELDS)
    mocked.get(f"{BASE}/api/v1/employees", json=page([employee(1)], None, 1))
    serve_extra(mocked, [extra(1, "Director")])
    batch = make_oauth(tmp_path, {"job_levels": {"Director": 8}}).fetch(None)
    assert batch.records[0].job_level == 8


def test_a_missing_job_level_field_is_named(tmp_path, mocked):
    mocked.get(f"{BASE}/api/v1/meta/fields", json=[f for f in META_FIELDS if f["id"] != 4021])
    with pytest.raises(
        NotFound, match=r"custom field 'Job Level' \(job_level_field in connectors/bamboohr.toml\)"
    ):
        make_oauth(tmp_path).fetch(None)


def test_incremental_pull_fetches_only_changed_employees(tmp_path, mocked):
    mocked.get(f"{BASE}/api/v1/meta/fields", json=META_FIELDS)
    mocked.get(
        f"{BASE}/api/v1/employees/changed",
        json={
            "latest": "2026-03-10T08:30:00+00:00",
            "employees": {
                "2": {"id": "2", "action": "Updated", "lastChanged": "2026-03-10T08:00:00+00:00"},
                "3": {"id": "3", "action": "Inserted", "lastChanged": "2026-03-10T08:10:00+00:00"},
                "7": {"id": "7", "action": "Deleted", "lastChanged": "2026-03-10T08:30:00+00:00"},
            },
        },
        match=[matchers.query_param_matcher({"since": "2026-03-09T08:55:00Z"})],
    )
    mocked.get(
        f"{BASE}/api/v1/employees",
        json=page([employee(2, jobTitleName="Staff engineer"), employee(3, reportsToId="2")], None, 2),
        match=[
            matchers.query_param_matcher({"fields": FIELDS, "page[limit]": "2", "filter[ids][]": ["2", "3"]})
        ],
    )
    serve_extra(mocked, [extra(2), extra(3)], ids=[2, 3])
    batch = make_oauth(tmp_path).fetch("2026-03-09T08:55:00Z")
    assert not batch.complete
    assert batch.cursor == "2026-03-10T08:30:00+00:00"
    assert [(p.hr_id, p.title) for p in batch.records] == [("2", "Staff engineer"), ("3", "Engineer")]
    assert [str(p) for p in batch.problems] == [
        "bamboohr: employee 7: deleted in BambooHR; run a full sync (people sync --full) to mark them as left"
    ]


def test_incremental_pull_with_nothing_changed_costs_two_requests(tmp_path, mocked):
    mocked.get(f"{BASE}/api/v1/meta/fields", json=META_FIELDS)
    mocked.get(
        f"{BASE}/api/v1/employees/changed",
        json={"latest": "2026-03-09T08:55:00+00:00", "employees": {}},
    )
    connection = make_oauth(tmp_path)
    batch = connection.fetch("2026-03-09T08:55:00Z")
    assert batch.records == () and batch.cursor == "2026-03-09T08:55:00+00:00"
    assert sum(connection.api.http.calls.values()) == 2


def test_employee_numbers_as_hr_ids_map_managers_too(tmp_path, mocked):
    """The list does not offer employee numbers: they come from the report, for the manager too."""
    mocked.get(f"{BASE}/api/v1/meta/fields", json=META_FIELDS)
    mocked.get(
        f"{BASE}/api/v1/employees/changed",
        json={"latest": "2026-03-10T08:30:00+00:00", "employees": {"5": {"id": "5", "action": "Updated"}}},
    )
    mocked.get(f"{BASE}/api/v1/employees", json=page([employee(5, reportsToId="2")], None, 1))
    mocked.post(
        REPORT,
        json=report([{**extra(5), "employeeNumber": "A-0005"}], [*EXTRA, "employeeNumber"]),
        match=[
            matchers.json_params_matcher(
                {
                    "title": "rm-plugin roster",
                    "fields": ["terminationDate", "employeeNumber", "4021"],
                    "filters": {"employeeIds": [5]},
                }
            )
        ],
    )
    mocked.get(
        f"{BASE}/api/v1/employees",
        json=page([employee(2)], None, 1),
        match=[matchers.query_param_matcher({"page[limit]": "2", "filter[ids][]": "2"})],
    )
    mocked.post(
        REPORT,
        json=report([{"id": "2", "employeeNumber": "A-0002"}], ["employeeNumber"]),
        match=[
            matchers.json_params_matcher(
                {"title": "rm-plugin roster", "fields": ["employeeNumber"], "filters": {"employeeIds": [2]}}
            )
        ],
    )
    batch = make_oauth(tmp_path, {"hr_id": "employeeNumber"}).fetch("2026-03-09T00:00:00Z")
    assert [(p.hr_id, p.manager_hr_id) for p in batch.records] == [("A-0005", "A-0002")]
