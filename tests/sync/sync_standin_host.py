"""A small HTTP host stand-in on 127.0.0.1 that counts every call, for sync tests and the benchmark.

``POST /deliveries`` with ``{"key", "action", "payload"}`` records a write and is *not*
idempotent: posting a key twice records it twice, as Moodle's messages or BambooHR's
training records would. ``GET /deliveries?key=K`` answers 200 with the stored write or 404.
It can inject a fixed latency, scripted failures per key (status and ``Retry-After``), and
a ``SIGKILL`` of the worker process at its N-th write, before or after recording it.

Besides HTTP statuses, a scripted answer may be a fault a restarting host or a failing proxy
produces: ``FAULT_HTML`` (a maintenance page with status 200), ``FAULT_TRUNCATED`` (the write is
made, its JSON answer cut short), ``FAULT_EMPTY`` (status 200, no body), ``FAULT_RESET`` (the
connection is reset, nothing written) or ``FAULT_SLOW`` (the write is made after the client's
timeout). ``fail_lookup`` scripts the answers to ``GET /deliveries`` the same way.

It keeps connections alive (HTTP/1.1), as a real host's web server does. Run as a script it
serves in a process of its own (the benchmark does this, so the host's work is not counted
as the engine's): ``GET /_stats`` reports the counts and ``POST /_reset`` clears them.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import socket
import struct
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

Start = Callable[[str, list[tuple[str, str]]], Any]

FAULT_HTML, FAULT_TRUNCATED, FAULT_EMPTY, FAULT_RESET, FAULT_SLOW = -1, -2, -3, -4, -5
MAINTENANCE_PAGE = (
    "<!DOCTYPE html><html><head><title>Site maintenance</title></head>"
    "<body><h1>The site is being upgraded</h1><p>Please try again later.</p></body></html>"
)


class ResetConnection(Exception):
    """Raised by the stand-in to make its server reset the connection without answering."""


@dataclass
class KillPlan:
    at_write: int  # the N-th POST overall (1-based)
    mode: str  # "before_write" (request lost) or "after_write" (written, never acknowledged)
    pid: int = 0


@dataclass
class StandinHost:
    latency: float = 0.0
    writes: Counter[str] = field(default_factory=Counter)  # key -> times written
    calls: Counter[str] = field(default_factory=Counter)  # "GET"/"POST" -> count
    workers: Counter[str] = field(default_factory=Counter)  # X-Worker header -> writes
    failures: dict[str, list[tuple[int, str | None]]] = field(default_factory=dict)
    lookup_failures: dict[str, list[tuple[int, str | None]]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # keys in the order they were written
    slow_seconds: float = 1.0  # how long a FAULT_SLOW write takes
    #: Refuse (409, permanently) a row with a ``pair_id`` before that pair's ``enrol`` row, as
    #: Moodle refuses a completion for a user not enrolled in the course.
    requires_enrolment: bool = False
    error_body: dict[str, Any] | None = None  # what a scripted error status answers with
    kill: KillPlan | None = None
    expect_workers: int = 0  # hold writes until this many distinct workers have called
    bodies: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _all_here: threading.Event = field(default_factory=threading.Event)
    _posts: int = 0
    active: int = 0
    max_parallel: int = 0  # the most requests the host was serving at once

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def reset_counts(self) -> None:
        with self._lock:
            self.calls.clear()

    def fail(self, key: str, *responses: tuple[int, str | None]) -> None:
        """Answer the next writes of ``key`` with these (status or fault, Retry-After), then accept one."""
        self.failures[key] = list(responses)

    def fail_lookup(self, key: str, *responses: tuple[int, str | None]) -> None:
        """Answer the next ``GET /deliveries?key=`` of ``key`` with these (status, Retry-After)."""
        self.lookup_failures[key] = list(responses)

    def __call__(self, environ: dict[str, Any], start_response: Start) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if str(environ.get("PATH_INFO", "")).startswith("/_"):  # the benchmark's own questions
            return self._respond(method, environ, start_response)
        with self._lock:
            self.calls[method] += 1
            self.active += 1
            self.max_parallel = max(self.max_parallel, self.active)
        try:
            if self.latency:
                time.sleep(self.latency)
            return self._respond(method, environ, start_response)
        finally:
            with self._lock:
                self.active -= 1

    def _respond(self, method: str, environ: dict[str, Any], start_response: Start) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/_stats":
            with self._lock:
                stats = {
                    "calls": dict(self.calls),
                    "writes": sum(self.writes.values()),
                    "keys": len(self.writes),
                    "duplicates": sum(1 for n in self.writes.values() if n > 1),
                    "max_parallel": self.max_parallel,
                }
            return _answer(start_response, 200, stats)
        if environ.get("PATH_INFO") == "/_reset" and method == "POST":
            with self._lock:
                self.calls.clear()
                self.writes.clear()
                self.max_parallel = 0
            return _answer(start_response, 200, {})
        if environ.get("PATH_INFO") != "/deliveries":
            return _answer(start_response, 404, {"error": "no such resource"})
        if method == "GET":
            key = parse_qs(environ.get("QUERY_STRING", "")).get("key", [""])[0]
            with self._lock:
                found = self.writes.get(key, 0)
                scripted = self.lookup_failures.get(key)
                if scripted:
                    status, _ = scripted.pop(0)
                    return _answer(start_response, status, {"error": f"scripted {status}"})
            if not found:
                return _answer(start_response, 404, {"error": "not found"})
            return _answer(start_response, 200, {"id": f"w-{key}", "copies": found})
        if method != "POST":
            return _answer(start_response, 405, {"error": "method not allowed"})
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()
        try:
            doc = json.loads(body)
            key = str(doc["key"])
        except (ValueError, KeyError):
            return _answer(start_response, 400, {"error": "body must be JSON with a key"})
        worker = environ.get("HTTP_X_WORKER", "")
        self._hold_for_workers(worker)
        with self._lock:
            scripted = self.failures.get(key)
            status, retry_after = scripted.pop(0) if scripted else (0, None)
            if status == FAULT_HTML:
                return _raw(start_response, 200, "text/html; charset=utf-8", MAINTENANCE_PAGE.encode())
            if status == FAULT_EMPTY:
                return _raw(start_response, 200, "application/json", b"")
            if status == FAULT_RESET:
                raise ResetConnection
            if status > 0:
                headers = [("Retry-After", retry_after)] if retry_after is not None else []
                answer = self.error_body or {"error": f"scripted {status}"}
                return _answer(start_response, status, answer, headers)
            pair = (doc.get("payload") or {}).get("pair_id")
            enrolled = any(k.startswith(f"enrol:{pair}:") for k in self.writes)
            if self.requires_enrolment and doc.get("action") != "enrol" and pair is not None and not enrolled:
                return _answer(start_response, 409, {"errorcode": "usernotenroled", "pair": pair})
        if status == FAULT_SLOW:
            time.sleep(self.slow_seconds)
        with self._lock:
            self._posts += 1
            kill = (
                self.kill if self.kill and self.kill.pid > 0 and self.kill.at_write == self._posts else None
            )
            if kill and kill.mode == "before_write":
                os.kill(kill.pid, signal.SIGKILL)
                return _answer(start_response, 503, {"error": "worker gone"})
            self.writes[key] += 1
            self.workers[worker] += 1
            self.bodies.append(body)
            self.order.append(key)
            if kill:
                os.kill(kill.pid, signal.SIGKILL)
        if status == FAULT_TRUNCATED:
            whole = json.dumps({"id": f"w-{key}", "key": key}).encode()
            return _raw(start_response, 201, "application/json", whole[: len(whole) // 2])
        return _answer(start_response, 201, {"id": f"w-{key}"})

    def _hold_for_workers(self, worker: str) -> None:
        if not self.expect_workers:
            return
        with self._lock:
            self.workers.setdefault(worker, 0)
            if len(self.workers) >= self.expect_workers:
                self._all_here.set()
        self._all_here.wait(timeout=60)


def _answer(
    start_response: Start, status: int, doc: dict[str, Any], headers: list[tuple[str, str]] | None = None
) -> list[bytes]:
    reasons = {200: "OK", 201: "Created", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
    data = json.dumps(doc).encode()
    start_response(
        f"{status} {reasons.get(status, 'Error')}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data))), *(headers or [])],
    )
    return [data]


def _raw(start_response: Start, status: int, content_type: str, data: bytes) -> list[bytes]:
    start_response(f"{status} Answer", [("Content-Type", content_type), ("Content-Length", str(len(data)))])
    return [data]


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive in front of the stand-in's WSGI-style ``__call__``."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    wbufsize = -1  # one send per answer: status line, headers and body together

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        environ = {
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_LENGTH": str(length),
            "wsgi.input": io.BytesIO(body),
            "HTTP_X_WORKER": self.headers.get("X-Worker", ""),
        }
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]]) -> None:
            answer["status"], answer["headers"] = status, headers

        try:
            data = b"".join(self.server.app(environ, start_response))  # type: ignore[attr-defined]
        except ResetConnection:  # an RST instead of an answer, as a dying proxy sends
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        code, _, reason = answer["status"].partition(" ")
        self.send_response(int(code), reason)
        for name, value in answer["headers"]:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, app: StandinHost) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.app = app


class Served:
    """A running stand-in: ``url`` to configure, ``host`` to inspect."""

    def __init__(self, host: StandinHost) -> None:
        self.host = host
        self.server = _Server(host)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def main() -> None:
    """Serve in this process until stdin closes; the first line printed is the base URL."""
    parser = argparse.ArgumentParser(description="the sync stand-in host, in a process of its own")
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    with Served(StandinHost(latency=args.latency)) as served:
        print(served.url, flush=True)
        sys.stdin.read()  # the parent closes our stdin (or dies) to stop us


if __name__ == "__main__":
    main()
