"""A local stand-in for Moodle's REST web services, for the benchmark only (127.0.0.1).

It speaks the same form-encoded requests and JSON shapes as Moodle 4.4 for the functions the
connector uses, keeps enrolments, completions, cohort and group members, group events and the
course badge in memory, and waits ``latency`` seconds per call to stand for a real site's response
time. It keeps the quirks a real Moodle 4.4 showed: group events are returned only with
``options[userevents]=1``, and a delete naming an unknown event fails as a whole (``invalidrecord``).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qsl
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

COURSE_ID = 12
ACTIVITIES = {"agreement_signed": 310, "first_meeting": 311, "final_retrospective": 312}
BADGE = {"id": 7, "name": "Reverse mentor", "uniquehash": "0" * 40, "dateissued": 1767800000}


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128


class MoodleStandIn:
    def __init__(
        self, people: Iterable[str], *, token: str, latency: float = 0.005, without: Iterable[str] = ()
    ) -> None:
        self.token = token
        self.latency = latency
        absent = set(without)
        self.users = {hr_id: 1000 + i for i, hr_id in enumerate(people) if hr_id not in absent}
        self.events: dict[int, dict[str, Any]] = {}
        self._next_event = 9000
        self.enrolled: set[int] = set()
        self.completions: set[tuple[int, int]] = set()
        self.cohort_members: set[tuple[str, int]] = set()
        self.groups: dict[str, int] = {}  # idnumber -> group id
        self.group_members: set[tuple[int, int]] = set()
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        size = int(environ.get("CONTENT_LENGTH") or 0)
        form = dict(parse_qsl(environ["wsgi.input"].read(size).decode()))
        time.sleep(self.latency)
        function = form.get("wsfunction", "")
        with self._lock:
            self.calls[function] += 1
            if form.get("wstoken") != self.token:
                answer: Any = {
                    "exception": "moodle_exception",
                    "errorcode": "invalidtoken",
                    "message": "Invalid token",
                }
            else:
                handler = getattr(self, function, None)
                answer = (
                    handler(form)
                    if handler
                    else {
                        "exception": "webservice_access_exception",
                        "errorcode": "accessexception",
                        "message": "Access control exception",
                    }
                )
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(answer).encode()]

    def serve(self) -> tuple[str, Callable[[], None]]:
        """Start on a free port of 127.0.0.1; returns the base URL and a function that stops it."""
        server = make_server("127.0.0.1", 0, self, server_class=_ThreadingServer, handler_class=_Quiet)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()

        def stop() -> None:
            server.shutdown()
            server.server_close()

        return f"http://127.0.0.1:{server.server_port}", stop

    # -- the functions -------------------------------------------------------------------------

    @staticmethod
    def _list(form: dict[str, str], prefix: str) -> list[str]:
        return [v for k, v in form.items() if k.startswith(prefix)]

    def core_user_get_users_by_field(self, form: dict[str, str]) -> list[dict[str, Any]]:
        values = self._list(form, "values[")
        return [
            {"id": self.users[v], "idnumber": v, "username": v.lower(), "email": f"{v.lower()}@example.org"}
            for v in values
            if v in self.users
        ]

    def core_course_get_courses_by_field(self, form: dict[str, str]) -> dict[str, Any]:
        return {
            "courses": [
                {"id": COURSE_ID, "shortname": "RM", "idnumber": form.get("value"), "enablecompletion": 1}
            ],
            "warnings": [],
        }

    def core_course_get_contents(self, form: dict[str, str]) -> list[dict[str, Any]]:
        modules = [
            {"id": cmid, "name": key, "modname": "page", "completion": 1} for key, cmid in ACTIVITIES.items()
        ]
        return [{"id": 1, "section": 1, "name": "Milestones", "modules": modules}]

    def enrol_manual_enrol_users(self, form: dict[str, str]) -> None:
        for key, value in form.items():
            if key.endswith("[userid]"):
                self.enrolled.add(int(value))
        return None

    def core_cohort_add_cohort_members(self, form: dict[str, str]) -> dict[str, Any]:
        cohorts = [v for k, v in form.items() if k.endswith("[cohorttype][value]")]
        users = [int(v) for k, v in form.items() if k.endswith("[usertype][value]")]
        warnings = []
        for cohort, user in zip(cohorts, users, strict=True):
            if (cohort, user) in self.cohort_members:
                warnings.append(
                    {"item": "cohort", "itemid": 1, "warningcode": "3", "message": "record already exists"}
                )
            self.cohort_members.add((cohort, user))
        return {"warnings": warnings}

    def core_completion_override_activity_completion_status(self, form: dict[str, str]) -> dict[str, Any]:
        user, cmid = int(form["userid"]), int(form["cmid"])
        self.completions.add((user, cmid))
        return {
            "cmid": cmid,
            "userid": user,
            "state": 1,
            "timecompleted": int(time.time()),
            "overrideby": 2,
            "tracking": 1,
        }

    def core_group_get_course_groups(self, form: dict[str, str]) -> list[dict[str, Any]]:
        return [
            {"id": gid, "courseid": COURSE_ID, "name": f"Group {gid}", "idnumber": idnumber}
            for idnumber, gid in self.groups.items()
        ]

    def core_group_create_groups(self, form: dict[str, str]) -> list[dict[str, Any]]:
        idnumber = form["groups[0][idnumber]"]
        gid = self.groups.setdefault(idnumber, 5000 + len(self.groups))
        return [{"id": gid, "courseid": COURSE_ID, "name": form["groups[0][name]"], "idnumber": idnumber}]

    def core_group_add_group_members(self, form: dict[str, str]) -> None:
        groups = [int(v) for k, v in form.items() if k.endswith("[groupid]")]
        users = [int(v) for k, v in form.items() if k.endswith("[userid]")]
        self.group_members.update(zip(groups, users, strict=True))
        return None

    def core_badges_get_user_badges(self, form: dict[str, str]) -> dict[str, Any]:
        user = int(form["userid"])
        complete = all((user, cmid) in self.completions for cmid in ACTIVITIES.values())
        return {"badges": [dict(BADGE)] if complete else [], "warnings": []}

    def core_calendar_get_calendar_events(self, form: dict[str, str]) -> dict[str, Any]:
        courses = {int(v) for v in self._list(form, "events[courseids][")}
        groups = {int(v) for v in self._list(form, "events[groupids][")}
        ids = {int(v) for v in self._list(form, "events[eventids][")}
        with_groups = form.get("options[userevents]") == "1"  # what Moodle 4.4 does
        found = [
            e
            for e in self.events.values()
            if e["id"] in ids
            or (e["groupid"] == 0 and e["courseid"] in courses)
            or (with_groups and e["groupid"] in groups)
        ]
        return {"events": found, "warnings": []}

    def core_calendar_create_calendar_events(self, form: dict[str, str]) -> dict[str, Any]:
        made = []
        i = 0
        while f"events[{i}][name]" in form:
            self._next_event += 1
            event = {
                "id": self._next_event,
                "name": form[f"events[{i}][name]"],
                "description": form.get(f"events[{i}][description]", ""),
                "courseid": int(form.get(f"events[{i}][courseid]", 0)),
                "groupid": int(form.get(f"events[{i}][groupid]", 0)),
                "eventtype": form.get(f"events[{i}][eventtype]", "user"),
                "timestart": int(form[f"events[{i}][timestart]"]),
                "timeduration": int(form.get(f"events[{i}][timeduration]", 0)),
            }
            self.events[event["id"]] = event
            made.append(event)
            i += 1
        return {"events": made, "warnings": []}

    def core_calendar_delete_calendar_events(self, form: dict[str, str]) -> Any:
        ids = [int(v) for k, v in form.items() if k.endswith("[eventid]")]
        if any(i not in self.events for i in ids):  # one unknown id fails the whole call
            return {
                "exception": "dml_missing_record_exception",
                "errorcode": "invalidrecord",
                "message": "Can't find data record in database table event.",
            }
        for i in ids:
            del self.events[i]
        return None

    def events_of_group(self, group_id: int) -> list[int]:
        return sorted(e["timestart"] for e in self.events.values() if e["groupid"] == group_id)
