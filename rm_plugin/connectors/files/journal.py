"""An append-only JSON-lines journal that writes each idempotency key at most once.

A lock file serialises writers (threads or processes); the key check and the append happen
under it, and each line is flushed and fsynced, so a worker killed at any point leaves
either the whole line or nothing, and a rerun never writes the same key twice.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_thread_lock = threading.Lock()


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path

    def keys(self) -> set[str]:
        return {entry["key"] for entry in self.entries()}

    def entries(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as fh:
            for line in fh:
                if not line.endswith("\n"):
                    break  # a torn last line from a killed writer never counts
                yield json.loads(line)

    def find(self, key: str) -> dict[str, Any] | None:
        for entry in self.entries():
            if entry.get("key") == key:
                return entry
        return None

    def append_once(self, key: str, entry: Mapping[str, Any]) -> tuple[bool, int]:
        """Append ``entry`` unless ``key`` is already there; returns (written, line number)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._locked():
            self._drop_torn_tail()
            line_no = 0
            for line_no, existing in enumerate(self.entries(), start=1):
                if existing.get("key") == key:
                    return False, line_no
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps({"key": key, **entry}, sort_keys=True, default=str) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            return True, line_no + 1

    def _drop_torn_tail(self) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            with self.path.open("r+b") as fh:
                fh.truncate(cut)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        lock_path = self.path.with_suffix(self.path.suffix + ".lock")
        with _thread_lock, lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
