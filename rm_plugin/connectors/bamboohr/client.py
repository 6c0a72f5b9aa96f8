"""The BambooHR API client: BambooHR's error shapes and the calls the connector makes.

Errors arrive three ways: a human-readable ``X-BambooHR-Message`` (or ``x-bamboohr-error-message``)
header, a JSON body (``{"error": {"code", "message"}}``, RFC 7807 ``{"title", "detail"}`` or
``{"errors": [{"error"}]}``), or only a status. Throttling is a 503 today and a 429 with
``Retry-After`` from September 2026; both are retried.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from rm_plugin.http import HostError, HttpClient, PageIterator, RateLimited, cursor_pages
from rm_plugin.http.errors import UnexpectedResponse

MESSAGE_HEADERS = ("X-BambooHR-Message", "x-bamboohr-error-message", "X-BambooHR-Error-Message")
MAX_FIELDS = 400  # BambooHR refuses requests for more fields than this
#: ``page[limit]`` of ``GET /api/v1/employees``: the spec's two page schemas allow at most 100
#: and 2500; both apply (``allOf``).
MAX_PAGE = 100
#: What ``GET /api/v1/employees`` always returns for each employee.
LIST_BASE_FIELDS = (
    "employeeId",
    "firstName",
    "lastName",
    "preferredName",
    "photoUrl",
    "jobTitleName",
    "status",
)
#: What its ``fields`` parameter may add: the spec's ``EmployeeOptionalField`` list, in its order.
LIST_OPTIONAL_FIELDS = (
    "workEmail",
    "homeEmail",
    "bestEmail",
    "middleName",
    "workPhone",
    "workPhoneExtension",
    "mobilePhone",
    "homePhone",
    "skypeUsername",
    "linkedinUrl",
    "facebookUrl",
    "instagramUrl",
    "twitterUrl",
    "pinterestUrl",
    "birthDate",
    "hireDate",
    "divisionName",
    "divisionId",
    "departmentName",
    "departmentId",
    "locationName",
    "locationId",
    "jobTitleId",
    "employmentStatusName",
    "employmentStatusId",
    "reportsToName",
    "reportsToId",
)
LIST_FIELDS = frozenset(LIST_BASE_FIELDS + LIST_OPTIONAL_FIELDS)


class BambooHttp(HttpClient):
    """HttpClient that reads BambooHR's error headers and bodies, and always asks for JSON."""

    def error_for_response(self, response: requests.Response, call: str) -> HostError | None:
        if response.status_code < 400:
            return None
        message, code = self._host_message(response)
        if response.status_code == 503:
            # BambooHR throttles with 503 until September 2026 (then 429 with Retry-After).
            return RateLimited(
                message or "the host is throttling or unavailable (HTTP 503)",
                host=self.name,
                call=call,
                status=503,
                code=code,
                request_id=self.request_id(response),
                retry_after=self.retry.parse_retry_after(response.headers.get("Retry-After")),
            )
        return self.error_from_status(response, call, message=message, code=code)

    def _host_message(self, response: requests.Response) -> tuple[str | None, str | None]:
        header = next((response.headers[h] for h in MESSAGE_HEADERS if response.headers.get(h)), None)
        code: str | None = None
        body_message: str | None = None
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        if isinstance(body, Mapping):
            error = body.get("error")
            if isinstance(error, Mapping):
                body_message = str(error.get("message") or "") or None
                code = str(error["code"]) if error.get("code") is not None else None
            elif body.get("title") or body.get("detail"):  # RFC 7807 (datasets)
                body_message = ": ".join(str(body[k]) for k in ("title", "detail") if body.get(k))
                code = str(body["code"]) if body.get("code") is not None else None
            elif isinstance(body.get("errors"), list):
                texts = [
                    str(e.get("error")) for e in body["errors"] if isinstance(e, Mapping) and e.get("error")
                ]
                body_message = "; ".join(texts) or None
        parts = [p for p in (header, body_message) if p]
        if len(parts) == 2 and parts[0] == parts[1]:
            parts = parts[:1]
        return ("; ".join(parts) or None), code


@dataclass(frozen=True)
class ReportAnswer:
    """A custom report's answer: the field ids BambooHR kept, and one mapping per employee."""

    fields: tuple[str, ...]
    employees: list[Mapping[str, Any]]


class BambooApi:
    """The BambooHR calls rm-plugin makes, over one :class:`BambooHttp`."""

    def __init__(self, http: BambooHttp) -> None:
        self.http = http

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        body = self.http.request_json(method, path, headers={"Accept": "application/json"}, **kwargs)
        return body

    def meta_fields(self) -> list[Mapping[str, Any]]:
        body = self._json("GET", "/api/v1/meta/fields", call_name="GET /api/v1/meta/fields")
        if not isinstance(body, list):
            raise self._shape("GET /api/v1/meta/fields", "a list of fields")
        return [f for f in body if isinstance(f, Mapping)]

    def employees(
        self,
        fields: Sequence[str],
        *,
        ids: Iterable[str] = (),
        only_active: bool = False,
        page_size: int = MAX_PAGE,
    ) -> PageIterator[Mapping[str, Any]]:
        """Employees, one cursor page at a time (``page[after]`` / ``meta.page.nextCursor``).

        ``fields`` may name only what the endpoint returns: its fixed set (:data:`LIST_BASE_FIELDS`)
        and the optional fields of :data:`LIST_OPTIONAL_FIELDS`, which BambooHR's spec allows in
        ``fields`` (anything else it ignores without an error, so asking for it is a bug here).
        Sent in the documented forms: ``fields`` exploded (``fields=a&fields=b``), the ids as
        ``filter[ids][]``, and ``page[limit]`` at most :data:`MAX_PAGE`.
        """
        unknown = [f for f in fields if f not in LIST_FIELDS]
        if unknown:
            raise ValueError(f"GET /api/v1/employees does not return {', '.join(unknown)}")
        if not 1 <= page_size <= MAX_PAGE:
            raise ValueError(f"{self.http.name}: page size {page_size} is not within 1-{MAX_PAGE}")
        call = "GET /api/v1/employees"
        params: dict[str, Any] = {"page[limit]": page_size}
        optional = [f for f in dict.fromkeys(fields) if f in LIST_OPTIONAL_FIELDS]
        if optional:
            params["fields"] = optional
        id_list = list(ids)
        if id_list:
            params["filter[ids][]"] = id_list
        if only_active:
            params["filter[status]"] = "active"

        def fetch(cursor: str | None) -> tuple[list[Mapping[str, Any]], str | None]:
            query = dict(params)
            if cursor:
                query["page[after]"] = cursor
            body = self._json("GET", "/api/v1/employees", params=query, call_name=call)
            if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
                raise self._shape(call, '{"data": [...], "meta": {...}}')
            page = (body.get("meta") or {}).get("page") or {}
            return [e for e in body["data"] if isinstance(e, Mapping)], page.get("nextCursor") or None

        return cursor_pages(fetch, host=self.http.name, call=call)

    def report(
        self, fields: Sequence[str], *, ids: Iterable[str] | None = None, changed_since: str | None = None
    ) -> ReportAnswer:
        """A custom report of ``fields`` for every employee (active and inactive) in one request.

        The route an API key may use for the whole roster (``GET /api/v1/employees`` is OAuth-only).
        BambooHR parses the body as XML unless ``Content-Type`` is exactly ``application/json``, and
        silently drops fields it does not know or the key may not read: the answer's ``fields`` says
        which it kept. ``ids`` narrows it to those employees, ``changed_since`` to recent changes.
        """
        if len(fields) > MAX_FIELDS:
            raise ValueError(f"{self.http.name}: BambooHR returns at most {MAX_FIELDS} fields per request")
        call = "POST /api/v1/reports/custom"
        body: dict[str, Any] = {"title": "rm-plugin roster", "fields": list(fields)}
        filters: dict[str, Any] = {}
        if ids is not None:
            filters["employeeIds"] = [int(i) if str(i).isdigit() else i for i in ids]
        if changed_since is not None:
            filters["lastChanged"] = {"includeNull": "no", "value": changed_since}
        if filters:
            body["filters"] = filters
        response = self.http.request(
            "POST",
            "/api/v1/reports/custom",
            params={"format": "json"},
            data=json.dumps(body).encode(),
            headers={"Accept": "application/json", "Content-Type": "application/json"},
            idempotent=True,  # a read, although a POST
            call_name=call,
        )
        answer = self.http.decode_json(response, call)
        if not isinstance(answer, Mapping) or not isinstance(answer.get("employees"), list):
            raise self._shape(call, '{"fields": [...], "employees": [...]}')
        kept = tuple(
            str(f.get("id")) for f in answer.get("fields") or [] if isinstance(f, Mapping) and f.get("id")
        )
        employees = [e for e in answer["employees"] if isinstance(e, Mapping)]
        return ReportAnswer(kept, employees)

    def changed(self, since: str) -> tuple[str | None, dict[str, str]]:
        """Employees changed since ``since`` (ISO 8601): the host's ``latest`` and id -> action."""
        call = "GET /api/v1/employees/changed"
        body = self._json("GET", "/api/v1/employees/changed", params={"since": since}, call_name=call)
        if not isinstance(body, Mapping):
            raise self._shape(call, '{"latest": ..., "employees": {...}}')
        employees = body.get("employees") or {}
        if isinstance(employees, list):  # an empty PHP array
            employees = {}
        actions = {
            str(value.get("id", key)): str(value.get("action", "Updated"))
            for key, value in employees.items()
            if isinstance(value, Mapping)
        }
        return (str(body["latest"]) if body.get("latest") else None), actions

    def training_types(self) -> dict[str, Mapping[str, Any]]:
        body = self._json("GET", "/api/v1/training/type", call_name="GET /api/v1/training/type")
        return _keyed(body)

    def create_training_type(self, name: str, category: str | None, description: str) -> Mapping[str, Any]:
        payload: dict[str, Any] = {"name": name, "description": description}
        if category:
            payload["category"] = {"name": category}
        call = "POST /api/v1/training/type"
        body = self._json("POST", "/api/v1/training/type", json=payload, call_name=call)
        if not isinstance(body, Mapping) or "id" not in body:
            raise self._shape(call, "the created training type")
        return body

    def training_records(self, employee_id: str, type_id: str) -> dict[str, Mapping[str, Any]]:
        call = "GET /api/v1/training/record/employee/{id}"
        body = self._json(
            "GET", f"/api/v1/training/record/employee/{employee_id}", params={"type": type_id}, call_name=call
        )
        return _keyed(body)

    def add_training_record(self, employee_id: str, record: Mapping[str, Any]) -> Mapping[str, Any]:
        call = "POST /api/v1/training/record/employee/{id}"
        body = self._json(
            "POST", f"/api/v1/training/record/employee/{employee_id}", json=dict(record), call_name=call
        )
        return body if isinstance(body, Mapping) else {}

    def update_training_record(self, record_id: str, record: Mapping[str, Any]) -> Mapping[str, Any]:
        """Update a record; its type cannot change, so ``type`` is not sent (the spec has no such key)."""
        call = "PUT /api/v1/training/record/{id}"
        payload = {k: v for k, v in record.items() if k != "type"}
        body = self._json("PUT", f"/api/v1/training/record/{record_id}", json=payload, call_name=call)
        return body if isinstance(body, Mapping) else {}

    def _shape(self, call: str, expected: str) -> UnexpectedResponse:
        return UnexpectedResponse(f"the answer was not {expected}", host=self.http.name, call=call)


def _keyed(body: Any) -> dict[str, Mapping[str, Any]]:
    """BambooHR answers an object keyed by id, or ``[]`` when there is nothing."""
    if isinstance(body, Mapping):
        return {str(k): v for k, v in body.items() if isinstance(v, Mapping)}
    if isinstance(body, list):
        return {str(v["id"]): v for v in body if isinstance(v, Mapping) and "id" in v}
    return {}
