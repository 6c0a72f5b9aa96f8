"""A pair's Moodle events follow its latest signed schedule: re-signing moves meetings, never adds a set.

The answers are Moodle 4.4's: a group's events come back only when asked with
``options[userevents]=1`` (with 0 the list is empty), and a delete naming an event Moodle no
longer has fails as a whole with ``invalidrecord``.
"""

from __future__ import annotations

from typing import Any

import pytest
import responses
from conftest import Expect, body
from sqlalchemy import select

from rm_plugin.connectors.moodle.errors import MoodleSetupError
from rm_plugin.domain.records import Delivery
from rm_plugin.outbox import enqueue
from rm_plugin.plugins import make_plugin_manager, register
from rm_plugin.store import Database
from rm_plugin.store.models import OutboxItem
from rm_plugin.sync.backoff import classify
from rm_plugin.sync.dispatch import deliver
from rm_plugin.sync.leases import Claimed

COURSE = {"field": "idnumber", "value": "rm-2026"}
CONTENTS = {"courseid": "12", "options[0][name]": "excludecontents", "options[0][value]": "1"}
READ = {
    "events[courseids][0]": "12",
    "events[groupids][0]": "45",
    "options[userevents]": "1",
    "options[siteevents]": "0",
    "options[timestart]": "0",
    "options[timeend]": "0",
}
SUMMARY = "Reverse mentoring: Ada Senior and Bo Junior"
TAG = "[rm-pair-9]"
JAN_12_09, JAN_19_09 = 1768208400, 1768813200  # v1: Mondays 09:00 UTC
JAN_12_10, JAN_19_10 = 1768212000, 1768816800  # v2: moved to 10:00 UTC


def schedule(*starts: str) -> dict[str, Any]:
    return {
        "pair_id": 9,
        "programme": "rm-2026",
        "mentee": "E100",
        "mentor": "E200",
        "summary": SUMMARY,
        "ics": "",
        "occurrences": list(starts),
    }


V1 = schedule("2026-01-12T09:00:00+00:00", "2026-01-19T09:00:00+00:00")
V2 = schedule("2026-01-12T10:00:00+00:00", "2026-01-19T10:00:00+00:00")


def signed(version: int, payload: dict[str, Any], row: int, attempt: int = 1) -> Delivery:
    key = f"calendar:rm-2026:9:v{version}:moodle"
    return Delivery(row, key, "moodle", "calendar", payload, attempt=attempt)


def on_moodle(event_id: int, start: int, tag: str = TAG, **extra: Any) -> dict[str, Any]:
    """An event as core_calendar_get_calendar_events returns it (description formatted as HTML)."""
    return {
        "id": event_id,
        "name": SUMMARY,
        "description": f"<p>{SUMMARY}</p><p>Agreed reverse-mentoring meeting {tag}</p>",
        "format": 1,
        "courseid": 12,
        "groupid": 45,
        "userid": 3,
        "eventtype": "group",
        "timestart": start,
        "timeduration": 0,
        **extra,
    }


def create_fields(*starts: int) -> dict[str, str]:
    fields: dict[str, str] = {}
    for i, start in enumerate(starts):
        fields |= {
            f"events[{i}][name]": SUMMARY,
            f"events[{i}][description]": f"{SUMMARY}\n\nAgreed reverse-mentoring meeting {TAG}",
            f"events[{i}][format]": "2",
            f"events[{i}][courseid]": "12",
            f"events[{i}][eventtype]": "group",
            f"events[{i}][groupid]": "45",
            f"events[{i}][timestart]": str(start),
            f"events[{i}][timeduration]": "0",
        }
    return fields


def created(*pairs: tuple[int, int]) -> dict[str, Any]:
    return {"events": [on_moodle(i, start) for i, start in pairs], "warnings": []}


def delete_fields(*event_ids: int) -> dict[str, str]:
    fields: dict[str, str] = {}
    for i, event_id in enumerate(event_ids):
        fields |= {f"events[{i}][eventid]": str(event_id), f"events[{i}][repeat]": "0"}
    return fields


def expect_setup(expect: Expect) -> None:
    expect("core_course_get_courses_by_field", COURSE, body("courses"))
    expect("core_course_get_contents", CONTENTS, body("contents"))
    users = [u for u in body("users") if u["idnumber"] in ("E100", "E200")]
    expect(
        "core_user_get_users_by_field", {"field": "idnumber", "values[0]": "E100", "values[1]": "E200"}, users
    )
    expect("core_group_get_course_groups", {"courseid": "12"}, body("course_groups") + body("group_created"))


def test_a_resigned_schedule_moves_the_meetings_and_a_rerun_writes_nothing(
    make_connection, people: Database, expect: Expect
) -> None:
    others = [
        on_moodle(600, JAN_19_09, tag="[rm-pair-90]", groupid=46),  # another pair's meeting, same time
        on_moodle(601, JAN_12_09, description="Programme kick-off", eventtype="course", groupid=0),
    ]
    # v1: nothing on Moodle yet, both meetings are created
    expect_setup(expect)
    expect("core_calendar_get_calendar_events", READ, {"events": others, "warnings": []})
    expect(
        "core_calendar_create_calendar_events",
        create_fields(JAN_12_09, JAN_19_09),
        created((501, JAN_12_09), (502, JAN_19_09)),
    )
    # v2 moves both to 10:00: two creates, and v1's two events are deleted in one call
    v1_events = [on_moodle(501, JAN_12_09), on_moodle(502, JAN_19_09)]
    expect("core_calendar_get_calendar_events", READ, {"events": others + v1_events, "warnings": []})
    expect(
        "core_calendar_create_calendar_events",
        create_fields(JAN_12_10, JAN_19_10),
        created((503, JAN_12_10), (504, JAN_19_10)),
    )
    expect("core_calendar_delete_calendar_events", delete_fields(501, 502), None)
    # v2 again (its receipt lost in a crash): Moodle already has the schedule
    v2_events = [on_moodle(503, JAN_12_10), on_moodle(504, JAN_19_10)]
    expect("core_calendar_get_calendar_events", READ, {"events": others + v2_events, "warnings": []})

    connection = make_connection(people)
    first = connection.rm_put_calendar_event(delivery=signed(1, V1, row=1))
    assert first.data["event_ids"] == [501, 502] and first.data["deleted"] == [] and not first.skipped

    second = connection.rm_put_calendar_event(delivery=signed(2, V2, row=2))
    assert second.data["event_ids"] == [503, 504]
    assert second.data["created"] == 2 and second.data["deleted"] == [501, 502]
    assert second.host_ref == "events 503,504" and not second.skipped

    again = connection.rm_put_calendar_event(delivery=signed(2, V2, row=2, attempt=2))
    assert again.skipped and again.data["event_ids"] == [503, 504] and again.data["deleted"] == []
    calls = connection.client.calls_by_name
    assert calls["core_calendar_create_calendar_events"] == 2
    assert calls["core_calendar_delete_calendar_events"] == 1


def test_a_dropped_meeting_is_deleted_and_kept_ones_are_not_touched(
    make_connection, people: Database, expect: Expect
) -> None:
    expect_setup(expect)
    kept, dropped = on_moodle(501, JAN_12_09), on_moodle(502, JAN_19_09)
    duplicate = on_moodle(505, JAN_12_09)  # a second copy an earlier connector made
    expect(
        "core_calendar_get_calendar_events",
        READ,
        {"events": [kept, dropped, duplicate], "warnings": []},
    )
    expect("core_calendar_delete_calendar_events", delete_fields(502, 505), None)
    connection = make_connection(people)
    receipt = connection.rm_put_calendar_event(
        delivery=signed(3, schedule("2026-01-12T09:00:00+00:00"), row=3)
    )
    assert receipt.data["event_ids"] == [501] and receipt.data["deleted"] == [502, 505]
    assert "core_calendar_create_calendar_events" not in connection.client.calls_by_name


def test_events_an_older_connector_tagged_by_delivery_are_replaced_in_the_pairs_group(
    make_connection, people: Database, expect: Expect
) -> None:
    expect_setup(expect)
    legacy = on_moodle(480, JAN_12_09, tag="[rm-0123456789abcdef0123]")
    elsewhere = on_moodle(481, JAN_12_09, tag="[rm-0123456789abcdef0123]", groupid=46)  # not this pair's
    expect("core_calendar_get_calendar_events", READ, {"events": [legacy, elsewhere], "warnings": []})
    expect(
        "core_calendar_create_calendar_events",
        create_fields(JAN_12_10),
        created((503, JAN_12_10)),
    )
    expect("core_calendar_delete_calendar_events", delete_fields(480), None)
    receipt = make_connection(people).rm_put_calendar_event(
        delivery=signed(2, schedule("2026-01-12T10:00:00+00:00"), row=2)
    )
    assert receipt.data["deleted"] == [480]


def test_an_older_schedule_retried_after_a_newer_one_was_queued_leaves_moodle_alone(
    make_connection, people: Database, mock: responses.RequestsMock
) -> None:
    with people.transaction() as session:
        for version, payload in ((1, V1), (2, V2)):
            enqueue(
                session,
                key=f"calendar:rm-2026:9:v{version}:moodle",
                connection="moodle",
                action="calendar",
                payload=payload,
            )
        # another pair's later schedule does not count
        enqueue(
            session,
            key="calendar:rm-2026:19:v1:moodle",
            connection="moodle",
            action="calendar",
            payload=V1 | {"pair_id": 19},
        )
    with people.transaction() as session:
        rows = dict(session.execute(select(OutboxItem.key, OutboxItem.id)).all())
    connection = make_connection(people)
    pm = make_plugin_manager(None, load_entrypoints=False)
    register(pm, connection, "connection:moodle", "test")
    key = "calendar:rm-2026:9:v1:moodle"
    # the sync engine settles it: the connector is never asked
    stale = deliver(pm.hook, Claimed(rows[key], key, "moodle", "calendar", V1, attempt=4), people)
    assert stale.skipped and stale.data == {"superseded_by": "calendar:rm-2026:9:v2:moodle"}
    assert sum(connection.client.calls.values()) == 0  # the mock fails on any request


def test_a_crash_at_any_point_of_a_resign_converges_on_the_new_schedule(
    make_connection, people: Database, expect: Expect
) -> None:
    v1_events = [on_moodle(501, JAN_12_09), on_moodle(502, JAN_19_09)]
    v2_events = [on_moodle(503, JAN_12_10), on_moodle(504, JAN_19_10)]
    expect_setup(expect)
    # try 1 of v2 died after Moodle created the new events, before the old ones were deleted
    expect("core_calendar_get_calendar_events", READ, {"events": v1_events + v2_events, "warnings": []})
    expect("core_calendar_delete_calendar_events", delete_fields(501, 502), None)
    # try 3 died after the delete, before the receipt was stored: nothing left to write
    expect("core_calendar_get_calendar_events", READ, {"events": v2_events, "warnings": []})
    connection = make_connection(people)
    second = connection.rm_put_calendar_event(delivery=signed(2, V2, row=2, attempt=2))
    assert second.data["event_ids"] == [503, 504] and second.data["deleted"] == [501, 502]
    third = connection.rm_put_calendar_event(delivery=signed(2, V2, row=2, attempt=3))
    assert third.skipped and third.data["event_ids"] == [503, 504]
    assert "core_calendar_create_calendar_events" not in connection.client.calls_by_name


def test_a_delete_never_names_an_event_moodle_no_longer_has(
    make_connection, people: Database, expect: Expect
) -> None:
    expect_setup(expect)
    old = [on_moodle(501, JAN_12_09), on_moodle(502, JAN_19_09)]
    expect("core_calendar_get_calendar_events", READ, {"events": old, "warnings": []})
    expect(
        "core_calendar_create_calendar_events",
        create_fields(JAN_12_10, JAN_19_10),
        created((503, JAN_12_10), (504, JAN_19_10)),
    )
    # another worker deleted 501 meanwhile: Moodle fails the whole call and deletes nothing
    expect("core_calendar_delete_calendar_events", delete_fields(501, 502), body("invalidrecord"))
    new = [on_moodle(503, JAN_12_10), on_moodle(504, JAN_19_10)]
    expect("core_calendar_get_calendar_events", READ, {"events": [old[1], *new], "warnings": []})
    expect("core_calendar_delete_calendar_events", delete_fields(502), None)
    receipt = make_connection(people).rm_put_calendar_event(delivery=signed(2, V2, row=2))
    assert receipt.data["deleted"] == [502] and receipt.data["event_ids"] == [503, 504]


def test_a_pair_member_without_an_account_parks_the_schedule_once(
    make_connection, people: Database, expect: Expect
) -> None:
    expect("core_course_get_courses_by_field", COURSE, body("courses"))
    expect("core_course_get_contents", CONTENTS, body("contents"))
    expect(
        "core_user_get_users_by_field", {"field": "idnumber", "values[0]": "E100", "values[1]": "E300"}, []
    )
    connection = make_connection(people)
    with pytest.raises(MoodleSetupError, match=r"no Moodle account for E100: .*; E300: ") as caught:
        connection.rm_put_calendar_event(delivery=signed(1, V1 | {"mentor": "E300"}, row=1))
    # a permanent reason (parked once), not "the group is not there yet" retried again and again
    assert not classify(caught.value).retryable
    assert "core_group_get_course_groups" not in connection.client.calls_by_name
