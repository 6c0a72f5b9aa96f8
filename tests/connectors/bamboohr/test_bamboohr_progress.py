"""Milestones and recognition as BambooHR training records: list first, add once, update ours."""

from __future__ import annotations

import json

import pytest
from bamboo_fakes import BASE, make_connection
from responses import matchers

from rm_plugin.domain.records import Delivery
from rm_plugin.http import InvalidRequest

RECORDS = f"{BASE}/api/v1/training/record/employee/42"
NOTES = "Reverse mentoring: agreement signed (rm-plugin rm-2026/7/agreement_signed)"


def record(rid: int, completed: str, notes: str, type_: int | str = "101") -> dict:
    """A TrainingRecord as BambooHR returns it: the employee id a string, the type a string when
    listed or updated and a number when just created."""
    return {
        "id": rid,
        "employeeId": "42",
        "completed": completed,
        "notes": notes,
        "instructor": None,
        "credits": None,
        "hours": None,
        "cost": None,
        "type": type_,
    }


def milestone(**over) -> Delivery:
    payload = {
        "programme": "rm-2026",
        "milestone": "agreement_signed",
        "person": "42",
        "pair_id": 7,
        "reached_on": "2026-03-02",
    }
    payload.update(over)
    return Delivery(1, "completion:rm-2026:7:agreement_signed:42", "bamboohr", "completion", payload)


def test_first_delivery_lists_then_adds_one_record(tmp_path, mocked):
    mocked.get(RECORDS, json=[], match=[matchers.query_param_matcher({"type": "101"})])
    added = mocked.post(
        RECORDS,
        status=201,
        json=record(555, "2026-03-02", NOTES, type_=101),
        match=[matchers.json_params_matcher({"completed": "2026-03-02", "type": 101, "notes": NOTES})],
    )
    connection = make_connection(tmp_path, {"training_types": {"agreement_signed": 101}})
    receipt = connection.rm_record_milestone(milestone())
    assert receipt.host_ref == "training record 555" and not receipt.skipped
    assert added.call_count == 1


def test_a_rerun_adds_nothing(tmp_path, mocked):
    mocked.get(
        RECORDS,
        json={"555": record(555, "2026-03-02", NOTES)},
    )
    connection = make_connection(tmp_path, {"training_types": {"agreement_signed": 101}})
    receipt = connection.rm_record_milestone(milestone())
    assert receipt.skipped and receipt.host_ref == "training record 555"
    assert dict(connection.api.http.calls) == {"GET": 1}


def test_a_changed_date_updates_our_record_and_leaves_others_alone(tmp_path, mocked):
    mocked.get(
        RECORDS,
        json={
            "9": record(9, "2025-01-01", "entered by HR"),
            "555": record(555, "2026-03-01", NOTES),
        },
    )
    put = mocked.put(
        f"{BASE}/api/v1/training/record/555",
        status=201,
        json=record(555, "2026-03-02", NOTES),
        match=[matchers.json_params_matcher({"completed": "2026-03-02", "notes": NOTES})],  # no type
    )
    connection = make_connection(tmp_path, {"training_types": {"agreement_signed": 101}})
    receipt = connection.rm_record_milestone(milestone())
    assert receipt.data["updated"] is True
    assert json.loads(put.calls[0].request.body)["completed"] == "2026-03-02"


def test_award_creates_its_training_type_once_by_name(tmp_path, mocked):
    types = mocked.get(
        f"{BASE}/api/v1/training/type",
        json={"3": {"id": 3, "name": "Fire safety", "renewable": False, "category": []}},
    )
    mocked.post(
        f"{BASE}/api/v1/training/type",
        status=201,
        json={
            "id": 12,
            "name": "Reverse mentoring: mentor recognised",
            "category": {"id": 4, "name": "Reverse mentoring"},
        },
        match=[
            matchers.json_params_matcher(
                {
                    "name": "Reverse mentoring: mentor recognised",
                    "description": "Recorded by rm-plugin when a reverse-mentoring participant reaches "
                    "'mentor_recognised'.",
                    "category": {"name": "Reverse mentoring"},
                }
            )
        ],
    )
    for _ in range(2):
        mocked.get(RECORDS, json=[])
        mocked.post(RECORDS, status=201, json=record(600, "2026-03-10", "", type_=12))
    connection = make_connection(tmp_path, {"create_training_types": ["mentor_recognised"]})
    for pair in (7, 8):
        award = Delivery(
            pair,
            f"award:{pair}",
            "bamboohr",
            "award",
            {"programme": "rm-2026", "award": "mentor_recognised", "person": "42", "pair_id": pair},
        )
        connection.rm_award(award)
    assert types.call_count == 1


def test_an_unconfigured_milestone_is_skipped_with_the_reason(tmp_path, mocked):
    receipt = make_connection(tmp_path).rm_record_milestone(milestone(milestone="midpoint"))
    assert receipt.skipped and "'midpoint' is in neither training_types" in receipt.data["reason"]


def test_another_connection_is_not_answered(tmp_path, mocked):
    other = Delivery(1, "k", "workday", "completion", {})
    assert make_connection(tmp_path).rm_record_milestone(other) is None


def test_a_refused_record_is_not_retried(tmp_path, mocked):
    mocked.get(RECORDS, json=[])
    mocked.post(
        RECORDS,
        status=400,
        headers={"X-BambooHR-Message": "Invalid training type"},
        json={"error": {"code": 400, "message": "Invalid training type"}},
    )
    connection = make_connection(tmp_path, {"training_types": {"agreement_signed": 101}})
    with pytest.raises(InvalidRequest, match="Invalid training type"):
        connection.rm_record_milestone(milestone())
