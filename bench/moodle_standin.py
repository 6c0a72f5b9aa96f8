"""A local stand-in for Moodle's REST web services, for the benchmark only (127.0.0.1).

It speaks the same form-encoded requests and JSON shapes as Moodle 4.4 for the functions the
connector uses, keeps enrolments, completions, cohort and group members in memory, and waits
``latency`` seconds per call to stand for a real site's response time.
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


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128


class MoodleStandIn:
    def __init__(self, people: Iterable[str], *, token: str, latency: float = 0.005) -> None:
        self.token = token
        self.latency = latency
        self.users = {hr_id: 1000 + i for i, hr_id in enumerate(people)}
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
