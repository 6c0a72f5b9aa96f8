"""Handing outbox rows to one worker at a time, and settling them afterwards.

A claim is one short transaction: a single ``UPDATE … RETURNING`` that leases due rows to a
worker and counts the attempt. On PostgreSQL the rows are picked with ``FOR UPDATE SKIP
LOCKED``, so workers claiming at the same moment take different rows without waiting; on
SQLite the statement runs under the database's single writer lock, and the status/lease
guard in its ``WHERE`` keeps a row from being claimed twice. Delivery happens outside any
transaction; settling a row (done + receipt, retry later, parked) is guarded by the lease,
so a worker that lost its lease cannot overwrite what another worker did.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.orm import Session

from rm_plugin.store import Database, audit
from rm_plugin.store.models import OutboxItem, StoredReceipt

OUTBOX = OutboxItem.__table__


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


def new_worker_id() -> str:
    """``host/pid/token``: readable in ``sync status``, and lets a rerun spot a dead local worker."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


def due(now: dt.datetime) -> Any:
    """Rows a worker may claim at ``now``: pending, due, and not leased to a live worker."""
    c = OUTBOX.c
    return and_(
        c.status == "pending",
        c.next_attempt_at <= now,
        or_(c.lease_until.is_(None), c.lease_until <= now),
    )


def claim(
    db: Database, worker: str, connection: str, limit: int, now: dt.datetime, lease: dt.timedelta
) -> list[Claimed]:
    """Lease up to ``limit`` due rows of ``connection`` to ``worker``; ``prepare`` rows first."""
    c = OUTBOX.c
    first = case((c.action == "prepare", 0), else_=1)
    # A materialised CTE, not a plain IN (subquery): PostgreSQL may rescan a LIMITed
    # subquery inside UPDATE and lease far more rows than asked for.
    pick = (
        select(c.id)
        .where(due(now), c.connection == connection)
        .order_by(first, c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("picked")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    stmt = (
        update(OUTBOX)
        .where(c.id.in_(select(pick.c.id)), due(now))
        .values(locked_by=worker, lease_until=now + lease, attempts=c.attempts + 1)
        .returning(c.id, c.key, c.connection, c.action, c.payload, c.attempts)
    )
    with db.transaction() as session:
        rows = session.execute(stmt).all()
        receipts = _receipts(session, connection, [row.key for row in rows])
    claimed = [
        Claimed(row.id, row.key, row.connection, row.action, row.payload, row.attempts, receipts.get(row.key))
        for row in rows
    ]
    return sorted(claimed, key=lambda item: (item.action != "prepare", item.id))


def _receipts(session: Session, connection: str, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    if not keys:
        return {}
    found = session.execute(
        select(StoredReceipt.key, StoredReceipt.host_ref, StoredReceipt.data).where(
            StoredReceipt.connection == connection, StoredReceipt.key.in_(keys)
        )
    )
    return {key: {"host_ref": host_ref, "data": dict(data or {})} for key, host_ref, data in found}


def _mine(item: Claimed, worker: str) -> Any:
    c = OUTBOX.c
    return and_(c.id == item.id, c.locked_by == worker, c.status == "pending")


def settle_done(
    db: Database, item: Claimed, worker: str, host_ref: str, data: Mapping[str, Any], now: dt.datetime
) -> bool:
    """Mark a row delivered and store its receipt in the same transaction; False if the lease was lost."""
    with db.transaction() as session:
        marked = session.execute(
            update(OUTBOX)
            .where(_mine(item, worker))
            .values(status="done", delivered_at=now, locked_by=None, lease_until=None, last_error="")
        ).rowcount
        if not marked:
            return False
        stored = session.scalars(
            select(StoredReceipt).where(
                StoredReceipt.connection == item.connection, StoredReceipt.key == item.key
            )
        ).one_or_none()
        if stored is None:
            session.add(
                StoredReceipt(
                    connection=item.connection,
                    key=item.key,
                    outbox_id=item.id,
                    host_ref=host_ref[:255],
                    data=dict(data),
                )
            )
        else:
            stored.outbox_id, stored.host_ref, stored.data = item.id, host_ref[:255], dict(data)
    return True


def settle_retry(db: Database, item: Claimed, worker: str, reason: str, when: dt.datetime) -> bool:
    """Put a row back for another attempt at ``when``; False if the lease was lost."""
    with db.transaction() as session:
        return bool(
            session.execute(
                update(OUTBOX)
                .where(_mine(item, worker))
                .values(next_attempt_at=when, last_error=reason, locked_by=None, lease_until=None)
            ).rowcount
        )


def settle_parked(db: Database, item: Claimed, worker: str, reason: str) -> bool:
    """Park a row that cannot be delivered, with the reason an admin reads; False if the lease was lost."""
    with db.transaction() as session:
        parked = session.execute(
            update(OUTBOX)
            .where(_mine(item, worker))
            .values(status="parked", last_error=reason, locked_by=None, lease_until=None)
        ).rowcount
        if parked:
            audit.record(
                session, "sync", "outbox.parked", "outbox", item.id, connection=item.connection, reason=reason
            )
    return bool(parked)


def release_dead_local_workers(db: Database, now: dt.datetime) -> int:
    """Free the leases of workers on this machine whose process is gone (killed, crashed).

    Their rows would become claimable when the lease runs out anyway; this makes a rerun
    right after a crash pick them up at once. Workers on other machines are left to their lease.
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
            .values(locked_by=None, lease_until=None)
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
