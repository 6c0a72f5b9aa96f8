"""``HttpClient``: one configured host connection over ``requests``, shared by every connector.

It owns what all connectors need and none should re-implement: timeouts, retries, mapping HTTP
statuses and transport failures onto the error tree, redacted DEBUG logging and call counting.
What differs per host (Moodle's HTTP-200 exception envelope, BambooHR's message headers, Workday's
SOAP faults) goes in a subclass's :meth:`HttpClient.error_for_response`.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.auth import AuthBase, HTTPBasicAuth

from rm_plugin import __version__
from rm_plugin.http.errors import (
    AuthenticationError,
    HostConnectionError,
    HostError,
    HostTimeout,
    HostUnavailable,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    RateLimited,
    UnexpectedResponse,
)
from rm_plugin.http.redaction import Redactor, Secret
from rm_plugin.http.retry import RetryPolicy

logger = logging.getLogger(__name__)

USER_AGENT = f"rm-plugin/{__version__}"

#: (connect, read) seconds: connecting is quick or broken; some host reports take a while to answer.
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 60.0)

_STATUS_ERRORS: dict[int, type[HostError]] = {
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    408: HostTimeout,
    410: NotFound,
    429: RateLimited,
}
# 5xx statuses that say retrying cannot help.
_PERMANENT_SERVER_STATUSES = frozenset({501, 505})

_TAG = re.compile(r"<[^>]*>")
_HTML = re.compile(r"<(?:!doctype\s+html|html|head|body|title)\b", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_SPACE = re.compile(r"\s+")

Timeout = float | tuple[float, float]


class HttpClient:
    """One connection to one host (``name`` is the connection's name, e.g. ``moodle-main``).

    ``session`` is the transport: pass your own ``requests.Session`` (or a stand-in) to replay
    recorded responses or share a pool; the client sets its user agent, headers and auth on it, and
    closes only a session it created itself. Anything passed as a :class:`Secret` (auth, header
    values, ``secrets``, ``params`` and ``data`` values) is sent revealed and redacted from every
    log line, error and ``repr``.
    """

    #: Response headers that may carry the host's request id, first found wins.
    request_id_headers: tuple[str, ...] = (
        "X-Request-ID",
        "X-BambooHR-Request-ID",
        "Request-ID",
        "X-Correlation-ID",
    )

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        session: requests.Session | None = None,
        auth: AuthBase | tuple[str | Secret, str | Secret] | None = None,
        headers: Mapping[str, str | Secret] | None = None,
        secrets: Iterable[str | Secret] = (),
        redactor: Redactor | None = None,
        retry: RetryPolicy | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        log: logging.Logger | None = None,
    ) -> None:
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise ValueError(f"{name}: base URL must start with http:// or https://")
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.redactor = redactor or Redactor()
        for secret in secrets:
            self.redactor.add_secret(secret)
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.log = log or logger
        #: HTTP requests sent (every attempt counts), by method and by call name.
        self.calls: Counter[str] = Counter()
        self.calls_by_name: Counter[str] = Counter()

        self._owns_session = session is None
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        for header, value in (headers or {}).items():
            self.session.headers[header] = self._reveal(value)
        if isinstance(auth, tuple):
            auth = HTTPBasicAuth(self._reveal(auth[0]), self._reveal(auth[1]))
        if auth is not None:
            self.session.auth = auth

    def _reveal(self, value: str | Secret) -> str:
        if isinstance(value, Secret):
            self.redactor.add_secret(value)
            return value.reveal()
        return value

    def _reveal_values(self, values: Any) -> Any:
        # e.g. Moodle's data={"wstoken": Secret(...)}: requests would otherwise send "Secret('***')".
        if isinstance(values, Mapping):
            return {
                key: self._reveal(value) if isinstance(value, Secret) else value
                for key, value in values.items()
            }
        return values

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, base_url={self.redactor.redact(self.base_url)!r})"

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sending -----------------------------------------------------------------------------

    def url_for(self, path: str) -> str:
        """The full URL for ``path``; absolute URLs (a Link header's next page) must stay on this host,
        so that the connection's credentials never travel elsewhere."""
        if urlsplit(path).scheme:
            base, target = urlsplit(self.base_url), urlsplit(path)
            if (target.scheme, target.netloc) != (base.scheme, base.netloc):
                raise ValueError(
                    f"{self.name}: refusing to send this connection's credentials to "
                    f"{self.redactor.redact(f'{target.scheme}://{target.netloc}')}, "
                    f"which is not {self.redactor.redact(self.base_url)}"
                )
            return path
        return f"{self.base_url}/{path.lstrip('/')}" if path else self.base_url

    def call_name(self, method: str, url: str, call_name: str | None = None) -> str:
        """What errors and logs call this request: the given name, else ``METHOD /path``."""
        return call_name or f"{method.upper()} {urlsplit(url).path or '/'}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        call_name: str | None = None,
        timeout: Timeout | None = None,
    ) -> requests.Response:
        """Send one call, retrying it while that is safe; return the response or raise a HostError.

        ``idempotent`` overrides the retry policy's view (True for an upsert-by-ID POST, False for
        a GET with side effects); ``call_name`` names the call in errors and logs, e.g. a Moodle
        ``wsfunction`` or a SOAP operation.
        """
        method = method.upper()
        url = self.url_for(path)
        call = self.call_name(method, url, call_name)
        may_retry = self.retry.may_retry(method, call, idempotent)
        request = requests.Request(
            method,
            url,
            params=self._reveal_values(params),
            data=self._reveal_values(data),
            json=json,
            headers=headers,
        )
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            response, error = self._attempt(request, call, attempt, timeout or self.timeout)
            if error is None:
                assert response is not None
                return response
            error.redact(self.redactor.redact)
            delay = self.retry.delay_for(attempt, error, waited) if may_retry else None
            if delay is None:
                raise error from None
            self.log.info(
                "http retry host=%s call=%s attempt=%d delay_s=%.3f error=%s",
                self.name,
                error.call,
                attempt,
                delay,
                error,
            )
            self.retry.sleep(delay)
            waited += delay

    def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Like :meth:`request`, then decode the body as JSON (None for an empty body)."""
        call = self.call_name(method, self.url_for(path), kwargs.get("call_name"))
        return self.decode_json(self.request(method, path, **kwargs), call)

    def _attempt(
        self, request: requests.Request, call: str, attempt: int, timeout: Timeout
    ) -> tuple[requests.Response | None, HostError | None]:
        started = time.perf_counter()
        url = request.url
        response: requests.Response | None = None
        try:
            prepared = self.session.prepare_request(request)
            url = prepared.url or url
            settings = self.session.merge_environment_settings(url, {}, None, None, None)
            self.calls[request.method] += 1
            self.calls_by_name[call] += 1
            # Never follow a redirect: it can carry the credentials to another place, and a web
            # service that redirects (to a login page, say) is misconfigured, not answering.
            response = self.session.send(prepared, timeout=timeout, allow_redirects=False, **settings)
        except requests.RequestException as exc:
            error: HostError | None = self._transport_error(exc, call, timeout, url)
            outcome = type(error).__name__
        else:
            try:
                error = self._redirect_error(response, call) or self.error_for_response(response, call)
            except HostError as raised:  # a hook may raise instead of return, e.g. via decode_json
                error = raised
            outcome = str(response.status_code)
        if self.log.isEnabledFor(logging.DEBUG):
            self.log.debug(
                "http host=%s call=%s method=%s url=%s status=%s elapsed_ms=%d attempt=%d",
                self.name,
                self.redactor.redact(call),
                request.method,
                self.redactor.redact(url),
                outcome,
                round((time.perf_counter() - started) * 1000),
                attempt,
            )
        return response, error

    def _transport_error(
        self, exc: requests.RequestException, call: str, timeout: Timeout, url: str
    ) -> HostError:
        # requests puts the URL, query string included, into its messages: redact before keeping.
        detail = self.redactor.redact(f"{type(exc).__name__}: {exc}")
        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        error: HostConnectionError
        if isinstance(exc, requests.ConnectTimeout):
            return HostTimeout(
                f"could not connect within {connect:g} s; check the base URL and the network ({detail})",
                host=self.name,
                call=call,
            )
        if isinstance(exc, requests.Timeout):
            error = HostTimeout(f"no answer within {read:g} s ({detail})", host=self.name, call=call)
            error.request_sent = True
            return error
        if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
            where = self.redactor.redact(urlsplit(url).netloc)
            reason = self.redactor.redact(_root_cause(exc))
            error = HostConnectionError(
                f"could not reach the host {where}: {reason}; check the base URL and the network",
                host=self.name,
                call=call,
            )
            # "Connection aborted" / a body cut short: the request went out, the answer broke off.
            cause = exc.args[0] if exc.args else None
            error.request_sent = isinstance(exc, requests.exceptions.ChunkedEncodingError) or isinstance(
                cause, urllib3.exceptions.ProtocolError
            )
            return error
        return HostConnectionError(detail, host=self.name, call=call, retryable=False)

    # -- reading responses: the hooks connectors override ------------------------------------

    def error_for_response(self, response: requests.Response, call: str) -> HostError | None:
        """The error this response means, or None if it is a success. Override per host.

        The default reads the HTTP status only. Connectors whose host reports errors in the body
        (Moodle's ``{"exception", "errorcode", "message"}`` with HTTP 200, SOAP faults) or in
        headers (BambooHR's ``X-BambooHR-Message``) check for that first, then build the error
        with :meth:`error_from_status` or a class from the error tree.
        """
        if response.status_code < 400:
            return None
        return self.error_from_status(response, call)

    def _redirect_error(self, response: requests.Response, call: str) -> HostError | None:
        """A redirect, for every host alike (before any host reads its own error shape)."""
        if not 300 <= response.status_code < 400:
            return None
        target = self.redactor.redact(response.headers.get("Location", "somewhere else"))
        return InvalidRequest(
            f"the host redirected to {target} instead of answering; check the URL in the "
            "connector file (an http:// URL for an https:// site, or a login page in front of it)",
            host=self.name,
            call=call,
            status=response.status_code,
            request_id=self.request_id(response),
            retryable=False,
        )

    def error_from_status(
        self, response: requests.Response, call: str, *, message: str | None = None, code: str | None = None
    ) -> HostError:
        """The error-tree class for ``response``'s HTTP status, filled from the response."""
        status = response.status_code
        cls = _STATUS_ERRORS.get(status) or (HostUnavailable if status >= 500 else InvalidRequest)
        retryable = False if status in _PERMANENT_SERVER_STATUSES else None
        return cls(
            message or self.describe(response),
            host=self.name,
            call=call,
            status=status,
            code=code,
            request_id=self.request_id(response),
            retryable=retryable,
            retry_after=self.retry.parse_retry_after(response.headers.get("Retry-After")),
        )

    def decode_json(self, response: requests.Response, call: str, *, empty_ok: bool = True) -> Any:
        """The JSON body, or :class:`UnexpectedResponse` when the body is not JSON.

        An empty body is None when ``empty_ok`` (a host that answers some calls with no body),
        else an error. See :meth:`unreadable` for which unreadable bodies are worth retrying.
        """
        if not response.content:
            if empty_ok:
                return None
            raise self.unreadable(response, call, None)
        try:
            return response.json()
        except ValueError as exc:
            raise self.unreadable(response, call, exc) from None

    def unreadable(
        self, response: requests.Response, call: str, problem: ValueError | None
    ) -> UnexpectedResponse:
        """The error for a body that should have been JSON and is not.

        A maintenance or proxy page (HTML with any status), an empty body and JSON cut short
        are what a host sends while it is restarting or a proxy gives up: they are retryable,
        like a 503. JSON that is malformed before its end is a host defect and is not. The
        message names the shape and never echoes the body: it may hold people's records.
        """
        content_type = response.headers.get("Content-Type") or "no content type"
        size = len(response.content)
        text = response.content.decode("utf-8", errors="replace")
        looks_json = "json" in content_type.lower() or text.lstrip()[:1] in ("{", "[")
        retryable = True
        if problem is None:
            what = "an empty body where JSON was expected"
        elif looks_json and isinstance(problem, json.JSONDecodeError):
            # the parser ran out of input: an open string, or an error at the very end
            if problem.msg.startswith("Unterminated string") or problem.pos >= len(text.rstrip()):
                what = f"truncated JSON: the body ends after {size} bytes, mid-value"
            else:
                what = f"malformed JSON ({problem.msg} at character {problem.pos} of {len(text)})"
                retryable = False
        elif _HTML.search(text):
            title = _TITLE.search(text)
            shown = self.redactor.redact(_SPACE.sub(" ", title.group(1)).strip()[:120]) if title else ""
            what = f"an HTML page instead of JSON ({shown!r})" if shown else "an HTML page instead of JSON"
        else:
            what = f"a {content_type} body instead of JSON ({size} bytes)"
        message = what if 200 <= response.status_code < 300 else f"{what} (HTTP {response.status_code})"
        if retryable:
            message += "; retried, as a maintenance or proxy page passes (if it persists, check the URL)"
        error = UnexpectedResponse(
            message,
            host=self.name,
            call=call,
            content_type=content_type,
            excerpt=self.excerpt(response),
            status=response.status_code,
            request_id=self.request_id(response),
            retryable=retryable,
        )
        error.redact(self.redactor.redact)
        return error

    def request_id(self, response: requests.Response) -> str | None:
        """The host's id for this request, to quote when asking the host's support."""
        for header in self.request_id_headers:
            if value := response.headers.get(header):
                return value
        return None

    def describe(self, response: requests.Response) -> str:
        """A generic message for a failed response: reason phrase and a short body excerpt."""
        reason = response.reason or "error"
        excerpt = self.excerpt(response)
        # A body that only repeats the reason phrase ("Unauthorized") is said once.
        return f"{reason}: {excerpt}" if excerpt and excerpt.lower() != reason.lower() else reason

    def excerpt(self, response: requests.Response, limit: int = 200) -> str:
        """The start of the body as one readable, redacted line (tags stripped from HTML/XML)."""
        # The whole body is redacted before cutting, so no secret can be cut in half and survive.
        text = self.redactor.redact_body(response.content)
        text = _SPACE.sub(" ", _TAG.sub(" ", text)).strip()
        return text if len(text) <= limit else text[: limit - 1] + "…"


#: The operating system's words inside requests' nested messages: "[Errno 111] Connection refused".
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def _root_cause(exc: requests.RequestException) -> str:
    """The innermost reason of a connection failure ("Connection refused", "Name or service not
    known"), without the pool, the retry count and the URL that requests wraps around it."""
    reason: Any = exc.args[0] if exc.args else exc
    reason = getattr(reason, "reason", None) or reason  # urllib3's MaxRetryError wraps the cause
    text = str(reason)
    found = _ERRNO.findall(text)
    if found:
        return found[-1].strip()
    return text.rsplit(": ", 1)[-1].strip() or type(reason).__name__
