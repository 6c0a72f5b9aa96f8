"""``rm-plugin worker``: the outbox drained as rows arrive, scheduled jobs run, health reported.

One process runs the sync engine in follow mode (it polls an idle outbox with a growing pause,
up to ``[worker] poll_seconds``), a scheduler that runs each due job of ``[worker.jobs]`` once
across all workers sharing the database (:mod:`rm_plugin.sync.jobs`), and a health report: a
log line every ``health_every`` seconds and, with ``health_port``, ``GET /health`` as JSON.

:meth:`Worker.stop` (SIGTERM, SIGINT) lets the deliveries in flight and a running job finish,
gives every claimed row not yet started back untried, and returns: no row is left leased.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from rm_plugin.errors import UserError
from rm_plugin.site import Site
from rm_plugin.store.types import utcnow
from rm_plugin.sync.jobs import job_states, run_due_jobs, schedule, spoken
from rm_plugin.sync.leases import new_worker_id
from rm_plugin.sync.status import outbox_status
from rm_plugin.sync.worker import SyncOptions, SyncRun, SyncSummary

log = logging.getLogger(__name__)


class WorkerFailed(UserError):
    """The worker stopped because a part of it failed (the database went away, say); a service
    manager restarts it. Rows it had claimed are due again when their lease ends."""


@dataclass
class Health:
    """What the worker is doing and how far behind it is (what ``GET /health`` answers)."""

    worker: str
    state: str = "starting"  # delivering | idle | running job NAME | stopping | stopped | failed
    started_at: dt.datetime = field(default_factory=utcnow)
    backlog: int = 0  # rows due now
    in_flight: int = 0
    waiting: int = 0
    parked: int = 0
    held: int = 0
    lag_seconds: float = 0.0  # how long the oldest due row has waited
    delivered: int = 0  # since start
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str = ""

    def line(self) -> str:
        return (
            f"worker {self.state}: {self.backlog} due, {self.in_flight} in flight, {self.waiting} waiting, "
            f"{self.parked} parked, {self.held} held; oldest due row waited {self.lag_seconds:.0f} s; "
            f"{self.delivered} delivered since start"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "worker": self.worker,
            "state": self.state,
            "started_at": self.started_at.isoformat(),
            "backlog": self.backlog,
            "in_flight": self.in_flight,
            "waiting": self.waiting,
            "parked": self.parked,
            "held": self.held,
            "lag_seconds": round(self.lag_seconds, 1),
            "delivered_since_start": self.delivered,
            "jobs": self.jobs,
            "error": self.error,
        }


class Worker:
    """The long-running service over one site; :meth:`run` returns once stopped."""

    def __init__(
        self,
        site: Site,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        today: Callable[[], dt.date] | None = None,
    ) -> None:
        self.site = site
        self.config = site.config["worker"]
        self.periods = schedule(self.config)  # unknown job names are refused before anything starts
        self.clock = clock
        self.today = today  # None: each service's own idea of today (the site's time zone)
        self.id = new_worker_id()
        self.health = Health(self.id)
        self._stop = threading.Event()
        self._summary: SyncSummary | None = None
        self._lock = threading.Lock()

    def stop(self) -> None:
        """Finish what is in flight and return from :meth:`run` (safe from a signal handler)."""
        self._stop.set()

    def run(self) -> None:
        options = SyncOptions(
            follow=True,
            poll=float(self.config["poll_seconds"]),
            stop=self._stop,
            worker_id=self.id,
            clock=self.clock,
        )
        engine = SyncRun(self.site, options, None)
        self._summary = engine.summary
        threads = [
            threading.Thread(target=self._guard(engine.run, "the sync engine"), name="worker:sync"),
            threading.Thread(target=self._guard(self._schedule, "the scheduler"), name="worker:jobs"),
            threading.Thread(
                target=self._guard(self._report, "the health report"), name="worker:health", daemon=True
            ),
        ]
        server = self._serve_health()
        log.info(
            "worker %s started; jobs: %s",
            self.id,
            ", ".join(f"{n} every {spoken(p)}" for n, p in self.periods.items()),
        )
        for thread in threads:
            thread.start()
        self._stop.wait()
        self._set_state("stopping")
        log.info("worker %s stopping: finishing the deliveries in flight", self.id)
        for thread in threads[:2]:
            thread.join()
        if server is not None:
            server.shutdown()
            server.server_close()
        self._set_state("failed" if self.health.error else "stopped")
        self.refresh()
        log.info("%s", self.health.line())
        if self.health.error:
            raise WorkerFailed(f"the worker stopped: {self.health.error}")

    def _guard(self, target: Callable[[], object], what: str) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except Exception as exc:  # the worker stops as a whole: a supervisor restarts it
                log.exception("%s failed; the worker stops", what)
                self.health.error = f"{what} failed: {exc}"
                self._stop.set()

        return run

    def _set_state(self, state: str) -> None:
        with self._lock:
            self.health.state = state

    def _schedule(self) -> None:
        every = min(float(self.config["poll_seconds"]), 30.0)
        while not self._stop.is_set():
            today = self.today() if self.today is not None else None
            run_due_jobs(self.site, self.id, self.periods, self.clock(), today, on_start=self._job_started)
            self._set_state("delivering" if self.health.backlog or self.health.in_flight else "idle")
            self._stop.wait(every)

    def _job_started(self, name: str) -> None:
        self._set_state(f"running job {name}")

    def refresh(self) -> Health:
        """Read the outbox and the jobs into :attr:`health`."""
        now = self.clock()
        report = outbox_status(self.site.database, now, limit=0)
        h = self.health
        with self._lock:
            h.backlog, h.in_flight = report.total("pending"), report.total("in_flight")
            h.waiting, h.parked, h.held = (
                report.total("waiting"),
                report.total("parked"),
                report.total("held"),
            )
            h.lag_seconds = report.lag(now)
            h.delivered = self._summary.delivered if self._summary is not None else 0
            if h.state in ("starting", "idle", "delivering"):
                h.state = "delivering" if h.backlog or h.in_flight else "idle"
            h.jobs = {
                j.name: {
                    "next_run_at": j.next_run_at.isoformat(),
                    "running_on": j.running_on,
                    "last_finished_at": j.last_finished_at.isoformat() if j.last_finished_at else None,
                    "last_outcome": j.last_outcome,
                    "runs": j.runs,
                }
                for j in job_states(self.site.database)
                if j.name in self.periods
            }
        return h

    def _report(self) -> None:
        every = float(self.config["health_every"])
        while not self._stop.is_set():
            log.info("%s", self.refresh().line())
            self._stop.wait(every)

    def _serve_health(self) -> ThreadingHTTPServer | None:
        port = int(self.config["health_port"])
        if not port:
            return None
        worker = self

        class HealthHandler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.rstrip("/") != "/health":
                    self.send_error(404)
                    return
                health = worker.refresh()
                body = json.dumps(health.as_json()).encode()
                self.send_response(503 if health.error else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer((str(self.config["health_host"]), port), HealthHandler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, name="worker:health-http", daemon=True).start()
        log.info("health at http://%s:%d/health", self.config["health_host"], server.server_port)
        return server
