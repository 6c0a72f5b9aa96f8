"""Workday REST (Performance Enablement v5): recognition as anytime feedback with a badge.

REST resources are addressed by Workday IDs (WIDs), so the worker and the badge are looked up
first (``GET /workers?search=<Employee_ID>``, ``GET /feedbackBadges``) and remembered. Errors
arrive as ``{"error": …, "errors": [{"error", "code", "field", "path"}]}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from rm_plugin.connectors.workday.oauth import WorkdayOAuth, once_more_on_401
from rm_plugin.http import HostError, HttpClient, NotFound, PageIterator, UnexpectedResponse, offset_pages

#: Workday REST collections answer at most this many items per page.
REST_PAGE = 100


class WorkdayRestHttp(HttpClient):
    """HttpClient that reads Workday's REST error model into the message and code."""

    def error_for_response(self, response: requests.Response, call: str) -> HostError | None:
        if response.status_code < 400:
            return None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, Mapping):
            return super().error_for_response(response, call)
        parts: list[str] = []
        code: str | None = None
        if body.get("error"):
            parts.append(str(body["error"]))
        for item in body.get("errors") or []:
            if not isinstance(item, Mapping):
                continue
            text = str(item.get("error") or "")
            where = item.get("field") or item.get("path")
            if where:
                text = f"{text} (field {where})" if text else f"field {where}"
            if text and text not in parts:
                parts.append(text)
            code = code or (str(item["code"]) if item.get("code") else None)
        return self.error_from_status(response, call, message="; ".join(parts) or None, code=code)


class WorkdayRest:
    """The REST calls rm-plugin makes, with a bearer token from :class:`WorkdayOAuth`."""

    def __init__(self, http: WorkdayRestHttp, oauth: WorkdayOAuth, *, tenant: str) -> None:
        self.http = http
        self.oauth = oauth
        self.base = f"/ccx/api/performanceEnablement/v5/{tenant}"
        self._workers: dict[str, str] = {}
        self._badges: dict[str, str] | None = None

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return once_more_on_401(
            self.oauth, lambda: self.http.request_json(method, f"{self.base}{path}", **kwargs)
        )

    def worker_wid(self, employee_id: str) -> str:
        """The WID of the worker whose Employee_ID is ``employee_id`` (searched once, then remembered)."""
        if employee_id not in self._workers:
            call = "GET /performanceEnablement/v5/workers"
            body = self._json(
                "GET",
                "/workers",
                params={"search": employee_id, "limit": REST_PAGE},
                call_name=call,
            )
            data = body.get("data") if isinstance(body, Mapping) else None
            if not isinstance(data, list):
                raise UnexpectedResponse('the answer was not {"data": [...]}', host=self.http.name, call=call)
            matches = [w for w in data if isinstance(w, Mapping) and str(w.get("workerId")) == employee_id]
            if not matches and len(data) == 1 and isinstance(data[0], Mapping) and "workerId" not in data[0]:
                matches = [data[0]]
            if len(matches) != 1 or not matches[0].get("id"):
                raise NotFound(
                    f"no single worker has the Employee_ID {employee_id!r} ({len(matches)} found)",
                    host=self.http.name,
                    call=call,
                )
            self._workers[employee_id] = str(matches[0]["id"])
        return self._workers[employee_id]

    def badges(self) -> dict[str, str]:
        """Active feedback badges: their Feedback_Badge_ID, name and WID, each -> the WID."""
        if self._badges is None:
            call = "GET /performanceEnablement/v5/feedbackBadges"

            def fetch(offset: int, limit: int) -> tuple[list[Mapping[str, Any]], int | None]:
                body = self._json(
                    "GET", "/feedbackBadges", params={"offset": offset, "limit": limit}, call_name=call
                )
                if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
                    raise UnexpectedResponse(
                        'the answer was not {"total": n, "data": [...]}', host=self.http.name, call=call
                    )
                total = body.get("total")
                return [b for b in body["data"] if isinstance(b, Mapping)], (
                    int(total) if total is not None else None
                )

            found: dict[str, str] = {}
            for badge in offset_pages(
                fetch, host=self.http.name, call=call, limit=REST_PAGE, max_limit=REST_PAGE
            ):
                wid = str(badge.get("id") or badge.get("workdayID") or "")
                if not wid:
                    continue
                for name in (badge.get("feedbackBadgeID"), badge.get("name"), badge.get("descriptor"), wid):
                    if name:
                        found.setdefault(str(name), wid)
            self._badges = found
        return self._badges

    def badge_wid(self, badge: str) -> str:
        wid = self.badges().get(badge)
        if wid is None:
            raise NotFound(
                f"no active feedback badge {badge!r} (by Feedback_Badge_ID, name or WID)",
                host=self.http.name,
                call="GET /performanceEnablement/v5/feedbackBadges",
            )
        return wid

    def feedback_events(self, worker_wid: str) -> PageIterator[Mapping[str, Any]]:
        """The worker's anytime feedback events, page by page (read to find what an earlier try gave)."""
        call = "GET /performanceEnablement/v5/workers/{ID}/anytimeFeedbackEvents"

        def fetch(offset: int, limit: int) -> tuple[list[Mapping[str, Any]], int | None]:
            body = self._json(
                "GET",
                f"/workers/{worker_wid}/anytimeFeedbackEvents",
                params={"offset": offset, "limit": limit},
                call_name=call,
            )
            if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
                raise UnexpectedResponse(
                    'the answer was not {"total": n, "data": [...]}', host=self.http.name, call=call
                )
            total = body.get("total")
            events = [e for e in body["data"] if isinstance(e, Mapping)]
            return events, (int(total) if total is not None else None)

        return offset_pages(fetch, host=self.http.name, call=call, limit=REST_PAGE, max_limit=REST_PAGE)

    def give_feedback(self, worker_wid: str, body: Mapping[str, Any]) -> Mapping[str, Any]:
        """Start the Give Feedback business process. Not idempotent: a retry looks first (feedback.py)."""
        call = "POST /performanceEnablement/v5/workers/{ID}/anytimeFeedbackEvents"
        answer = self._json(
            "POST",
            f"/workers/{worker_wid}/anytimeFeedbackEvents",
            json=dict(body),
            call_name=call,
            idempotent=False,
        )
        return answer if isinstance(answer, Mapping) else {}
