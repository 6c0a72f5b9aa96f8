"""BambooHR's own OpenAPI spec judges the connector: a bad request is caught, the documented forms
pass, and the stand-in answers every call the connector makes, on both routes, as the spec says.

Every ``responses``-served test in this folder is checked the same way by the ``mocked`` fixture;
these tests skip, with the reason, where the spec is not at hand.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from bamboo_contract import CheckedApp, Exchange
from bamboo_fakes import BASE, employee, page
from standin_server import served, standin

from rm_plugin.connections import ConnectionContext
from rm_plugin.connectors.bamboohr import BambooHRConfig, BambooHRConnection
from rm_plugin.domain.records import Delivery

LIST = f"{BASE}/api/v1/employees"
BEARER = {"Authorization": "Bearer token", "Accept": "application/json"}


def test_the_forms_the_connector_used_to_send_are_caught(bamboo_spec):
    """The OAuth roster request before this was fixed: four ways off the spec, each named."""
    old = f"{LIST}?fields=employeeId,workEmail,terminationDate,4021&page%5Blimit%5D=200&filter%5Bids%5D=2,3"
    problems = bamboo_spec.check(Exchange("GET", old, BEARER, None))
    assert len(problems) == 3, problems
    text = "\n".join(problems)
    assert "fields ('employeeId,workEmail,terminationDate,4021' is not one of" in text
    assert "page (200 is greater than the maximum of 100)" in text
    assert "Query parameter error: filter" in text  # filter[ids]=2,3 instead of filter[ids][]=…


def test_a_field_the_list_does_not_offer_is_caught_even_exploded(bamboo_spec):
    problems = bamboo_spec.check(
        Exchange("GET", f"{LIST}?fields=workEmail&fields=terminationDate", BEARER, None)
    )
    assert len(problems) == 1 and "'terminationDate' is not one of" in problems[0]


def test_an_answer_off_the_spec_is_caught(bamboo_spec):
    """What the stand-in used to serve: integer ids, no _links, no prevCursor, a null latest."""
    body = {
        "data": [{k: v for k, v in employee(1, employeeId=1).items() if k != "preferredName"}],
        "meta": {"total": 1, "page": {"limit": 2, "nextCursor": None}},
    }
    answer = Exchange(
        "GET", LIST, BEARER, None, 200, {"Content-Type": "application/json"}, json.dumps(body).encode()
    )
    (problem,) = bamboo_spec.check(answer)
    for reason in (
        "'_links' is a required property",
        "1 is not of type 'string'",
        "'preferredName' is a required property",
        "'prevCursor' is a required property",
    ):
        assert reason in problem
    changed = Exchange(
        "GET",
        f"{BASE}/api/v1/employees/changed?since=2026-03-01T00:00:00Z",
        BEARER,
        None,
        200,
        {"Content-Type": "application/json"},
        json.dumps({"latest": None, "employees": []}).encode(),
    )
    (problem,) = bamboo_spec.check(changed)
    assert "None is not of type 'string'" in problem and "[] is not of type 'object'" in problem


def test_the_documented_forms_pass(bamboo_spec):
    query = (
        "fields=workEmail&fields=reportsToId&page%5Blimit%5D=100&page%5Bafter%5D=eyJhZnRlciI6IDEwMH0%3D"
        "&filter%5Bids%5D%5B%5D=2&filter%5Bids%5D%5B%5D=3&filter%5Bstatus%5D=active"
    )
    body = json.dumps(page([employee(2), employee(3)], None, 2)).encode()
    exchange = Exchange(
        "GET", f"{LIST}?{query}", BEARER, None, 200, {"Content-Type": "application/json"}, body
    )
    assert bamboo_spec.check(exchange) == []


@pytest.mark.parametrize("credential", ["api_key", "access_token"])
def test_the_standin_answers_every_call_as_the_spec_says(tmp_path, bamboo_spec, credential):
    """Full and incremental roster, employee numbers, training types and records, and check."""
    module = standin("bamboohr")
    org = standin("org")
    people = org.sample()[:40]
    app = CheckedApp(module.BambooStandIn(people), bamboo_spec)
    with served(app) as base:
        config = BambooHRConfig().load(
            {
                "company": "standin",
                "base_url": base,
                credential: "standin-secret",
                "hr_id": "employeeNumber",
                "job_level_field": "Job Level",
                "page_size": 15,
                "fields": {"languages": "customLanguages", "time_zone": "customTimeZone"},
                "create_training_types": ["agreement_signed"],
            }
        )
        context = ConnectionContext("bamboohr", tmp_path / "bamboohr.toml", tmp_path, tmp_path)
        connection = BambooHRConnection(context, config)
        full = connection.fetch(None)
        for person in people[:3]:
            person.changed = dt.datetime.now(dt.UTC)
        later = BambooHRConnection(context, config).fetch(full.cursor)
        assert connection.health().ok
        payload = {
            "programme": "rm-2026",
            "milestone": "agreement_signed",
            "person": people[5].number,
            "pair_id": 7,
            "reached_on": "2026-04-01",
        }
        for reached in ("2026-04-01", "2026-04-01", "2026-04-02"):  # add, nothing, update
            connection.rm_record_milestone(
                Delivery(1, "k", "bamboohr", "completion", {**payload, "reached_on": reached})
            )
    assert app.problems == [], "\n".join(app.problems)
    # What the list does not offer arrived all the same: levels, leave dates, employee numbers.
    records = {r.hr_id: r for r in full.records}
    assert len(records) > 30
    for person in people:
        if person.number in records:
            record = records[person.number]
            assert record.job_level == person.level
            assert str(record.termination_date or "") == person.terminated
    assert any(p.terminated for p in people if p.number in records)
    assert {p.hr_id for p in later.records} == {p.number for p in people[:3]}
    (written,) = app.app.training.values()  # one record, added once and then updated
    assert (written["completed"], written["employeeId"]) == ("2026-04-02", str(people[5].id))
    assert app.checked > 8
