"""One typed error tree for every host call, whatever the host's own error shape.

Connectors turn Moodle exception envelopes, BambooHR headers and Workday SOAP faults into these
classes, so the sync worker can decide from ``retryable`` alone whether to try again later or park
the row with a readable reason, and so an admin reads the same kind of message for every host.
"""

from __future__ import annotations

from collections.abc import Callable


class HostError(Exception):
    """A host call failed. ``str(err)`` is meant for a person; the attributes are for code.

    Messages must already be free of secrets; ``HttpClient`` runs :meth:`redact` over every error it
    raises so that a host echoing a token back in its message cannot leak it.
    """

    #: Whether trying the same call again later may succeed; subclasses set their own default.
    default_retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        host: str,
        call: str,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.message = message
        self.host = host
        self.call = call
        self.status = status
        self.code = code
        self.request_id = request_id
        self.retryable = self.default_retryable if retryable is None else retryable
        #: Seconds the host asked us to wait (``Retry-After``), if it said.
        self.retry_after = retry_after
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.host}: {self.call} failed: "
        if self.code:
            text += f"{self.code}: "
        text += self.message
        details = []
        # 2xx statuses are left out: Moodle reports errors with HTTP 200, which would only confuse.
        if self.status is not None and self.status >= 300:
            details.append(f"HTTP {self.status}")
        if self.request_id:
            details.append(f"request id {self.request_id}")
        if details:
            text += f" ({', '.join(details)})"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(host={self.host!r}, call={self.call!r}, status={self.status!r}, "
            f"code={self.code!r}, message={self.message!r}, request_id={self.request_id!r}, "
            f"retryable={self.retryable!r})"
        )

    def redact(self, redact: Callable[[str], str]) -> None:
        """Pass every text field through ``redact`` (a ``Redactor.redact``), in place."""
        self.message = redact(self.message)
        self.call = redact(self.call)
        if self.code is not None:
            self.code = redact(self.code)
        self.args = (str(self),)


class HostConnectionError(HostError):
    """The host could not be reached or the connection broke; no usable answer arrived.

    ``request_sent`` is True when the request went out before the answer failed to come (a
    read timeout, a connection reset mid-answer): the host may have acted on it.
    """

    default_retryable = True
    request_sent = False


class HostTimeout(HostConnectionError):
    """Connecting or reading took longer than the configured timeout."""


class AuthenticationError(HostError):
    """The credentials were refused (HTTP 401, Moodle ``invalidtoken``, SOAP authenticationError)."""


class PermissionDenied(HostError):
    """Authenticated, but not allowed (HTTP 403, a missing Moodle capability or service function)."""


class NotFound(HostError):
    """The object or endpoint does not exist on this host."""


class InvalidRequest(HostError):
    """The host rejected what we sent (HTTP 4xx validation, Moodle ``invalidparameter``)."""


class RateLimited(HostError):
    """The host throttled us (HTTP 429, BambooHR's 503 today); ``retry_after`` says how long to wait."""

    default_retryable = True


class HostUnavailable(HostError):
    """The host failed on its side (HTTP 5xx); it is likely to work again later."""

    default_retryable = True


class UnexpectedResponse(HostError):
    """The host answered in a shape we cannot read, such as an HTML login or proxy page instead of JSON.

    Not retryable unless the reader says so: a maintenance page or a cut-short body is worth
    another try (see ``HttpClient.unreadable``), an answer of the wrong shape is not.
    """

    def __init__(
        self,
        message: str,
        *,
        host: str,
        call: str,
        content_type: str | None = None,
        excerpt: str = "",
        status: int | None = None,
        request_id: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        self.content_type = content_type
        #: A short, redacted piece of the body, for a debugger; never put into the message.
        self.excerpt = excerpt
        super().__init__(
            message, host=host, call=call, status=status, request_id=request_id, retryable=retryable
        )

    def redact(self, redact: Callable[[str], str]) -> None:
        self.excerpt = redact(self.excerpt)
        super().redact(redact)


class PagingError(HostError):
    """The host broke its own paging contract, e.g. handed back a cursor it had already given."""
