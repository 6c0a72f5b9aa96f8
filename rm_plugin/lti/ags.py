"""A client for LTI Assignment and Grade Services 2.0, on the project's HTTP foundation.

Tokens come from the platform's token endpoint by the OAuth 2 client-credentials grant with a
``private_key_jwt`` client assertion signed by the tool's key (1EdTech Security Framework §4.1);
one is reused until shortly before it expires. Line items are looked up by tag (and resource
link) before one is created, because creating is not idempotent on Moodle. Scores carry a
timestamp later than any the tool sent to that line item before, since platforms refuse older
ones (Moodle answers 409).
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from rm_plugin.http import AuthenticationError, HostError, HttpClient, InvalidRequest, link_header_pages
from rm_plugin.http.errors import UnexpectedResponse
from rm_plugin.lti import claims as c
from rm_plugin.lti.http import origin
from rm_plugin.secret import Secret

LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE = "application/vnd.ims.lis.v1.score+json"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = dt.timedelta(minutes=5)
#: A token this close to expiry is not used any more.
EXPIRY_MARGIN = dt.timedelta(seconds=60)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AgsHttp(HttpClient):
    """Grade-service calls: a 409 on a score means the platform holds a score at least as new;
    a later attempt (with a later timestamp) goes through, so it is retryable."""

    def error_for_response(self, response: requests.Response, call: str) -> HostError | None:
        if response.status_code == 409:
            return InvalidRequest(
                "the platform holds a score at least as new as this one; a later attempt sends a newer one",
                host=self.name,
                call=call,
                status=409,
                retryable=True,
            )
        return super().error_for_response(response, call)


@dataclass(frozen=True)
class PlatformGrant:
    """Who we are to the platform's token endpoint."""

    name: str
    client_id: str
    token_url: str


@dataclass(frozen=True)
class Score:
    user_id: str
    score_given: float
    score_maximum: float
    activity_progress: str = "InProgress"  # Initialized | Started | InProgress | Submitted | Completed
    grading_progress: str = "FullyGraded"
    comment: str = ""

    def body(self, timestamp: dt.datetime) -> dict[str, Any]:
        body: dict[str, Any] = {
            "userId": self.user_id,
            "scoreGiven": self.score_given,
            "scoreMaximum": self.score_maximum,
            "activityProgress": self.activity_progress,
            "gradingProgress": self.grading_progress,
            "timestamp": timestamp.astimezone(dt.UTC).isoformat(timespec="milliseconds"),
        }
        if self.comment:
            body["comment"] = self.comment
        return body


def scores_url(lineitem_url: str) -> str:
    """``…/lineitem/scores`` keeping the line item's query string after the path (Moodle's
    ``?type_id=`` must follow ``/scores``)."""
    parts = urlsplit(lineitem_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


class AgsClient:
    """Grade services of one platform registration. ``sign`` signs a claims dict with the tool's
    current key (see :class:`~rm_plugin.lti.keys.ToolKeys`)."""

    def __init__(
        self,
        grant: PlatformGrant,
        sign: Callable[[dict[str, Any]], str],
        *,
        session: requests.Session | None = None,
        clock: Callable[[], dt.datetime] = _now,
        http: AgsHttp | None = None,
    ) -> None:
        if not grant.token_url:
            raise ValueError(f"{grant.name}: the platform has no access token URL; grades need one")
        self.grant = grant
        self.sign = sign
        self.clock = clock
        self.http = http or AgsHttp(grant.name, origin(grant.token_url), session=session)
        self._tokens: dict[frozenset[str], tuple[Secret, dt.datetime]] = {}
        self._lock = threading.Lock()
        #: Tokens fetched so far (a cached token costs no request).
        self.tokens_fetched = 0

    # -- tokens ------------------------------------------------------------------------------

    def token(self, scopes: Sequence[str]) -> Secret:
        key = frozenset(scopes)
        with self._lock:
            cached = self._tokens.get(key)
            if cached is not None and self.clock() < cached[1] - EXPIRY_MARGIN:
                return cached[0]
            token, expires = self._fetch_token(scopes)
            self._tokens[key] = (token, expires)
            return token

    def forget_token(self, scopes: Sequence[str]) -> None:
        with self._lock:
            self._tokens.pop(frozenset(scopes), None)

    def _fetch_token(self, scopes: Sequence[str]) -> tuple[Secret, dt.datetime]:
        now = self.clock()
        assertion = self.sign(
            {
                "iss": self.grant.client_id,
                "sub": self.grant.client_id,
                "aud": self.grant.token_url,
                "iat": int(now.timestamp()),
                "exp": int((now + ASSERTION_LIFETIME).timestamp()),
                "jti": secrets.token_urlsafe(16),
            }
        )
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": Secret(assertion),
            "scope": " ".join(scopes),
        }
        body = self.http.request_json(
            "POST", self.grant.token_url, data=form, call_name="POST access token", idempotent=True
        )
        if not isinstance(body, Mapping) or not body.get("access_token"):
            raise UnexpectedResponse(
                "the token endpoint answered without an access_token",
                host=self.http.name,
                call="POST access token",
            )
        token = Secret(str(body["access_token"]))
        self.http.redactor.add_secret(token)
        try:
            lifetime = dt.timedelta(seconds=int(body.get("expires_in", 3600)))
        except (TypeError, ValueError):
            lifetime = dt.timedelta(hours=1)
        self.tokens_fetched += 1
        return token, now + lifetime

    def _call(self, scopes: Sequence[str], method: str, url: str, **kwargs: Any) -> requests.Response:
        """One authorised call; a cached token the platform refuses is replaced once."""
        fetched_before = self.tokens_fetched
        for attempt in (1, 2):
            token = self.token(scopes)
            headers = dict(kwargs.pop("headers", {}) or {})
            headers["Authorization"] = f"Bearer {token.reveal()}"
            try:
                return self.http.request(method, url, headers=headers, **kwargs)
            except AuthenticationError:
                if attempt == 2 or self.tokens_fetched != fetched_before:
                    raise
                self.forget_token(scopes)
                kwargs["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
        raise AssertionError("unreachable")

    # -- line items --------------------------------------------------------------------------

    def find_line_item(
        self, lineitems_url: str, *, tag: str | None = None, resource_link_id: str | None = None
    ) -> dict[str, Any] | None:
        """The first line item matching ``tag`` (and resource link), following ``Link`` pages."""
        params = {k: v for k, v in (("tag", tag), ("resource_link_id", resource_link_id)) if v}
        scopes = [c.AGS_SCOPE_LINEITEM_READONLY]
        first = _with_params(lineitems_url, params)

        def fetch(url: str) -> requests.Response:
            return self._call(scopes, "GET", url, headers={"Accept": LINEITEMS}, call_name="GET line items")

        def items(response: requests.Response) -> list[dict[str, Any]]:
            body = self.http.decode_json(response, "GET line items")
            return [i for i in body or [] if isinstance(i, dict)] if isinstance(body, list) else []

        for item in link_header_pages(fetch, first, items, host=self.http.name, call="GET line items"):
            if (tag is None or item.get("tag") == tag) and (
                resource_link_id is None or str(item.get("resourceLinkId", "")) == resource_link_id
            ):
                return item
        return None

    def create_line_item(self, lineitems_url: str, item: Mapping[str, Any]) -> dict[str, Any]:
        """POST a new line item (not idempotent: call :meth:`find_line_item` first)."""
        response = self._call(
            [c.AGS_SCOPE_LINEITEM],
            "POST",
            lineitems_url,
            json=dict(item),
            headers={"Content-Type": LINEITEM, "Accept": LINEITEM},
            call_name="POST line item",
            idempotent=False,
        )
        body = self.http.decode_json(response, "POST line item")
        if not isinstance(body, dict) or not body.get("id"):
            raise UnexpectedResponse(
                "the platform created a line item but did not say its id",
                host=self.http.name,
                call="POST line item",
            )
        return body

    def ensure_line_item(
        self,
        lineitems_url: str,
        *,
        label: str,
        score_maximum: float,
        tag: str,
        resource_link_id: str | None = None,
    ) -> dict[str, Any]:
        found = self.find_line_item(lineitems_url, tag=tag, resource_link_id=resource_link_id)
        if found is not None:
            return found
        item: dict[str, Any] = {"label": label, "scoreMaximum": score_maximum, "tag": tag}
        if resource_link_id:
            item["resourceLinkId"] = resource_link_id
        return self.create_line_item(lineitems_url, item)

    # -- scores ------------------------------------------------------------------------------

    def post_score(self, lineitem_url: str, score: Score, timestamp: dt.datetime) -> None:
        self._call(
            [c.AGS_SCOPE_SCORE],
            "POST",
            scores_url(lineitem_url),
            json=score.body(timestamp),
            headers={"Content-Type": SCORE},
            call_name="POST score",
            idempotent=False,
        )

    def close(self) -> None:
        self.http.close()


def next_timestamp(now: dt.datetime, last: dt.datetime | None) -> dt.datetime:
    """A score timestamp strictly after ``last`` (Moodle compares whole seconds, so at least one
    second later)."""
    if last is None or now >= last + dt.timedelta(seconds=1):
        return now
    return last + dt.timedelta(seconds=1)


def _with_params(url: str, params: Mapping[str, str]) -> str:
    if not params:
        return url
    from urllib.parse import urlencode

    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))
