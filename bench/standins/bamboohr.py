"""A local stand-in of the BambooHR API calls rm-plugin makes, as a WSGI app.

Run ``python bench/standins/bamboohr.py --port 8765`` (the sample organisation; ``--size 10000`` for
a synthetic one), then point ``connectors/bamboohr.toml`` at it with ``base_url =
"http://127.0.0.1:8765"``, ``company = "standin"``, any ``api_key`` and ``job_level_field = "Job Level"``.
It serves, in the shapes of BambooHR's OpenAPI spec (the tests check every exchange against it):
``/api/v1/meta/fields``; the custom report ``POST /api/v1/reports/custom`` (what an API key reads;
values as strings, unknown fields left out); cursor-paged ``GET /api/v1/employees`` (OAuth bearer
tokens only, as in BambooHR: its fixed fields plus those ``fields`` may name, any other name
ignored, ``page[limit]`` at most 100); ``/api/v1/employees/changed``; training types and records
(kept in memory: list, create, update).
"""

from __future__ import annotations

import argparse
import base64
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
#: What GET /api/v1/employees may add through ``fields`` (the spec's EmployeeOptionalField, in part:
#: those the stand-in has values for). Any other name is ignored, as BambooHR does.
OPTIONAL = ("workEmail", "hireDate", "departmentName", "divisionName", "locationName", "reportsToId")
MAX_PAGE = 100


def _report_row(person: Employee, fields: list[str]) -> dict[str, str]:
    """A custom-report row: the known fields asked for, every value a string ("" for none)."""
    known = {
        "id": str(person.id),
        "employeeNumber": person.number,
        "firstName": person.first,
        "lastName": person.last,
        "workEmail": person.email,
        "jobTitleName": person.title,
        "department": person.department,
        "division": person.team,
        "location": person.location,
        "reportsToId": str(person.manager or ""),
        "hireDate": person.hired,
        "terminationDate": person.terminated or "0000-00-00",
        "status": "Inactive" if person.terminated else "Active",
        "4021": str(person.level),
        "customLanguages": person.languages,
        "customTimeZone": person.time_zone,
    }
    return {"id": str(person.id), **{f: known[f] for f in fields if f in known}}


def _item(person: Employee, fields: list[str]) -> dict[str, Any]:
    """A list-employees item: the fixed members, then the optional fields asked for."""
    optional = {
        "workEmail": person.email,
        "hireDate": person.hired,
        "departmentName": person.department,
        "divisionName": person.team,
        "locationName": person.location,
        "reportsToId": str(person.manager) if person.manager else None,
    }
    return {
        "employeeId": str(person.id),
        "firstName": person.first,
        "lastName": person.last,
        "preferredName": None,
        "photoUrl": None,
        "jobTitleName": person.title,
        "status": "Inactive" if person.terminated else "Active",
        "_restrictedFields": [],
        **{f: optional[f] for f in fields if f in optional},
    }


def _cursor(offset: int) -> str:
    """An opaque cursor, base64 text as in BambooHR's own example."""
    return base64.b64encode(json.dumps({"after": offset}).encode()).decode()


def _offset(cursor: str) -> int:
    return int(json.loads(base64.b64decode(cursor))["after"])


class BambooStandIn:
    def __init__(self, people: list[Employee]) -> None:
        self.people = people
        self.by_id = {p.id: p for p in people}
        self.requests = 0
        self.training_types: dict[int, dict[str, Any]] = {}
        self.training: dict[int, dict[str, Any]] = {}

    def __call__(self, environ: dict[str, Any], start: Start) -> Iterable[bytes]:
        self.requests += 1
        path = environ["PATH_INFO"]
        params = parse_qs(environ.get("QUERY_STRING", ""))
        query = {k: v[-1] for k, v in params.items()}
        method = environ["REQUEST_METHOD"]
        if not environ.get("HTTP_AUTHORIZATION"):
            return self._reply(start, 401, None, {"X-BambooHR-Message": "Missing credentials"})
        if path == "/api/v1/meta/fields":
            return self._reply(start, 200, FIELDS)
        if path == "/api/v1/employees":
            if not environ["HTTP_AUTHORIZATION"].startswith("Bearer "):
                return self._reply(start, 401, None, {"X-BambooHR-Message": "This endpoint needs OAuth"})
            limit = int(query.get("page[limit]", 50))
            if not 1 <= limit <= MAX_PAGE:
                error = {"error": {"code": "BadRequest", "message": f"page[limit] must be 1-{MAX_PAGE}"}}
                return self._reply(start, 400, error)
            return self._reply(start, 200, self._employees(params, query, limit))
        if path == "/api/v1/reports/custom" and method == "POST":
            if environ.get("CONTENT_TYPE") != "application/json" or query.get("format") != "json":
                return self._reply(start, 400, None, {"X-BambooHR-Message": "expected a JSON report request"})
            return self._reply(start, 200, self._report(self._body(environ)))
        if path == "/api/v1/employees/changed":
            since = dt.datetime.fromisoformat(query["since"].replace("Z", "+00:00"))
            changed = [p for p in self.people if p.changed > since]
            latest = max((p.changed for p in changed), default=since)
            body = {
                "latest": latest.isoformat(),
                "employees": {
                    str(p.id): {"id": str(p.id), "action": "Updated", "lastChanged": p.changed.isoformat()}
                    for p in changed
                },
            }
            return self._reply(start, 200, body)
        if path == "/api/v1/training/type":
            if method == "POST":
                return self._reply(start, 201, self._new_type(self._body(environ)))
            return self._reply(start, 200, {str(k): t for k, t in self.training_types.items()})
        if path.startswith("/api/v1/training/record/employee/"):
            employee = path.rsplit("/", 1)[-1]
            if method == "POST":
                record = self._body(environ)
                saved = {
                    **self._record(len(self.training) + 1, employee, record),
                    "type": str(record["type"]),
                }
                self.training[saved["id"]] = saved
                return self._reply(start, 201, {**saved, "type": int(record["type"])})  # a number, once
            wanted = query.get("type")
            mine = {
                str(k): r
                for k, r in self.training.items()
                if r["employeeId"] == employee and (wanted is None or r["type"] == wanted)
            }
            return self._reply(start, 200, mine or [])
        if path.startswith("/api/v1/training/record/") and method == "PUT":
            record_id = int(path.rsplit("/", 1)[-1])
            if record_id not in self.training:
                return self._reply(start, 404, None, {"X-BambooHR-Message": "no such training record"})
            saved = self.training[record_id]
            update = self._body(environ)
            saved.update(self._record(record_id, saved["employeeId"], {**saved, **update}))
            return self._reply(start, 201, saved)
        return self._reply(start, 404, None, {"X-BambooHR-Message": f"no endpoint {path}"})

    @staticmethod
    def _body(environ: dict[str, Any]) -> dict[str, Any]:
        return json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"{}")

    @staticmethod
    def _record(record_id: int, employee: str, record: dict[str, Any]) -> dict[str, Any]:
        """A TrainingRecord: the employee id a string, numbers as strings, unset values null."""
        return {
            "id": record_id,
            "employeeId": employee,
            "completed": record["completed"],
            "notes": record.get("notes"),
            "instructor": record.get("instructor"),
            "credits": None if record.get("credits") is None else str(record["credits"]),
            "hours": None if record.get("hours") is None else str(record["hours"]),
            "cost": None,
            "type": str(record.get("type", "")),
        }

    def _new_type(self, body: dict[str, Any]) -> dict[str, Any]:
        type_id = 100 + len(self.training_types) + 1
        category = body.get("category") or []
        if category:
            category = {"id": 1, "name": category.get("name", "")}
        created = {
            "id": type_id,
            "name": body["name"],
            "renewable": bool(body.get("renewable", False)),
            "required": body.get("required"),
            "category": category,
            "linkUrl": body.get("linkUrl"),
            "description": body.get("description"),
            "allowEmployeesToMarkComplete": bool(body.get("allowEmployeesToMarkComplete", False)),
        }
        self.training_types[type_id] = created
        return created

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
            "fields": [{"id": f, "type": "text", "name": f} for f in fields if f in sample and f != "id"],
            "employees": [_report_row(p, fields) for p in people],
        }

    def _employees(self, params: dict[str, list[str]], query: dict[str, str], limit: int) -> dict[str, Any]:
        people = self.people
        ids = params.get("filter[ids][]") or [i for v in params.get("filter[ids]", []) for i in v.split(",")]
        if ids:
            people = [self.by_id[int(i)] for i in ids if int(i) in self.by_id]
        if query.get("filter[status]") == "active":
            people = [p for p in people if not p.terminated]
        fields = [f for value in params.get("fields", []) for f in value.split(",")]
        start = _offset(query["page[after]"]) if query.get("page[after]") else 0
        chunk = people[start : start + limit]
        more = start + limit < len(people)
        links: dict[str, Any] = {"self": {"href": f"/api/v1/employees?page%5Blimit%5D={limit}"}}
        if more:
            links["next"] = {
                "href": f"/api/v1/employees?page%5Blimit%5D={limit}&page%5Bafter%5D={_cursor(start + limit)}"
            }
        return {
            "data": [_item(p, fields) for p in chunk],
            "meta": {
                "total": len(people),
                "page": {
                    "limit": limit,
                    "nextCursor": _cursor(start + limit) if more else None,
                    "prevCursor": _cursor(max(0, start - limit)) if start else None,
                },
            },
            "_links": links,
        }

    def _reply(
        self, start: Start, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> list[bytes]:
        data = b"" if body is None else json.dumps(body).encode()
        reasons = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}
        start(f"{status} {reasons[status]}", [("Content-Type", "application/json"), *(headers or {}).items()])
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
