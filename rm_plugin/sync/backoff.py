"""When to try a failed delivery again, and whether to try at all.

Connectors raise errors that say themselves whether they are worth retrying (the HTTP
foundation's ``HostError`` carries ``retryable`` and ``retry_after``); anything else counts as
transient only when it is a connection or timeout problem. A host's ``Retry-After`` wins over
our own schedule; otherwise the delay grows exponentially with jitter up to a cap, so
many workers retrying one host do not knock on it in step.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import requests

from rm_plugin.http.personal import mask_personal


@dataclass(frozen=True)
class Failure:
    """How a delivery failed: worth retrying or not, after how long the host asked, and why.

    ``maybe_sent``: the request went out and no answer came (a read timeout, a reset
    mid-answer), so the host may have acted on it.
    """

    retryable: bool
    retry_after: float | None
    reason: str
    maybe_sent: bool = False


# A connector that lets a raw requests error escape (instead of the HTTP foundation's
# HostError) still gets a transient failure retried: these are not builtin ConnectionError.
TRANSPORT_ERRORS = (requests.exceptions.ConnectionError, requests.exceptions.Timeout)


def classify(exc: BaseException) -> Failure:
    """Read an exception by duck typing, so any connector's error tree works.

    The reason is the error's own one-line text with people's emails and personal fields
    masked; the HTTP foundation's errors already name the call and code, never a whole body.
    """
    transient = isinstance(exc, (ConnectionError, TimeoutError, *TRANSPORT_ERRORS))
    retryable = getattr(exc, "retryable", transient)
    retry_after = getattr(exc, "retry_after", None)
    if not isinstance(retry_after, int | float) or isinstance(retry_after, bool) or retry_after < 0:
        retry_after = None
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return Failure(
        bool(retryable),
        float(retry_after) if retry_after is not None else None,
        mask_personal(reason),
        _maybe_sent(exc),
    )


def _maybe_sent(exc: BaseException) -> bool:
    """Whether the request may have reached the host although no answer came back."""
    seen: BaseException | None = exc
    for _ in range(4):  # the error, and what it was raised from
        if seen is None:
            break
        sent = getattr(seen, "request_sent", None)
        if sent is not None:
            return bool(sent)
        if isinstance(seen, requests.exceptions.ReadTimeout | requests.exceptions.ChunkedEncodingError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@dataclass(frozen=True)
class RedeliveryPolicy:
    """Exponential backoff with jitter: after attempt n, wait a random time in [c/2, c] for
    c = min(cap, base * 2**(n-1)), so waits grow but never line up across workers.

    ``max_attempts`` counts every claim of a row (including one whose worker died); after it
    a transient failure is parked like a permanent one. ``max_retry_after`` bounds how long
    a host may ask us to wait, so a wrong header cannot stall a row for days.
    """

    base: float = 2.0
    cap: float = 600.0
    max_attempts: int = 8
    max_retry_after: float = 3600.0

    def __post_init__(self) -> None:
        if self.base <= 0 or self.cap < self.base:
            raise ValueError("backoff needs 0 < base <= cap")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def delay(
        self, attempt: int, retry_after: float | None = None, rng: random.Random | None = None
    ) -> float:
        """Seconds to wait before the next attempt after ``attempt`` failed."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        ceiling = min(self.cap, self.base * 2 ** max(attempt - 1, 0))
        return (rng or random).uniform(ceiling / 2, ceiling)

    def gives_up_after(self, attempt: int) -> bool:
        return attempt >= self.max_attempts
