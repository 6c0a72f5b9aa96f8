"""A BambooHR connection against replayed responses shaped like BambooHR's own (host-apis §2)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import responses
from bamboo_contract import assert_conforms
from responses.registries import OrderedRegistry

from rm_plugin.connections import ConnectionContext
from rm_plugin.connectors.bamboohr import BambooHRConfig, BambooHRConnection
from rm_plugin.http import RetryPolicy

BASE = "https://acme.bamboohr.com"
API_KEY = "bhr-key-0123456789abcdef"
ACCESS_TOKEN = "bhr-oauth-access-9876543210"
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)

META_FIELDS = [
    {"id": 1, "name": "First Name", "type": "text", "alias": "firstName"},
    {"id": 4, "name": "Work Email", "type": "email", "alias": "workEmail"},
    {"id": 4021, "name": "Job Level", "type": "list"},
    {"id": 4022, "name": "T-shirt size", "type": "list"},
]


def employee(eid: int, **over: Any) -> dict[str, Any]:
    """One list-employees item: its fixed members and the optional fields the connector asks for.

    Ids are strings and a field nobody may see is null, as the spec says; termination dates,
    employee numbers and custom fields are not offered by this endpoint (see :func:`report`).
    """
    base: dict[str, Any] = {
        "employeeId": str(eid),
        "firstName": f"Given{eid}",
        "lastName": f"Family{eid}",
        "preferredName": None,
        "photoUrl": "https://acme.bamboohr.com/images/photo_person_150x150.png",
        "jobTitleName": "Engineer",
        "status": "Active",
        "_restrictedFields": [],
        "workEmail": f"person{eid}@acme.example",
        "departmentName": "Engineering",
        "divisionName": "Product",
        "locationName": "London",
        "reportsToId": None if eid == 1 else "1",
        "hireDate": "2020-01-15",
    }
    base.update(over)
    return base


def page(items: list[dict[str, Any]], next_cursor: str | None, total: int, limit: int = 2) -> dict[str, Any]:
    links: dict[str, Any] = {"self": {"href": f"{BASE}/api/v1/employees?page%5Blimit%5D={limit}"}}
    if next_cursor:
        links["next"] = {
            "href": f"{BASE}/api/v1/employees?page%5Blimit%5D={limit}&page%5Bafter%5D={next_cursor}"
        }
    return {
        "data": items,
        "meta": {"total": total, "page": {"limit": limit, "nextCursor": next_cursor, "prevCursor": None}},
        "_links": links,
    }


def report(rows: list[dict[str, Any]], kept: list[str]) -> dict[str, Any]:
    """A custom report's JSON answer: the fields BambooHR kept, and one row of strings per employee."""
    return {
        "title": "rm-plugin roster",
        "fields": [{"id": f, "type": "text", "name": f} for f in kept],
        "employees": rows,
    }


def make_oauth(tmp_path: Path, raw: Mapping[str, Any] | None = None, sleep=None) -> BambooHRConnection:
    """A connection with an OAuth access token: the roster comes from cursor-paged /employees."""
    return make_connection(tmp_path, {"api_key": None, "access_token": ACCESS_TOKEN, **(raw or {})}, sleep)


def make_connection(tmp_path: Path, raw: Mapping[str, Any] | None = None, sleep=None) -> BambooHRConnection:
    values = {"company": "acme", "api_key": API_KEY, "job_level_field": "Job Level", "page_size": 2}
    values.update(raw or {})
    config = BambooHRConfig().load({k: v for k, v in values.items() if v is not None})
    context = ConnectionContext("bamboohr", tmp_path / "connectors/bamboohr.toml", tmp_path, tmp_path / "out")
    retry = RetryPolicy(sleep=sleep or (lambda s: None), rng=random.Random(3), clock=lambda: NOW.timestamp())
    return BambooHRConnection(context, config, retry=retry, clock=lambda: NOW)


@pytest.fixture
def mocked(request: pytest.FixtureRequest) -> Iterator[responses.RequestsMock]:
    """Served in the order added; a response left unused fails the test, and so does any request
    the connector sent or answer a test gave that breaks BambooHR's OpenAPI spec (a test marked
    ``off_contract`` gives answers that break it on purpose: only its requests are checked)."""
    with responses.RequestsMock(registry=OrderedRegistry) as rsps:
        yield rsps
        # Before the mock's exit, which forgets the calls.
        assert_conforms(rsps.calls, answers=request.node.get_closest_marker("off_contract") is None)
