"""A thin Moodle web-service client over the shared HTTP foundation (one per connection).

Every call is a form-encoded POST to ``/webservice/rest/server.php`` with ``wstoken``,
``wsfunction`` and ``moodlewsrestformat=json``. Moodle answers errors with HTTP 200 and an
``exception`` body, so every body is read before it counts as a success. Only functions that
Moodle makes idempotent are retried (:data:`~rm_plugin.connectors.moodle.functions.REPEATABLE`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import requests

from rm_plugin.connectors.moodle.encoding import php_form
from rm_plugin.connectors.moodle.errors import error_for
from rm_plugin.connectors.moodle.functions import REPEATABLE
from rm_plugin.http import DEFAULT_TIMEOUT, HostError, HttpClient, RetryPolicy
from rm_plugin.secret import Secret

logger = logging.getLogger(__name__)

ENDPOINT = "webservice/rest/server.php"


class MoodleClient(HttpClient):
    """Calls Moodle web-service functions with one token; the token is never shown."""

    def __init__(
        self,
        name: str,
        url: str,
        token: Secret,
        *,
        session: requests.Session | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        log: logging.Logger | None = None,
    ) -> None:
        if not isinstance(token, Secret):
            raise TypeError("the Moodle token must be passed as a Secret")
        super().__init__(
            name, url, session=session, secrets=[token], retry=retry, timeout=timeout, log=log or logger
        )
        self._token = token

    def call(self, function: str, arguments: Mapping[str, Any] | None = None) -> Any:
        """Call ``function`` with ``arguments`` (nested values allowed) and return its decoded JSON.

        Raises a :class:`~rm_plugin.connectors.moodle.errors.MoodleError` for Moodle's exception
        body, and the shared error tree for transport failures, 5xx and non-JSON answers.
        Warnings in the answer are logged and left in the returned body for the caller.
        """
        data: dict[str, Any] = {"wstoken": self._token, "wsfunction": function, "moodlewsrestformat": "json"}
        data.update(php_form(arguments or {}))
        response = self.request(
            "POST", ENDPOINT, data=data, call_name=function, idempotent=function in REPEATABLE
        )
        body = self.decode_json(response, function, empty_ok=False)
        if isinstance(body, Mapping):
            for warning in body.get("warnings") or ():
                self.log.warning(
                    "moodle warning host=%s function=%s item=%s itemid=%s code=%s: %s",
                    self.name,
                    function,
                    warning.get("item", ""),
                    warning.get("itemid", ""),
                    warning.get("warningcode", ""),
                    self.redactor.redact(str(warning.get("message", "")))[:300],
                )
        return body

    def error_for_response(self, response: requests.Response, call: str) -> HostError | None:
        if response.status_code >= 400:
            return self.error_from_status(response, call)
        # Moodle answers every function with JSON, ``null`` included: an empty body, a cut-short
        # one or an HTML maintenance page raises a retryable UnexpectedResponse here.
        body = self.decode_json(response, call, empty_ok=False)
        if isinstance(body, Mapping) and "exception" in body and "errorcode" in body:
            return error_for(
                call,
                str(body.get("errorcode") or ""),
                str(body.get("message") or ""),
                host=self.name,
                exception=str(body.get("exception") or ""),
            )
        return None
