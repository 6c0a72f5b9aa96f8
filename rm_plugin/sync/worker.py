"""The sync engine: drains the outbox through the hooks, one lane per host, the database off the
delivery threads.

Each connection gets a lane: a dispatcher thread claims due rows in batches (see
:mod:`rm_plugin.sync.leases`) and hands them to a pool of ``concurrency`` delivery threads, and
claims the next batch while the pool still has work, so the host is never kept waiting on the
database. Delivery threads only call the hook and classify what happened; one settler thread
records the outcomes of every lane in batched transactions a few milliseconds behind. Every
delivery ends as delivered, already there (the host had it), skipped (the host declined it and
said why), retried later (a transient failure, with backoff), or parked (a permanent failure,
with its reason). Rows that are done are never claimed again, so a rerun with nothing new makes
no host call.

With ``follow``, lanes do not end when the outbox is empty: they poll with a growing pause
until ``stop`` is set, which is how ``rm-plugin worker`` runs. Setting ``stop`` lets the
deliveries in flight finish and gives every claimed row not yet started back, untried.

Logs name rows by id, key, connection and action, never by payload: payloads reach hosts,
not log files.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import func, select

from rm_plugin.http.personal import mask_personal
from rm_plugin.people.accounts import StoredAccounts
from rm_plugin.site import Site
from rm_plugin.store import Database
from rm_plugin.store.models import OutboxItem, Person
from rm_plugin.store.types import utcnow
from rm_plugin.sync.backoff import RedeliveryPolicy, classify
from rm_plugin.sync.dispatch import deliver, resolve_before_enrolling
from rm_plugin.sync.leases import (
    RECHECK_IN_FLIGHT,
    Claimed,
    Outcome,
    claim_batch,
    due,
    new_worker_id,
    release_dead_local_workers,
    settle,
)
from rm_plugin.sync.settings import connection_concurrency

log = logging.getLogger(__name__)

OUTCOMES = ("delivered", "already", "skipped", "retry_later", "parked", "held", "lost_lease")
_KIND_TO_OUTCOME = {"retry": "retry_later"}


@dataclass
class SyncSummary:
    """What one run did, in total and per connection."""

    delivered: int = 0
    already: int = 0  # the host already had it; no write call was made
    skipped: int = 0  # the host declined it and said why (see ``skip_reasons``)
    retry_later: int = 0
    parked: int = 0
    held: int = 0  # not tried: a row it waits for is parked
    lost_lease: int = 0  # another worker took the row over after this one's lease ran out
    per_connection: dict[str, dict[str, int]] = field(default_factory=dict)
    skip_reasons: Counter[tuple[str, str]] = field(default_factory=Counter)  # (connection, reason)

    def count(self, connection: str, outcome: str, n: int = 1) -> None:
        setattr(self, outcome, getattr(self, outcome) + n)
        row = self.per_connection.setdefault(connection, dict.fromkeys(OUTCOMES, 0))
        row[outcome] += n

    @property
    def handled(self) -> int:
        return self.delivered + self.already + self.skipped + self.retry_later + self.parked + self.lost_lease

    def __str__(self) -> str:
        parts = [f"{self.delivered} delivered", f"{self.already} already there"]
        if self.skipped:
            parts.append(f"{self.skipped} skipped by the host")
        parts += [f"{self.retry_later} to retry later", f"{self.parked} parked"]
        if self.held:
            parts.append(f"{self.held} held behind parked rows")
        if self.lost_lease:
            parts.append(f"{self.lost_lease} taken over by another worker")
        return ", ".join(parts)


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
    #: Most rows one claim leases; fewer when deliveries are slow, so none outlives its lease.
    max_batch: int = 256
    #: How long the settler waits to gather more outcomes into one transaction (seconds).
    settle_linger: float = 0.005
    #: Keep polling when the outbox is empty, until ``stop`` is set (``rm-plugin worker``).
    follow: bool = False
    #: The longest pause between polls of an idle lane (seconds).
    poll: float = 5.0
    stop: threading.Event | None = None


def due_count(db: Database, connections: Iterable[str] | None = None, now: dt.datetime | None = None) -> int:
    """How many rows a run would try now (for a progress bar's length)."""
    return sum(due_by_connection(db, connections, now or utcnow()).values())


def due_by_connection(db: Database, connections: Iterable[str] | None, now: dt.datetime) -> dict[str, int]:
    """Rows due now, per connection."""
    query = select(OutboxItem.connection, func.count()).where(due(now)).group_by(OutboxItem.connection)
    if connections is not None:
        query = query.where(OutboxItem.connection.in_(list(connections)))
    with db.transaction() as session:
        return {name: n for name, n in session.execute(query)}


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


class _Lane:
    """One connection's share of a run: counters its dispatcher waits on."""

    def __init__(self, name: str, concurrency: int) -> None:
        self.name = name
        self.concurrency = concurrency
        self.cond = threading.Condition()
        self.queued = 0  # handed to the pool, not delivered yet
        self.unsettled = 0  # delivered, not settled yet
        self.settled_since_claim = False
        self.seconds_per_row = 0.0  # moving average of one delivery's time


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
        self.stop = options.stop or threading.Event()
        self._results: queue.SimpleQueue[tuple[_Lane, Outcome] | None] = queue.SimpleQueue()
        self._errors: list[BaseException] = []
        self._lanes: dict[str, _Lane] = {}
        self._summary_lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    # -- the run -------------------------------------------------------------------------

    def run(self) -> SyncSummary:
        released = release_dead_local_workers(self.db, self.options.clock())
        if released:
            log.info("took back %d row(s) leased by sync workers that are gone", released)
        settler = threading.Thread(target=self._settle_loop, name="sync:settle", daemon=True)
        settler.start()
        try:
            self._start_lanes()
            while self.options.follow and not self.stop.is_set():
                self.stop.wait(self.options.poll)
                if not self.stop.is_set():
                    self._start_lanes()
        except BaseException:
            self.stop.set()
            raise
        finally:
            for lane in self._lanes.values():  # an idle lane waits on its condition, not the flag
                with lane.cond:
                    lane.cond.notify_all()
            for thread in self._threads:
                thread.join()
            self._results.put(None)
            settler.join()
        if self._errors:
            raise self._errors[0]
        return self.summary

    def _start_lanes(self) -> None:
        """A lane for each connection with due rows that has none yet."""
        names = due_by_connection(self.db, self.options.connections, self.options.clock())
        for name in sorted(names):
            if name in self._lanes:
                continue
            concurrency = self.options.concurrency or connection_concurrency(self.site, name)
            lane = self._lanes[name] = _Lane(name, concurrency)
            thread = threading.Thread(target=self._drain_safely, args=(lane,), name=f"sync:{name}")
            self._threads.append(thread)
            thread.start()

    def _drain_safely(self, lane: _Lane) -> None:
        try:
            self._drain(lane)
        except BaseException as exc:  # reported when every lane has stopped
            self._errors.append(exc)
            self.stop.set()

    def _batch_size(self, lane: _Lane) -> int:
        """Enough rows to keep the pool busy, few enough that each starts well within its lease."""
        if lane.seconds_per_row <= 0:
            return max(lane.concurrency * 2, 8)
        budget = self.options.lease.total_seconds() / 4  # a claimed row waits at most this long
        fits = int(budget * lane.concurrency / lane.seconds_per_row)
        return max(1, min(self.options.max_batch, fits))

    def _drain(self, lane: _Lane) -> None:
        exhausted = False
        pause = 0.05
        recheck_by: float | None = None  # monotonic time by which rows deferred behind rows in flight are due
        with ThreadPoolExecutor(lane.concurrency, thread_name_prefix=f"sync:{lane.name}") as pool:
            while True:
                with lane.cond:
                    woke = lane.settled_since_claim
                    backlog = lane.queued
                size = self._batch_size(lane)
                if not self.stop.is_set() and (not exhausted or woke) and backlog <= size // 2:
                    with lane.cond:
                        lane.settled_since_claim = False
                    batch = claim_batch(
                        self.db, self.worker, lane.name, size, self.options.clock(), self.options.lease
                    )
                    exhausted = not batch.rows
                    if batch.recheck_at is not None:
                        wait_s = (batch.recheck_at - self.options.clock()).total_seconds()
                        by = time.monotonic() + min(max(wait_s, 0.0), RECHECK_IN_FLIGHT.total_seconds())
                        recheck_by = max(recheck_by or by, by)
                    if batch.held:
                        with self._summary_lock:
                            self.summary.count(lane.name, "held", batch.held)
                    if batch.rows:
                        pause = 0.05
                        self._start(lane, pool, batch.rows)
                    continue
                with lane.cond:
                    stopping = self.stop.is_set()
                    idle = lane.queued == 0 and lane.unsettled == 0
                    if idle and (stopping or (exhausted and not lane.settled_since_claim)):
                        if not stopping and recheck_by is not None:
                            # A row deferred behind one in flight is normally woken when that one
                            # settles; if the two raced, claim again once it is due.
                            remaining = recheck_by - time.monotonic()
                            if remaining > 0:
                                lane.cond.wait(remaining)
                            else:
                                recheck_by, exhausted = None, False
                            continue
                        if stopping or not self.options.follow:
                            return
                        lane.cond.wait(pause)  # an idle lane in a worker: poll, less and less often
                        pause = min(pause * 2, self.options.poll)
                        exhausted = False
                        continue
                    if not stopping and lane.settled_since_claim and lane.queued <= size // 2:
                        continue  # a settle may have made rows due: claim again
                    lane.cond.wait(0.5)  # until a settle, or to look at the stop flag again

    def _start(self, lane: _Lane, pool: ThreadPoolExecutor, rows: Sequence[Claimed]) -> None:
        rows = list(rows)
        resolve_before_enrolling(self.hook, self.accounts, lane.name, rows)
        # A host's structures come first: prepare rows are delivered before the rest is started.
        while rows and rows[0].action == "prepare":
            with lane.cond:
                lane.queued += 1
            self._deliver_and_hand_on(lane, rows.pop(0))
            with lane.cond:
                while lane.unsettled:
                    lane.cond.wait(0.5)
        with lane.cond:
            lane.queued += len(rows)
        for item in rows:
            pool.submit(self._deliver_and_hand_on, lane, item)

    def _deliver_and_hand_on(self, lane: _Lane, item: Claimed) -> None:
        try:
            if self.stop.is_set():
                outcome = Outcome(item, "release")
            else:
                began = time.perf_counter()
                outcome = self._attempt(item)
                took = time.perf_counter() - began
                lane.seconds_per_row = (
                    took if not lane.seconds_per_row else 0.9 * lane.seconds_per_row + 0.1 * took
                )
        except BaseException as exc:  # never lose a row's count: the lane waits for it
            outcome = Outcome(item, "release")
            self._errors.append(exc)
            self.stop.set()
        with lane.cond:
            lane.queued -= 1
            lane.unsettled += 1
        self._results.put((lane, outcome))

    def _attempt(self, item: Claimed) -> Outcome:
        """Deliver one row and say what it came to; no database work here."""
        try:
            receipt = deliver(self.hook, item)
        except Exception as exc:
            failure = classify(exc)
            policy = self.options.policy
            maybe_sent = item.maybe_sent or failure.maybe_sent
            if failure.retryable and not policy.gives_up_after(item.attempt):
                wait_s = policy.delay(item.attempt, failure.retry_after, self.options.rng)
                when = self.options.clock() + dt.timedelta(seconds=wait_s)
                return Outcome(
                    item, "retry", reason=failure.reason, retry_at=when, maybe_sent=failure.maybe_sent
                )
            reason = failure.reason
            if failure.retryable:
                reason = f"gave up after {item.attempt} attempts: {reason}"
            if maybe_sent:
                reason = (
                    "may already be on the host (an attempt timed out after sending; if it arrived, "
                    f"`rm-plugin sync retry --delivered {item.id}` records it): {reason}"
                )
            return Outcome(item, "parked", reason=reason)
        data: Mapping[str, object] = dict(receipt.data)
        if not receipt.skipped:
            return Outcome(item, "delivered", receipt.host_ref, data)
        why = data.get("reason") or (
            f"replaced by {data['superseded_by']}" if "superseded_by" in data else ""
        )
        if why:
            return Outcome(item, "skipped", receipt.host_ref, data, reason=mask_personal(str(why)))
        return Outcome(item, "already", receipt.host_ref, data)

    # -- settling ------------------------------------------------------------------------

    def _settle_loop(self) -> None:
        linger = self.options.settle_linger
        while True:
            first = self._results.get()
            if first is None:
                return
            batch = [first]
            deadline = time.monotonic() + linger
            while True:
                try:
                    timeout = deadline - time.monotonic()
                    more = self._results.get(timeout=timeout) if timeout > 0 else self._results.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._settle(batch)
                    return
                batch.append(more)
            self._settle(batch)

    def _settle(self, batch: list[tuple[_Lane, Outcome]]) -> None:
        outcomes = _without_names(self.db, [o for _, o in batch])
        try:
            settled = settle(self.db, self.worker, outcomes, self.options.clock())
            kept = settled.kept
        except BaseException as exc:  # the rows stay leased; their lease ends, and they are due again
            self._errors.append(exc)
            self.stop.set()
            kept = set()
        else:
            if settled.held:
                with self._summary_lock:
                    self.summary.held += settled.held
        for (lane, _), outcome in zip(batch, outcomes, strict=True):
            name = self._record(outcome, outcome.item.id in kept)
            with lane.cond:
                lane.unsettled -= 1
                lane.settled_since_claim = True
                lane.cond.notify_all()
            if name and self.on_outcome is not None:
                self.on_outcome(outcome.item, name)

    def _record(self, outcome: Outcome, kept: bool) -> str | None:
        item = outcome.item
        if outcome.kind == "release":
            return None
        name = _KIND_TO_OUTCOME.get(outcome.kind, outcome.kind) if kept else "lost_lease"
        if name == "retry_later":
            assert outcome.retry_at is not None
            wait_s = (outcome.retry_at - self.options.clock()).total_seconds()
            log.warning(
                "outbox #%d (%s to %s, key %s) failed, attempt %d; retry in %.1fs: %s",
                item.id, item.action, item.connection, item.key, item.attempt, wait_s, outcome.reason,
            )  # fmt: skip
        elif name == "parked":
            log.warning(
                "outbox #%d (%s to %s, key %s) parked: %s",
                item.id, item.action, item.connection, item.key, outcome.reason,
            )  # fmt: skip
        elif name == "lost_lease":
            log.warning("outbox #%d (key %s): lease lost before it was settled", item.id, item.key)
        else:
            log.debug(
                "outbox #%d (%s to %s, key %s) %s", item.id, item.action, item.connection, item.key, name
            )
        with self._summary_lock:
            self.summary.count(item.connection, name)
            if name == "skipped":
                self.summary.skip_reasons[(item.connection, outcome.reason)] += 1
        return name


def _without_names(db: Database, outcomes: list[Outcome]) -> list[Outcome]:
    """Failure reasons with the names and emails of the people their rows are about masked."""
    failed = [o for o in outcomes if o.kind in ("retry", "parked") and o.reason]
    if not failed:
        return outcomes
    hr_ids = {h for o in failed for h in _people_of(o.item.payload)}
    if not hr_ids:
        return outcomes
    with db.transaction() as session:
        found = session.execute(
            select(Person.given_name, Person.family_name, Person.email).where(
                Person.hr_id.in_(sorted(hr_ids))
            )
        ).all()
    names = [v for row in found for v in (*row, f"{row[0]} {row[1]}") if v]
    if not names:
        return outcomes
    return [
        Outcome(o.item, o.kind, o.host_ref, o.data, mask_personal(o.reason, names), o.retry_at, o.maybe_sent)
        if o in failed
        else o
        for o in outcomes
    ]


def _people_of(payload: Mapping[str, object]) -> set[str]:
    people = {str(payload[k]) for k in ("person", "mentee", "mentor") if payload.get(k)}
    audience = payload.get("audience")
    if isinstance(audience, list | tuple):
        people.update(str(h) for h in audience)
    return people
