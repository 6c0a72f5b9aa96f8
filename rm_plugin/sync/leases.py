"""Handing outbox rows to workers in batches, and settling what their deliveries came to in batches.

A claim is one short transaction. An ``UPDATE … RETURNING`` leases the next due rows of one
connection, read in order straight off ``ix_outbox_next`` (connection, status, due time, id),
and moves their due time to the lease's end, so rows in flight drop out of that range and a
row whose worker died is due again when its lease runs out. On PostgreSQL the rows are picked
with ``FOR UPDATE SKIP LOCKED``, so workers claiming at once take different rows without
waiting; on SQLite the statement runs under the single writer lock. In the same transaction
the rows whose prerequisites are not done are given back: held (with a reason naming the
row) when a prerequisite is parked or held, else deferred until the prerequisite can be done.

Settling is one transaction for many rows (a receipt is idempotent, so it may trail the
delivery by a few milliseconds): done rows and their receipts, retries, parks. Every change
is guarded by the lease, so a worker that lost its lease cannot overwrite another's work. A
row settled done wakes the rows that waited for it; a parked row holds them.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.orm import Session

from rm_plugin.store import Database, audit
from rm_plugin.store.models import OutboxItem, OutboxPrerequisite, StoredReceipt

OUTBOX = OutboxItem.__table__
AFTER = OutboxPrerequisite.__table__

#: A row whose prerequisite is in flight is looked at again after at most this long. The
#: settle that finishes the prerequisite wakes it at once; this bounds the wait when the two
#: transactions raced (on PostgreSQL the settle may commit between the claim's read of the
#: prerequisite and its own commit).
RECHECK_IN_FLIGHT = dt.timedelta(seconds=2)
#: ... and after this long when the prerequisite is due but no worker has claimed it yet.
RECHECK_DUE = dt.timedelta(seconds=1)
#: A claim that finds only rows waiting for others looks further, at most this many times.
CLAIM_ROUNDS = 4
#: Reasons an admin reads are cut here: a reason names the call and the code, not a body.
REASON_LIMIT = 500

DONE_KINDS = ("delivered", "already", "skipped", "marked")


@dataclass(frozen=True)
class Claimed:
    """One leased row, with the receipt a previous delivery of the same key left (if any)."""

    id: int
    key: str
    connection: str
    action: str
    payload: Mapping[str, Any]
    attempt: int
    previous_receipt: Mapping[str, Any] | None = None
    #: An earlier attempt timed out after sending: the host may have it already.
    maybe_sent: bool = False
    #: For a ``calendar`` row: the key of a later schedule of the same pair, which replaces it.
    superseded_by: str | None = None


@dataclass(frozen=True)
class Batch:
    """What one claim leased, and how many rows it held behind a parked prerequisite or deferred.

    ``recheck_at``: the soonest a row this claim deferred behind a prerequisite in flight is due
    again; a run that wants every due row delivered claims again then, even if nothing woke it.
    """

    rows: list[Claimed]
    held: int = 0
    deferred: int = 0
    recheck_at: dt.datetime | None = None


@dataclass(frozen=True)
class Outcome:
    """What one delivery came to, for :func:`settle`.

    ``kind``: ``delivered``, ``already`` (the host had it), ``skipped`` (the host declined it,
    ``reason`` says why), ``retry`` (at ``retry_at``), ``parked`` (``reason``), or ``release``
    (never attempted: the worker is stopping).
    """

    item: Claimed
    kind: str
    host_ref: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    reason: str = ""
    retry_at: dt.datetime | None = None
    maybe_sent: bool = False


def new_worker_id() -> str:
    """``host/pid/token``: readable in ``sync status``, and lets a rerun spot a dead local worker."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


def due(now: dt.datetime) -> Any:
    """Rows a worker may claim at ``now``: pending and due (a leased row is due when its lease ends)."""
    c = OUTBOX.c
    return and_(c.status == "pending", c.next_attempt_at <= now)


def claim(
    db: Database, worker: str, connection: str, limit: int, now: dt.datetime, lease: dt.timedelta
) -> list[Claimed]:
    """Lease up to ``limit`` due rows of ``connection`` whose prerequisites are done."""
    return claim_batch(db, worker, connection, limit, now, lease).rows


def claim_batch(
    db: Database, worker: str, connection: str, limit: int, now: dt.datetime, lease: dt.timedelta
) -> Batch:
    """:func:`claim`, also saying how many rows it held or deferred on the way."""
    ready: list[Any] = []
    held = deferred = 0
    rechecks: list[dt.datetime] = []
    with db.transaction() as session:
        for _ in range(CLAIM_ROUNDS):
            wanted = limit - len(ready)
            rows = _lease(session, worker, connection, wanted, now, lease, db.dialect)
            waiting = _unfinished_prerequisites(session, [row.id for row in rows])
            if waiting:
                h, soon = _give_back(session, waiting, now)
                held, deferred = held + h, deferred + len(soon)
                rechecks += soon
            ready += [row for row in rows if row.id not in waiting]
            if len(rows) < wanted or len(ready) >= limit:
                break
        receipts = _receipts(session, connection, [row.key for row in ready])
        newer = later_schedules(session, [row for row in ready if row.action == "calendar"])
    claimed = [
        Claimed(
            row.id,
            row.key,
            row.connection,
            row.action,
            row.payload,
            row.attempts,
            receipts.get(row.key),
            bool(row.maybe_sent),
            newer.get(row.id),
        )
        for row in ready
    ]
    claimed.sort(key=lambda item: (item.action != "prepare", item.id))
    horizon = now + RECHECK_IN_FLIGHT
    soonest = min((t for t in rechecks if t <= horizon), default=None)
    return Batch(claimed, held, deferred, soonest)


def next_due(connection: str, now: dt.datetime, limit: int) -> Any:
    """The ids of the next ``limit`` due rows of ``connection``, in ``ix_outbox_next``'s order."""
    c = OUTBOX.c
    return (
        select(c.id)
        .where(c.connection == connection, due(now))
        .order_by(c.next_attempt_at, c.id)
        .limit(limit)
    )


def _lease(
    session: Session,
    worker: str,
    connection: str,
    limit: int,
    now: dt.datetime,
    lease: dt.timedelta,
    dialect: str,
) -> list[Any]:
    c = OUTBOX.c
    until = now + lease
    if dialect == "postgresql":
        # A materialised CTE, not a plain IN (subquery): PostgreSQL may rescan a LIMITed
        # subquery inside UPDATE and lease far more rows than asked for.
        pick: Any = select(
            next_due(connection, now, limit)
            .with_for_update(skip_locked=True)
            .cte("picked")
            .prefix_with("MATERIALIZED")
            .c.id
        )
    else:
        # No CTE: the statement must start with UPDATE, so that SQLite's driver opens the
        # transaction (and takes the write lock) here, and the claim's later reads and writes
        # see no settle in between.
        pick = next_due(connection, now, limit)
    stmt = (
        update(OUTBOX)
        .where(c.id.in_(pick), due(now))
        .values(locked_by=worker, lease_until=until, next_attempt_at=until, attempts=c.attempts + 1)
        .returning(c.id, c.key, c.connection, c.action, c.payload, c.attempts, c.maybe_sent)
    )
    return list(session.execute(stmt).all())


@dataclass(frozen=True)
class _Prerequisite:
    id: int
    key: str
    status: str
    next_attempt_at: dt.datetime
    leased: bool
    last_error: str


def _unfinished_prerequisites(session: Session, ids: Sequence[int]) -> dict[int, list[_Prerequisite]]:
    """For each of ``ids`` that waits for a row not done yet: those rows."""
    if not ids:
        return {}
    a = AFTER.c
    p = OUTBOX.alias("prerequisite")
    found = session.execute(
        select(a.outbox_id, p.c.id, p.c.key, p.c.status, p.c.next_attempt_at, p.c.locked_by, p.c.last_error)
        .join(p, p.c.key == a.key)
        .where(a.outbox_id.in_(ids), p.c.status != "done")
    )
    waiting: dict[int, list[_Prerequisite]] = defaultdict(list)
    for row_id, pid, key, status, next_at, locked_by, last_error in found:
        waiting[row_id].append(_Prerequisite(pid, key, status, next_at, locked_by is not None, last_error))
    return dict(waiting)


def _give_back(
    session: Session, waiting: Mapping[int, list[_Prerequisite]], now: dt.datetime
) -> tuple[int, list[dt.datetime]]:
    """Un-lease rows whose prerequisites are unfinished: held behind a parked one, else deferred.

    Returns how many were held, and when each deferred one is due again.
    """
    c = OUTBOX.c
    holds, defers = [], []
    for row_id, prerequisites in waiting.items():
        stopped = next((p for p in prerequisites if p.status in ("parked", "held")), None)
        if stopped is not None:
            holds.append({"row": row_id, "why": _waits_for(stopped.id, stopped.key, _which(stopped))})
            continue
        until = max(_recheck_at(p, now) for p in prerequisites)
        first = min(prerequisites, key=lambda p: p.id)
        defers.append({"row": row_id, "until": until, "why": _waits_for(first.id, first.key, "")})
    back = {"locked_by": None, "lease_until": None, "attempts": c.attempts - 1}
    if holds:
        session.execute(
            update(OUTBOX)
            .where(c.id == bindparam("row"))
            .values(status="held", last_error=bindparam("why"), next_attempt_at=now, **back),
            holds,
        )
    if defers:
        session.execute(
            update(OUTBOX)
            .where(c.id == bindparam("row"))
            .values(next_attempt_at=bindparam("until"), last_error=bindparam("why"), **back),
            defers,
        )
    return len(holds), [d["until"] for d in defers]


def _which(prerequisite: _Prerequisite) -> str:
    if prerequisite.status == "held":
        return prerequisite.last_error  # "waits for #…, which is parked"
    return "is parked"


def _waits_for(row_id: int, key: str, which: str) -> str:
    text = f"waits for #{row_id} ({key})" + (f", which {which}" if which else "")
    return text[:REASON_LIMIT]


def _recheck_at(prerequisite: _Prerequisite, now: dt.datetime) -> dt.datetime:
    if prerequisite.leased:
        return min(prerequisite.next_attempt_at, now + RECHECK_IN_FLIGHT)
    if prerequisite.next_attempt_at <= now:
        return now + RECHECK_DUE
    return prerequisite.next_attempt_at  # backing off: it cannot be done before then


def _receipts(session: Session, connection: str, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    if not keys:
        return {}
    found = session.execute(
        select(StoredReceipt.key, StoredReceipt.host_ref, StoredReceipt.data).where(
            StoredReceipt.connection == connection, StoredReceipt.key.in_(keys)
        )
    )
    return {key: {"host_ref": host_ref, "data": dict(data or {})} for key, host_ref, data in found}


def later_schedules(session: Session, rows: Sequence[Any]) -> dict[int, str]:
    """For ``calendar`` rows: the key of a later, not parked ``calendar`` row of the same pair.

    A pair's schedule is queued anew at each signature; an older one retried after a newer
    was queued must not undo it, so it is settled without a host call.
    """
    c = OUTBOX.c
    newer: dict[int, str] = {}
    for row in rows:
        pair_id = (row.payload or {}).get("pair_id")
        if pair_id is None:
            continue
        later = session.execute(
            select(c.key, c.payload).where(
                c.connection == row.connection,
                c.action == "calendar",
                c.id > row.id,
                c.status != "parked",
                c.key.like(f"%:{pair_id}:%"),
            )
        ).all()
        for key, payload in later:
            if str((payload or {}).get("pair_id")) == str(pair_id):
                newer[row.id] = str(key)
                break
    return newer


# -- settling -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settled:
    """The ids whose lease held (the others were taken over), and how many rows parking held."""

    kept: set[int]
    held: int = 0


def settle(db: Database, worker: str, outcomes: Sequence[Outcome], now: dt.datetime) -> Settled:
    """Record what ``outcomes`` came to in one transaction.

    A row another worker took over (its lease ran out) is left as that worker has it.
    """
    kept: set[int] = set()
    held = 0
    if not outcomes:
        return Settled(kept)
    c = OUTBOX.c
    with db.transaction() as session:
        done = [o for o in outcomes if o.kind in DONE_KINDS]
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        for o in done:
            groups[(o.kind, o.reason[:REASON_LIMIT])].append(o.item.id)
        for (kind, reason), ids in groups.items():
            kept.update(
                session.scalars(
                    update(OUTBOX)
                    .where(c.id.in_(ids), c.locked_by == worker, c.status == "pending")
                    .values(
                        status="done",
                        outcome=kind,
                        delivered_at=now,
                        locked_by=None,
                        lease_until=None,
                        last_error=reason,
                    )
                    .returning(c.id)
                )
            )
        finished = [o for o in done if o.item.id in kept]
        _store_receipts(session, finished)
        wake(session, [o.item.key for o in finished], now)
        for o in outcomes:
            if o.kind == "retry":
                if _settle_retry(session, o, worker):
                    kept.add(o.item.id)
            elif o.kind == "parked":
                parked = _settle_parked(session, o, worker)
                if parked is not None:
                    kept.add(o.item.id)
                    held += parked
            elif o.kind == "release" and _release(session, o.item.id, worker, now):
                kept.add(o.item.id)
    return Settled(kept, held)


def _mine(row_id: int, worker: str) -> Any:
    c = OUTBOX.c
    return and_(c.id == row_id, c.locked_by == worker, c.status == "pending")


def _settle_retry(session: Session, o: Outcome, worker: str) -> bool:
    assert o.retry_at is not None
    values: dict[str, Any] = {
        "next_attempt_at": o.retry_at,
        "last_error": o.reason[:REASON_LIMIT],
        "locked_by": None,
        "lease_until": None,
    }
    if o.maybe_sent:
        values["maybe_sent"] = True
    if not session.execute(update(OUTBOX).where(_mine(o.item.id, worker)).values(**values)).rowcount:
        return False
    # What follows it cannot go before it: no need to look at those rows again until then.
    c, a = OUTBOX.c, AFTER.c
    session.execute(
        update(OUTBOX)
        .where(
            c.id.in_(select(a.outbox_id).where(a.key == o.item.key)),
            c.status == "pending",
            c.locked_by.is_(None),
            c.next_attempt_at < o.retry_at,
        )
        .values(next_attempt_at=o.retry_at)
    )
    return True


def _settle_parked(session: Session, o: Outcome, worker: str) -> int | None:
    """Park the row and hold what follows it; how many rows were held, None if the lease was lost."""
    reason = o.reason[:REASON_LIMIT]
    parked = session.execute(
        update(OUTBOX)
        .where(_mine(o.item.id, worker))
        .values(status="parked", last_error=reason, locked_by=None, lease_until=None)
    ).rowcount
    if parked:
        audit.record(
            session,
            "sync",
            "outbox.parked",
            "outbox",
            o.item.id,
            connection=o.item.connection,
            key=o.item.key,
            reason=reason,
        )
        return hold_dependents(session, o.item.id, o.item.key)
    return None


def _release(session: Session, row_id: int, worker: str, now: dt.datetime) -> bool:
    """Give a leased row back untried: no attempt is counted, and it is due at once."""
    c = OUTBOX.c
    return bool(
        session.execute(
            update(OUTBOX)
            .where(_mine(row_id, worker))
            .values(locked_by=None, lease_until=None, next_attempt_at=now, attempts=c.attempts - 1)
        ).rowcount
    )


def _store_receipts(session: Session, outcomes: Sequence[Outcome]) -> None:
    """One receipt per (connection, key): new ones inserted together, a re-delivery's replaced."""
    if not outcomes:
        return
    by_connection: dict[str, dict[str, Outcome]] = defaultdict(dict)
    for o in outcomes:
        by_connection[o.item.connection][o.item.key] = o
    rows = []
    for connection, by_key in by_connection.items():
        existing = session.scalars(
            select(StoredReceipt).where(
                StoredReceipt.connection == connection, StoredReceipt.key.in_(list(by_key))
            )
        ).all()
        for stored in existing:
            o = by_key.pop(stored.key)
            stored.outbox_id, stored.host_ref, stored.data = o.item.id, o.host_ref[:255], _receipt_data(o)
        rows += [
            {
                "connection": connection,
                "key": key,
                "outbox_id": o.item.id,
                "host_ref": o.host_ref[:255],
                "data": _receipt_data(o),
            }
            for key, o in by_key.items()
        ]
    if rows:
        session.execute(insert(StoredReceipt), rows)


def _receipt_data(o: Outcome) -> dict[str, Any]:
    data = dict(o.data)
    if o.kind in ("already", "skipped"):
        data["skipped"] = True
    return data


def wake(session: Session, keys: Sequence[str], now: dt.datetime) -> int:
    """Make the rows waiting for ``keys`` (now done) due at once instead of at their recheck time."""
    if not keys:
        return 0
    c, a = OUTBOX.c, AFTER.c
    return session.execute(
        update(OUTBOX)
        .where(
            c.id.in_(select(a.outbox_id).where(a.key.in_(list(keys)))),
            c.status == "pending",
            c.locked_by.is_(None),
            c.next_attempt_at > now,
        )
        .values(next_attempt_at=now)
    ).rowcount


def hold_dependents(session: Session, row_id: int, key: str) -> int:
    """Hold the rows that wait for the parked row ``key``, and the rows that wait for those."""
    c, a = OUTBOX.c, AFTER.c
    frontier = [(key, _waits_for(row_id, key, "is parked"))]
    held = 0
    while frontier:
        waited_for, why = frontier.pop()
        rows = session.execute(
            update(OUTBOX)
            .where(
                c.id.in_(select(a.outbox_id).where(a.key == waited_for)),
                c.status == "pending",
                c.locked_by.is_(None),
            )
            .values(status="held", last_error=why)
            .returning(c.id, c.key)
        ).all()
        held += len(rows)
        frontier += [(k, _waits_for(i, k, why)) for i, k in rows]
    return held


def release_dependents(session: Session, keys: Iterable[str], now: dt.datetime) -> list[int]:
    """Put the rows held behind ``keys`` (retried or marked delivered) back in the queue."""
    c, a = OUTBOX.c, AFTER.c
    frontier, released = list(keys), []
    while frontier:
        rows = session.execute(
            update(OUTBOX)
            .where(c.id.in_(select(a.outbox_id).where(a.key.in_(frontier))), c.status == "held")
            .values(status="pending", next_attempt_at=now, last_error="")
            .returning(c.id, c.key)
        ).all()
        released += [i for i, _ in rows]
        frontier = [k for _, k in rows]
    return released


# Kept for callers that settle one row at a time (tests, tools): each is :func:`settle` of one.


def settle_done(
    db: Database, item: Claimed, worker: str, host_ref: str, data: Mapping[str, Any], now: dt.datetime
) -> bool:
    """Mark a row delivered and store its receipt in the same transaction; False if the lease was lost."""
    return item.id in settle(db, worker, [Outcome(item, "delivered", host_ref, data)], now).kept


def release_dead_local_workers(db: Database, now: dt.datetime) -> int:
    """Free the leases of workers on this machine whose process is gone (killed, crashed).

    Their rows would become due when the lease runs out anyway; this makes a rerun right
    after a crash pick them up at once. Workers on other machines are left to their lease.
    The attempt stays counted: the dead worker may have reached the host.
    """
    c = OUTBOX.c
    here = socket.gethostname()
    with db.transaction() as session:
        holders = session.scalars(
            select(c.locked_by)
            .where(c.status == "pending", c.locked_by.is_not(None), c.lease_until > now)
            .distinct()
        ).all()
        dead = [holder for holder in holders if _is_dead_local(holder, here)]
        if not dead:
            return 0
        return session.execute(
            update(OUTBOX)
            .where(c.status == "pending", c.locked_by.in_(dead))
            .values(locked_by=None, lease_until=None, next_attempt_at=now)
        ).rowcount


def _is_dead_local(holder: str, here: str) -> bool:
    host, _, rest = holder.partition("/")
    pid_text = rest.partition("/")[0]
    if host != here or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
