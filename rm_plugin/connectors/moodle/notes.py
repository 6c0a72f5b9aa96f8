"""A few ids of what this connection created on Moodle, kept in its state for ``check`` to look for.

Moodle leaves out of a list what the caller may not see, without an error: an empty group list
or event list cannot tell "none yet" from "hidden from you". With a handful of ids the connector
made itself, ``check`` can ask for them and tell the two apart. Only the first few per course
are kept, so noting costs a state write a few times per course, not once per delivery.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from rm_plugin.connections import StateStore

#: How many ids are kept per course and kind.
KEPT = 5


class Notes:
    """Ids noted under one state key, by course (``scope``) and name; thread-safe."""

    def __init__(self, state: StateStore | None, key: str) -> None:
        self.state = state
        self.key = key
        self._full: set[str] = set()
        self._lock = threading.Lock()

    def add(self, scope: int | str, name: int | str, value: int) -> None:
        prefix = f"{scope}:"
        with self._lock:
            if self.state is None or prefix in self._full:
                return
        with self.state.locked(self.key) as data:
            if sum(1 for k in data if k.startswith(prefix)) < KEPT:
                data.setdefault(f"{prefix}{name}", value)
            else:
                with self._lock:
                    self._full.add(prefix)

    def get(self, scope: int | str) -> dict[str, int]:
        if self.state is None:
            return {}
        prefix = f"{scope}:"
        with self.state.locked(self.key) as data:
            return {k.removeprefix(prefix): int(v) for k, v in data.items() if k.startswith(prefix)}


class Refusals:
    """Writes Moodle refused for want of a capability, kept until the same call goes through.

    Enrolling and cohort membership have no read-only probe in Moodle 4.4, so ``check`` reports
    the last refusal of each instead. The state is read once per process and written only when
    a refusal is recorded or cleared.
    """

    KEY = "refused_writes"

    def __init__(self, state: StateStore | None) -> None:
        self.state = state
        self._seen: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def record(self, function: str, error: str) -> None:
        if self.state is None:
            return
        with self.state.locked(self.KEY) as data:
            data[function] = {"at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "error": error}
            with self._lock:
                self._seen = dict(data)

    def clear(self, function: str) -> None:
        if self.state is None or function not in self.all():
            return
        with self.state.locked(self.KEY) as data:
            data.pop(function, None)
            with self._lock:
                self._seen = dict(data)

    def all(self) -> dict[str, Any]:
        """Function -> {"at", "error"} of each refusal still standing."""
        if self.state is None:
            return {}
        with self._lock:
            if self._seen is not None:
                return dict(self._seen)
        with self.state.locked(self.KEY) as data:
            seen = dict(data)
        with self._lock:
            self._seen = seen
        return dict(seen)
