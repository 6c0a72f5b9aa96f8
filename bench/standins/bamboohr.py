"""A local stand-in of the BambooHR API calls rm-plugin makes, as a WSGI app.

Run ``python bench/standins/bamboohr.py --port 8765`` (the sample organisation; ``--size 10000`` for
a synthetic one), then point ``connectors/bamboohr.toml`` at it with ``base_url =
"http://127.0.0.1:8765"``, ``company = "standin"``, any ``api_key`` and ``job_level_field = "Job Level"``.
It serves ``/api/v1/meta/fields``, the custom report ``POST /api/v1/reports/custom`` (what an API key
reads), cursor-paged ``/api/v1/employees`` (OAuth bearer tokens only, as in BambooHR) and
``/api/v1/employees/changed`` in the shapes of host-apis §2, and training records (kept in memory).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[2])]
from org import Employee, sample, synthetic  # noqa: E402

Start = Callable[[str, list[tuple[str, str]]], Any]
FIELDS = [
    {"id": 1, "name": "Work Email", "type": "email", "alias": "workEmail"},
    {"id": 4021, "name": "Job Level", "type": "list"},
    {"id": 4030, "name": "Languages", "type": "text", "alias": "customLanguages"},
    {"id": 4031, "name": "Time Zone", "type": "text", "alias": "customTimeZone"},
]


def _report_row(person: Employee, fields: list[str]) -> dict[str, Any]:
    """A custom-report row: the fields asked for that exist, values as strings, keyed by id."""
    known = {
        **_item(person),
        "id": str(person.id),
        "department": person.department,
        "division": person.team,
        "location": person.location,
        "reportsToId": str(person.manager) if person.manager else None,
    }
    return {"id": str(person.id), **{f: known[f] for f in fields if f in known}}


def _item(person: Employee) -> dict[str, Any]:
    return {
        "employeeId": person.id,
        "employeeNumber": person.number,
        "firstName": person.first,
        "lastName": person.last,
        "workEmail": person.email,
        "jobTitleName": person.title,
        "departmentName": person.department,
        "divisionName": person.team,
        "locationName": person.location,
        "reportsToId": person.manager,
        "hireDate": person.hired,
        "terminationDate": person.terminated or "0000-00-00",
        "status": "Inactive" if person.terminated else "Active",
        "4021": str(person.level),
        "customLanguages": person.languages,
        "customTimeZone": person.time_zone,
    }


class BambooStandIn:
    def __init__(self, people: list[Employee]) -> None:
        self.people = people
        self.by_id = {p.id: p for p in people}
        self.requests = 0
        self.training: dict[str, dict[str, Any]] = {}

    def __call__(self, environ: dict[str, Any], start: Start) -> Iterable[bytes]:
        self.requests += 1
        path = environ["PATH_INFO"]
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        method = environ["REQUEST_METHOD"]
        if not environ.get("HTTP_AUTHORIZATION"):
            return self._reply(start, 401, None, {"X-BambooHR-Message": "Missing credentials"})
        if path == "/api/v1/meta/fields":
            return self._reply(start, 200, FIELDS)
        if path == "/api/v1/employees":
            if not environ["HTTP_AUTHORIZATION"].startswith("Bearer "):
                return self._reply(start, 401, None, {"X-BambooHR-Message": "This endpoint needs OAuth"})
            return self._reply(start, 200, self._employees(query))
        if path == "/api/v1/reports/custom" and method == "POST":
            if environ.get("CONTENT_TYPE") != "application/json" or query.get("format") != "json":
                return self._reply(start, 400, None, {"X-BambooHR-Message": "expected a JSON report request"})
            body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
            return self._reply(start, 200, self._report(body))
        if path == "/api/v1/employees/changed":
            since = dt.datetime.fromisoformat(query["since"].replace("Z", "+00:00"))
            changed = [p for p in self.people if p.changed > since]
            latest = max((p.changed for p in changed), default=None)
            body = {
                "latest": latest.isoformat() if latest else None,
                "employees": {
                    str(p.id): {"id": str(p.id), "action": "Updated", "lastChanged": p.changed.isoformat()}
                    for p in changed
                },
            }
            return self._reply(start, 200, body)
        if path.startswith("/api/v1/training/record/employee/"):
            employee = path.rsplit("/", 1)[-1]
            if method == "POST":
                record = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
                record.update(id=len(self.training) + 1, employeeId=int(employee))
                self.training[str(record["id"])] = record
                return self._reply(start, 201, record)
            mine = {k: r for k, r in self.training.items() if str(r["employeeId"]) == employee}
            return self._reply(start, 200, mine or [])
        return self._reply(start, 404, None, {"X-BambooHR-Message": f"no endpoint {path}"})

    def _report(self, body: dict[str, Any]) -> dict[str, Any]:
        fields = [str(f) for f in body.get("fields", [])]
        filters = body.get("filters") or {}
        people = self.people
        if "employeeIds" in filters:
            people = [self.by_id[int(i)] for i in filters["employeeIds"] if int(i) in self.by_id]
        if "lastChanged" in filters:
            since = dt.datetime.fromisoformat(filters["lastChanged"]["value"].replace("Z", "+00:00"))
            people = [p for p in people if p.changed > since]
        sample = _report_row(self.people[0], fields) if self.people else {}
        return {
            "title": body.get("title", ""),
            "fields": [{"id": f, "type": "text", "name": f} for f in fields if f in sample],
            "employees": [_report_row(p, fields) for p in people],
        }

    def _employees(self, query: dict[str, str]) -> dict[str, Any]:
        people = self.people
        if query.get("filter[ids]"):
            people = [self.by_id[int(i)] for i in query["filter[ids]"].split(",") if int(i) in self.by_id]
        if query.get("filter[status]") == "active":
            people = [p for p in people if not p.terminated]
        limit = int(query.get("page[limit]", 50))
        start = int(query.get("page[after]", "0"))
        chunk = people[start : start + limit]
        more = start + limit < len(people)
        return {
            "data": [_item(p) for p in chunk],
            "meta": {
                "total": len(people),
                "page": {"limit": limit, "nextCursor": str(start + limit) if more else None},
            },
        }

    def _reply(
        self, start: Start, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> list[bytes]:
        data = b"" if body is None else json.dumps(body).encode()
        reason = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}[
            status
        ]
        start(f"{status} {reason}", [("Content-Type", "application/json"), *(headers or {}).items()])
        return [data]


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--size", type=int, default=0, help="a synthetic organisation of this many people")
    args = parser.parse_args()
    app = BambooStandIn(synthetic(args.size) if args.size else sample())
    print(f"BambooHR stand-in with {len(app.people)} employees on http://127.0.0.1:{args.port}")
    make_server("127.0.0.1", args.port, app, handler_class=_Quiet).serve_forever()


if __name__ == "__main__":
    main()
