"""When and how long to wait before trying a failed host call again.

The host's own ``Retry-After`` comes first; otherwise exponential backoff with jitter spreads the
retries of several sync workers apart. Every wait is capped, and so is the total, so that a sync run
never hangs on one host. Only idempotent calls are retried: a POST that may have reached the host is
left to the outbox, whose idempotency keys make a later retry safe.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime

from rm_plugin.http.errors import HostError

#: Methods that mean the same thing when sent twice (RFC 9110 §9.2.2).
IDEMPOTENT_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    """How a connection retries; one immutable value that config can build and tests can fake.

    ``sleep``, ``rng`` and ``clock`` are injectable so tests never sleep and get the same jitter
    every run.
    """

    max_attempts: int = 4
    """Attempts in all, the first one included; 1 turns retrying off."""
    base_delay: float = 0.5
    """Seconds before the first retry, before jitter."""
    backoff: float = 2.0
    """Each retry waits this many times longer than the one before."""
    max_delay: float = 30.0
    """No single wait is longer, not even one the host asked for with ``Retry-After``."""
    max_total_wait: float = 120.0
    """Give up rather than wait longer than this in all for one call."""
    idempotent_methods: frozenset[str] = IDEMPOTENT_METHODS
    """HTTP methods retried unless the caller says otherwise."""
    retryable_calls: frozenset[str] = frozenset()
    """Call names that are safe to repeat although their method is not, e.g. Moodle read functions
    (every Moodle call is a POST) or Workday ``Get_*`` SOAP operations."""
    sleep: Callable[[float], None] = field(default_factory=lambda: time.sleep, repr=False, compare=False)
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)
    clock: Callable[[], float] = field(default_factory=lambda: time.time, repr=False, compare=False)
    """Seconds since the epoch; turns an HTTP-date ``Retry-After`` into a wait."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {self.max_attempts}")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_total_wait < 0:
            raise ValueError("delays must not be negative")
        if self.backoff < 1:
            raise ValueError(f"backoff must be at least 1, not {self.backoff}")
        object.__setattr__(self, "idempotent_methods", frozenset(m.upper() for m in self.idempotent_methods))

    def may_retry(self, method: str, call: str, idempotent: bool | None = None) -> bool:
        """Whether repeating this call is safe; an explicit ``idempotent`` from the caller wins."""
        if idempotent is not None:
            return idempotent
        return method.upper() in self.idempotent_methods or call in self.retryable_calls

    def delay_for(self, attempt: int, error: HostError, waited: float = 0.0) -> float | None:
        """Seconds to wait after failed attempt number ``attempt`` (1-based), or None to give up.

        ``waited`` is the time already spent waiting on this call, for the total cap.
        """
        if not error.retryable or attempt >= self.max_attempts:
            return None
        if error.retry_after is not None:
            delay = min(max(error.retry_after, 0.0), self.max_delay)
        else:
            delay = self.backoff_delay(attempt)
        if waited + delay > self.max_total_wait:
            return None
        return delay

    def backoff_delay(self, attempt: int) -> float:
        """Exponential backoff with full jitter in [d/2, d], d capped at ``max_delay``."""
        exponent = min(max(attempt - 1, 0), 64)  # far past any cap; keeps the power finite
        ceiling = min(self.max_delay, self.base_delay * self.backoff**exponent)
        return ceiling / 2 + self.rng.random() * ceiling / 2

    def parse_retry_after(self, value: str | None) -> float | None:
        """Seconds to wait from a ``Retry-After`` value, either delay-seconds or an HTTP-date.

        None when absent or unreadable, so the caller falls back to backoff.
        """
        if value is None or not value.strip():
            return None
        value = value.strip()
        try:
            seconds = float(value)
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            seconds = when.timestamp() - self.clock()
        if math.isnan(seconds):
            return None
        return max(seconds, 0.0)
