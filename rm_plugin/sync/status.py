"""What the outbox holds, for admins, and the admin's levers on it: retry, or mark delivered.

Counts per connection and state: ``pending`` (due now), ``in flight`` (leased to a worker),
``waiting`` (backing off after a transient failure, or following a row not done yet), ``done``,
``skipped`` (done: the host declined it and said why), ``held`` (following a parked row) and
``parked`` (needs a person: the reason says what the host or the connector objected to).
Reading it needs only the database, never a host's secrets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rm_plugin.errors import UserError
from rm_plugin.store import Database, audit
from rm_plugin.store.models import OutboxItem, StoredReceipt
from rm_plugin.store.types import utcnow
from rm_plugin.sync.leases import release_dependents, wake

COLUMNS = ("pending", "in_flight", "waiting", "done", "skipped", "held", "parked")


@dataclass(frozen=True)
class Row:
    """One row an admin may need to look at."""

    id: int
    key: str
    connection: str
    action: str
    attempts: int
    reason: str
    next_attempt_at: dt.datetime | None = None


@dataclass(frozen=True)
class OutboxStatus:
    """Counts per connection and state, the rows that need a look, and how far behind the queue is."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    parked: tuple[Row, ...] = ()
    held: tuple[Row, ...] = ()
    waiting: tuple[Row, ...] = ()
    skipped: tuple[tuple[str, str, int], ...] = ()  # (connection, reason, rows)
    oldest_due: dt.datetime | None = None  # the due row that has waited longest

    def total(self, column: str) -> int:
        return sum(row.get(column, 0) for row in self.counts.values())

    def lag(self, now: dt.datetime) -> float:
        """Seconds the oldest due row has waited (0 when nothing is due)."""
        return max((now - self.oldest_due).total_seconds(), 0.0) if self.oldest_due else 0.0


def outbox_status(db: Database, now: dt.datetime | None = None, limit: int = 200) -> OutboxStatus:
    """Read the outbox's state; at most ``limit`` rows of each list (oldest first)."""
    now = now or utcnow()
    o = OutboxItem
    with db.transaction() as session:
        counts: dict[str, dict[str, int]] = {}
        grouped = session.execute(
            select(
                o.connection,
                o.status,
                o.outcome,
                o.locked_by.is_not(None).label("leased"),
                (o.next_attempt_at > now).label("later"),
                func.count(),
            ).group_by("connection", "status", "outcome", "leased", "later")
        )
        for connection, status, outcome, leased, later, n in grouped:
            column = _column(status, outcome, bool(leased), bool(later))
            row = counts.setdefault(connection, dict.fromkeys(COLUMNS, 0))
            row[column] += n
        parked = _rows(session, o.status == "parked", limit)
        held = _rows(session, o.status == "held", limit)
        waiting = _rows(
            session, (o.status == "pending") & o.locked_by.is_(None) & (o.next_attempt_at > now), limit
        )
        skipped = tuple(
            (connection, reason, n)
            for connection, reason, n in session.execute(
                select(o.connection, o.last_error, func.count())
                .where(o.status == "done", o.outcome == "skipped")
                .group_by(o.connection, o.last_error)
                .order_by(o.connection, func.count().desc())
                .limit(limit)
            )
        )
        oldest = session.scalar(
            select(func.min(o.next_attempt_at)).where(o.status == "pending", o.next_attempt_at <= now)
        )
    return OutboxStatus(dict(sorted(counts.items())), parked, held, waiting, skipped, oldest)


def _column(status: str, outcome: str | None, leased: bool, later: bool) -> str:
    if status == "pending":
        if later:
            return "in_flight" if leased else "waiting"
        return "pending"
    if status == "done":
        return "skipped" if outcome == "skipped" else "done"
    return status if status in COLUMNS else "parked"


def _rows(session: Session, condition: Any, limit: int) -> tuple[Row, ...]:
    o = OutboxItem
    found = session.scalars(select(o).where(condition).order_by(o.id).limit(limit))
    return tuple(
        Row(r.id, r.key, r.connection, r.action, r.attempts, r.last_error, r.next_attempt_at) for r in found
    )


class NothingToRetry(UserError):
    """The rows asked for cannot be retried as asked; the message names each and why."""


@dataclass(frozen=True)
class Retried:
    """What ``sync retry`` did: rows requeued, rows marked delivered, held rows let go with them."""

    requeued: tuple[int, ...] = ()
    marked: tuple[int, ...] = ()
    released: tuple[int, ...] = ()


def requeue(
    db: Database,
    *,
    ids: Iterable[int] = (),
    connection: str | None = None,
    everything: bool = False,
    actor: str = "admin",
) -> list[int]:
    """Put parked and waiting rows back in the queue, due now: the given ids, one connection's,
    or all of them; returns the ids requeued. See :func:`retry_rows`."""
    return list(retry_rows(db, ids=ids, connection=connection, everything=everything, actor=actor).requeued)


def retry_rows(
    db: Database,
    *,
    ids: Iterable[int] = (),
    connection: str | None = None,
    everything: bool = False,
    delivered: bool = False,
    actor: str = "admin",
    now: dt.datetime | None = None,
) -> Retried:
    """Requeue rows, or (``delivered``) record them as delivered on an admin's word.

    A parked row's attempt count restarts at 1, not 0: the next try is attempt 2, which tells
    the connector an earlier try may have reached the host, so it checks before writing again.
    A waiting row is made due now. Rows held behind a requeued or marked row are let go with
    it. Named rows that cannot be retried (in flight, done, held behind another) are refused
    together, each with its reason, and nothing changes.
    """
    now = now or utcnow()
    wanted = sorted(set(ids))
    if not wanted and connection is None and not everything:
        raise ValueError("say which rows to retry: ids, a connection, or everything")
    if delivered and not wanted:
        raise NothingToRetry("name the rows to mark delivered by their ids (`sync status` lists them)")
    o = OutboxItem
    with db.transaction() as session:
        if wanted:
            rows = {r.id: r for r in session.scalars(select(o).where(o.id.in_(wanted)))}
            problems = [_refusal(n, rows.get(n), delivered, now) for n in wanted]
            problems = [p for p in problems if p]
            if problems:
                raise NothingToRetry("; ".join(problems) + "; nothing was changed")
            chosen = [rows[n] for n in wanted]
        else:
            query = select(o).where(
                (o.status == "parked")
                | ((o.status == "pending") & o.locked_by.is_(None) & (o.next_attempt_at > now))
            )
            if connection is not None:
                query = query.where(o.connection == connection)
            chosen = list(session.scalars(query.order_by(o.id)))
        if delivered:
            marked = _mark_delivered(session, chosen, actor, now)
            return Retried(
                marked=tuple(marked), released=tuple(release_dependents(session, _keys(session, marked), now))
            )
        for row in chosen:
            if row.status == "parked":
                row.attempts = 1
            row.status, row.next_attempt_at, row.locked_by, row.lease_until = "pending", now, None, None
            audit.record(session, actor, "outbox.requeued", "outbox", row.id)
        session.flush()
        released = release_dependents(session, [r.key for r in chosen], now)
    return Retried(requeued=tuple(r.id for r in chosen), released=tuple(released))


def _refusal(row_id: int, row: OutboxItem | None, delivered: bool, now: dt.datetime) -> str:
    if row is None:
        return f"#{row_id}: no such row"
    if row.status == "done":
        return f"#{row_id}: already done"
    if row.status == "pending" and row.next_attempt_at <= now:
        return f"#{row_id}: due already (the next `rm-plugin sync` delivers it)"
    if row.status == "pending" and row.locked_by is not None:
        return f"#{row_id}: a worker is delivering it now ({row.locked_by})"
    if row.status == "held" and not delivered:
        return f"#{row_id}: {row.last_error}; retry that row and this one follows"
    return ""


def _mark_delivered(session: Session, rows: list[OutboxItem], actor: str, now: dt.datetime) -> list[int]:
    """Settle rows as delivered on an admin's word, with a receipt saying so."""
    marked = []
    for row in rows:
        row.status, row.outcome, row.delivered_at = "done", "marked", now
        row.locked_by, row.lease_until = None, None
        row.last_error = f"marked delivered by {actor}"
        data = {"marked_delivered_by": actor}
        stored = session.scalars(
            select(StoredReceipt).where(
                StoredReceipt.connection == row.connection, StoredReceipt.key == row.key
            )
        ).one_or_none()
        if stored is None:
            session.add(
                StoredReceipt(
                    connection=row.connection, key=row.key, outbox_id=row.id, host_ref="", data=data
                )
            )
        else:
            stored.outbox_id, stored.data = row.id, data
        audit.record(session, actor, "outbox.marked_delivered", "outbox", row.id, key=row.key)
        marked.append(row.id)
    session.flush()
    wake(session, [r.key for r in rows], now)
    return marked


def _keys(session: Session, ids: list[int]) -> list[str]:
    return list(session.scalars(select(OutboxItem.key).where(OutboxItem.id.in_(ids))))
