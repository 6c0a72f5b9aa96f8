"""What a connection read from Moodle, kept for one sync run and shared by its worker threads.

The first thread that needs a value reads it while the others asking for the same key wait and
then take that answer, so a run of many deliveries reads the course once, not once per thread.
An answer (or a permanent error, such as a missing activity) is kept for :data:`RUN_SECONDS`:
long enough for a sync run, short enough that a long-lived worker sees an admin's fix. Transient
errors are not kept: the next delivery asks again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: How long a read stands for "this sync run".
RUN_SECONDS = 600.0


class RunMemo(Generic[K, V]):
    """One read per key per run, whatever the number of threads; thread-safe."""

    def __init__(self, seconds: float = RUN_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._kept: dict[K, tuple[float, V | None, BaseException | None]] = {}
        self._locks: dict[K, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: K, read: Callable[[], V]) -> V:
        """The value kept for ``key``, or what ``read()`` returns (or raises) now."""
        found = self._fresh(key)
        if found is None:
            with self._key_lock(key):
                found = self._fresh(key)  # another thread may have read it while this one waited
                if found is None:
                    try:
                        value = read()
                    except Exception as exc:
                        if not getattr(exc, "retryable", False):
                            self._keep(key, None, exc)
                        raise
                    self._keep(key, value, None)
                    return value
        value, error = found
        if error is not None:
            raise error.with_traceback(None)
        return value  # type: ignore[return-value]

    def forget(self, key: K) -> None:
        with self._lock:
            self._kept.pop(key, None)

    def _fresh(self, key: K) -> tuple[V | None, BaseException | None] | None:
        with self._lock:
            kept = self._kept.get(key)
        if kept is None or self.clock() - kept[0] > self.seconds:
            return None
        return kept[1], kept[2]

    def _keep(self, key: K, value: V | None, error: BaseException | None) -> None:
        with self._lock:
            self._kept[key] = (self.clock(), value, error)

    def _key_lock(self, key: K) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(key, threading.Lock())
