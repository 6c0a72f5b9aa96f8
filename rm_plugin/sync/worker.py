"""The sync worker: drains the outbox through the hooks, one bounded thread pool per host.

Each connection gets a dispatcher thread that claims due rows in small batches (see
:mod:`rm_plugin.sync.leases`) and keeps at most ``concurrency`` deliveries in flight to its
host. Every delivery ends in one of four outcomes: delivered (a receipt stored with the row
marked done), skipped (the host already had it; a receipt is stored all the same), retried
later (a transient failure, with backoff) or parked (a permanent failure, with its reason).
Rows that are done are never claimed again, so a rerun with nothing new makes no host call.

Logs name rows by id, key, connection and action, never by payload: payloads reach hosts,
not log files.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from sqlalchemy import select

from rm_plugin.people.accounts import StoredAccounts
from rm_plugin.site import Site
from rm_plugin.store import Database
from rm_plugin.store.models import OutboxItem
from rm_plugin.store.types import utcnow
from rm_plugin.sync.backoff import RedeliveryPolicy, classify
from rm_plugin.sync.dispatch import deliver, resolve_before_enrolling
from rm_plugin.sync.leases import (
    Claimed,
    claim,
    due,
    new_worker_id,
    release_dead_local_workers,
    settle_done,
    settle_parked,
    settle_retry,
)
from rm_plugin.sync.settings import connection_concurrency

log = logging.getLogger(__name__)

OUTCOMES = ("delivered", "skipped", "retry_later", "parked", "lost_lease")


@dataclass
class SyncSummary:
    """What one run did, in total and per connection."""

    delivered: int = 0
    skipped: int = 0  # the host already had it; no write call was made
    retry_later: int = 0
    parked: int = 0
    lost_lease: int = 0  # another worker took the row over after this one's lease ran out
    per_connection: dict[str, dict[str, int]] = field(default_factory=dict)

    def count(self, connection: str, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        row = self.per_connection.setdefault(connection, dict.fromkeys(OUTCOMES, 0))
        row[outcome] += 1

    @property
    def handled(self) -> int:
        return self.delivered + self.skipped + self.retry_later + self.parked + self.lost_lease

    def __str__(self) -> str:
        text = (
            f"{self.delivered} delivered, {self.skipped} already there, "
            f"{self.retry_later} to retry later, {self.parked} parked"
        )
        return text + (f", {self.lost_lease} taken over by another worker" if self.lost_lease else "")


@dataclass(frozen=True)
class SyncOptions:
    """Knobs of one run; the defaults suit the CLI."""

    connections: tuple[str, ...] | None = None  # None: every connection with due rows
    concurrency: int | None = None  # None: each connection's own ``concurrency`` key
    policy: RedeliveryPolicy = field(default_factory=RedeliveryPolicy)
    lease: dt.timedelta = dt.timedelta(minutes=5)
    worker_id: str | None = None
    clock: Callable[[], dt.datetime] = utcnow
    rng: random.Random | None = None


def due_count(db: Database, connections: Iterable[str] | None = None, now: dt.datetime | None = None) -> int:
    """How many rows a run would try now (for a progress bar's length)."""
    return len(_due_rows(db, connections, now or utcnow()))


def _due_rows(db: Database, connections: Iterable[str] | None, now: dt.datetime) -> list[tuple[int, str]]:
    query = select(OutboxItem.id, OutboxItem.connection).where(due(now))
    if connections is not None:
        query = query.where(OutboxItem.connection.in_(list(connections)))
    with db.transaction() as session:
        return [(row.id, row.connection) for row in session.execute(query)]


def run_sync(
    site: Site,
    options: SyncOptions | None = None,
    on_outcome: Callable[[Claimed, str], None] | None = None,
) -> SyncSummary:
    """Deliver every due outbox row of ``site`` through its hooks and return what happened.

    Safe to run in several processes at once and to kill at any point: a killed run's rows
    are claimed again (at once on this machine, else when their lease runs out) and the
    connector sees the stored receipt, or checks the host, before writing again.
    ``on_outcome(row, outcome)`` is called after each row settles (for a progress bar).
    """
    return SyncRun(site, options or SyncOptions(), on_outcome).run()


class SyncRun:
    def __init__(
        self, site: Site, options: SyncOptions, on_outcome: Callable[[Claimed, str], None] | None
    ) -> None:
        self.site = site
        self.db = site.database
        self.hook = site.hook
        self.accounts = StoredAccounts(lambda: site.database)
        self.options = options
        self.worker = options.worker_id or new_worker_id()
        self.summary = SyncSummary()
        self.on_outcome = on_outcome
        self._lock = threading.Lock()

    def run(self) -> SyncSummary:
        now = self.options.clock()
        released = release_dead_local_workers(self.db, now)
        if released:
            log.info("took back %d row(s) leased by sync workers that are gone", released)
        names = sorted({name for _, name in _due_rows(self.db, self.options.connections, now)})
        limits = {name: self.options.concurrency or connection_concurrency(self.site, name) for name in names}
        errors: list[BaseException] = []

        def drain_safely(name: str) -> None:
            try:
                self._drain(name, limits[name])
            except BaseException as exc:  # reported after every connection had its turn
                errors.append(exc)

        threads = [threading.Thread(target=drain_safely, args=(n,), name=f"sync:{n}") for n in names]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return self.summary

    def _drain(self, connection: str, concurrency: int) -> None:
        queue: deque[Claimed] = deque()
        in_flight: set[Future[None]] = set()
        exhausted = False
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=f"sync:{connection}") as pool:
            while True:
                free = concurrency - len(in_flight)
                if not queue and not exhausted and free > 0:
                    # Claim no more than can start now: a row waiting in a local queue behind a
                    # slow host could outlive its lease and be claimed by a second worker.
                    now = self.options.clock()
                    batch = claim(self.db, self.worker, connection, free, now, self.options.lease)
                    exhausted = not batch
                    resolve_before_enrolling(self.hook, self.accounts, connection, batch)
                    # A host's structures come first: prepare rows are delivered before the rest.
                    while batch and batch[0].action == "prepare":
                        self._handle(batch.pop(0))
                    queue.extend(batch)
                while queue and len(in_flight) < concurrency:
                    in_flight.add(pool.submit(self._handle, queue.popleft()))
                if not in_flight:
                    if exhausted:
                        return
                    continue
                done, pending = wait(in_flight, return_when=FIRST_COMPLETED)
                in_flight = set(pending)
                for future in done:
                    future.result()

    def _handle(self, item: Claimed) -> None:
        outcome = self._deliver_one(item)
        with self._lock:
            self.summary.count(item.connection, outcome)
            if self.on_outcome is not None:
                self.on_outcome(item, outcome)

    def _deliver_one(self, item: Claimed) -> str:
        try:
            receipt = deliver(self.hook, item, self.db)
        except Exception as exc:
            failure = classify(exc)
            policy = self.options.policy
            if failure.retryable and not policy.gives_up_after(item.attempt):
                wait_s = policy.delay(item.attempt, failure.retry_after, self.options.rng)
                when = self.options.clock() + dt.timedelta(seconds=wait_s)
                log.warning(
                    "outbox #%d (%s to %s, key %s) failed, attempt %d; retry in %.1fs: %s",
                    item.id, item.action, item.connection, item.key, item.attempt, wait_s, failure.reason,
                )  # fmt: skip
                ok = settle_retry(self.db, item, self.worker, failure.reason, when)
                return "retry_later" if ok else "lost_lease"
            reason = failure.reason
            if failure.retryable:
                reason = f"gave up after {item.attempt} attempts: {reason}"
            log.warning(
                "outbox #%d (%s to %s, key %s) parked: %s",
                item.id,
                item.action,
                item.connection,
                item.key,
                reason,
            )
            return "parked" if settle_parked(self.db, item, self.worker, reason) else "lost_lease"
        data: Mapping[str, object] = dict(receipt.data)
        if receipt.skipped:
            data = {**data, "skipped": True}
        if not settle_done(self.db, item, self.worker, receipt.host_ref, data, self.options.clock()):
            log.warning("outbox #%d (key %s): lease lost before it was marked done", item.id, item.key)
            return "lost_lease"
        log.debug("outbox #%d (%s to %s, key %s) done", item.id, item.action, item.connection, item.key)
        return "skipped" if receipt.skipped else "delivered"
