"""The programme course is read once per sync run: interleaved milestones cost one call each, every
worker thread waits for the one read, and a misconfigured milestone is not read again for every row."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import responses
from conftest import ENDPOINT, Expect, body
from responses import matchers

from rm_plugin.connectors.moodle.errors import MoodleSetupError
from rm_plugin.connectors.moodle.memo import RUN_SECONDS, RunMemo
from rm_plugin.domain.records import Delivery
from rm_plugin.http import HostConnectionError
from rm_plugin.store import Database

COURSE = {"field": "idnumber", "value": "rm-2026"}
CONTENTS = {"courseid": "12", "options[0][name]": "excludecontents", "options[0][value]": "1"}
CMIDS = {"agreement_signed": 310, "first_meeting": 311, "final_retrospective": 312}


def milestone(name: str, row: int) -> Delivery:
    payload = {"programme": "rm-2026", "milestone": name, "person": "E100", "pair_id": 9}
    return Delivery(row, f"completion:rm-2026:9:{name}:E100:{row}", "moodle", "completion", payload)


def test_interleaved_milestones_read_the_course_once(
    make_connection, people: Database, expect: Expect
) -> None:
    order = ["first_meeting", "agreement_signed", "first_meeting", "final_retrospective", "agreement_signed"]
    expect("core_course_get_courses_by_field", COURSE, body("courses"))
    expect("core_course_get_contents", CONTENTS, body("contents"))
    expect("core_user_get_users_by_field", {"field": "idnumber", "values[0]": "E100"}, body("users")[:1])
    for name in order:
        cmid = str(CMIDS[name])
        expect(
            "core_completion_override_activity_completion_status",
            {"userid": "41", "cmid": cmid, "newstate": "1"},
            body("override") | {"cmid": CMIDS[name]},
        )
    connection = make_connection(people)
    receipts = [
        connection.rm_record_milestone(delivery=milestone(name, row)) for row, name in enumerate(order, 1)
    ]
    assert [r.data["cmid"] for r in receipts] == [CMIDS[name] for name in order]
    calls = connection.client.calls_by_name
    assert calls["core_course_get_courses_by_field"] == 1 and calls["core_course_get_contents"] == 1
    assert calls["core_completion_override_activity_completion_status"] == len(order)


def test_one_misconfigured_milestone_does_not_stop_the_others(
    make_connection, people: Database, expect: Expect
) -> None:
    milestones = {"agreement_signed": 310, "first_meeting": "First meeting", "midpoint": 999}
    expect("core_course_get_courses_by_field", COURSE, body("courses"))
    expect("core_course_get_contents", CONTENTS, body("contents"))
    expect("core_user_get_users_by_field", {"field": "idnumber", "values[0]": "E100"}, body("users")[:1])
    expect(
        "core_completion_override_activity_completion_status",
        {"userid": "41", "cmid": "311", "newstate": "1"},
        body("override"),
    )
    connection = make_connection(people, milestones=milestones)
    assert connection.rm_record_milestone(delivery=milestone("first_meeting", 1)).data["cmid"] == 311
    with pytest.raises(
        MoodleSetupError,
        match=r"milestone 'midpoint': course 'RM-2026' \(id 12\) has no activity with course-module id 999",
    ):
        connection.rm_record_milestone(delivery=milestone("midpoint", 2))

    # the same run does not read the course again for the broken one's other rows
    with pytest.raises(MoodleSetupError, match="milestone 'midpoint'"):
        connection.rm_record_milestone(delivery=milestone("midpoint", 3))
    assert connection.client.calls_by_name["core_course_get_contents"] == 1


def test_worker_threads_starting_together_read_the_course_once(
    make_connection, people: Database, expect: Expect
) -> None:
    threads = 8
    expect("core_course_get_courses_by_field", COURSE, body("courses"))
    expect("core_course_get_contents", CONTENTS, body("contents"))
    expect("core_user_get_users_by_field", {"field": "idnumber", "values[0]": "E100"}, body("users")[:1])
    expect("core_completion_override_activity_completion_status", None, body("override"), any_fields=True)
    connection = make_connection(people)
    connection.accounts.resolve_hr_ids(["E100"])  # known already, so only the course is shared
    start = threading.Barrier(threads)

    def deliver(row: int) -> int:
        start.wait()
        return connection.rm_record_milestone(delivery=milestone("first_meeting", row)).data["cmid"]

    with ThreadPoolExecutor(threads) as pool:
        assert set(pool.map(deliver, range(threads))) == {311}
    calls = connection.client.calls_by_name
    assert calls["core_course_get_courses_by_field"] == 1 and calls["core_course_get_contents"] == 1


def test_a_run_keeps_answers_and_permanent_errors_but_not_transient_ones() -> None:
    now = [0.0]
    memo: RunMemo[str, int] = RunMemo(clock=lambda: now[0])
    reads: list[str] = []

    def read(answer: int | Exception) -> Callable[[], int]:
        def run() -> int:
            reads.append("read")
            if isinstance(answer, Exception):
                raise answer
            return answer

        return run

    missing = MoodleSetupError("no course", host="moodle", call="core_course_get_courses_by_field")
    for _ in range(2):
        with pytest.raises(MoodleSetupError):
            memo.get("rm-2026", read(missing))
    assert len(reads) == 1  # a missing course is not asked about again in the same run
    now[0] += RUN_SECONDS + 1  # a later run (or a long-lived worker after the admin's fix)
    down = HostConnectionError("refused", host="moodle", call="core_course_get_courses_by_field")
    with pytest.raises(HostConnectionError):
        memo.get("rm-2026", read(down))
    assert memo.get("rm-2026", read(12)) == 12  # the outage was not kept
    assert memo.get("rm-2026", read(13)) == 12 and len(reads) == 3


def test_one_persons_completions_are_never_sent_at_once(
    make_connection, people: Database, mock: responses.RequestsMock, expect: Expect
) -> None:
    # Moodle 4.4 aggregates the course completion inside each override; two at once for one person
    # both miss it (seen: 2 of 5 tries), so the course stays incomplete until cron runs
    expect("core_course_get_courses_by_field", COURSE, body("courses"))
    expect("core_course_get_contents", CONTENTS, body("contents"))
    expect("core_user_get_users_by_field", {"field": "idnumber", "values[0]": "E100"}, body("users")[:1])
    in_flight: list[int] = []
    most = [0]
    lock = threading.Lock()

    def override(request: Any) -> tuple[int, dict[str, str], str]:
        with lock:
            in_flight.append(1)
            most[0] = max(most[0], len(in_flight))
        threading.Event().wait(0.05)  # stay in flight a moment, so an overlap would show
        with lock:
            in_flight.pop()
        return 200, {}, json.dumps(body("override"))

    mock.add_callback(
        responses.POST,
        ENDPOINT,
        callback=override,
        match=[
            matchers.urlencoded_params_matcher(
                {"wsfunction": "core_completion_override_activity_completion_status"}, strict_match=False
            )
        ],
    )
    connection = make_connection(people)
    connection.accounts.resolve_hr_ids(["E100"])
    start = threading.Barrier(3)
    keys = ["agreement_signed", "first_meeting", "final_retrospective"]

    def deliver(key: str) -> None:
        start.wait()
        connection.rm_record_milestone(delivery=milestone(key, keys.index(key)))

    with ThreadPoolExecutor(3) as pool:
        list(pool.map(deliver, keys))
    assert most[0] == 1
