"""What the outbox holds, for admins: counts per connection and status, parked rows and why.

Parked rows are the ones that need a person: the reason says what the host or the
connector objected to. After fixing the cause, :func:`requeue` puts them back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select, update

from rm_plugin.errors import UserError
from rm_plugin.store import Database, audit
from rm_plugin.store.models import OutboxItem
from rm_plugin.store.types import utcnow

STATUSES = ("pending", "done", "parked")


@dataclass(frozen=True)
class ParkedRow:
    id: int
    key: str
    connection: str
    action: str
    attempts: int
    reason: str


@dataclass(frozen=True)
class OutboxStatus:
    """Counts per connection and status, rows waiting for a retry, and every parked row."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    waiting: dict[str, int] = field(default_factory=dict)  # pending rows not due yet (backing off)
    parked: tuple[ParkedRow, ...] = ()

    def total(self, status: str) -> int:
        return sum(row.get(status, 0) for row in self.counts.values())


def outbox_status(db: Database, now: dt.datetime | None = None, parked_limit: int = 200) -> OutboxStatus:
    """Read the outbox's state; at most ``parked_limit`` parked rows are listed (oldest first)."""
    now = now or utcnow()
    with db.transaction() as session:
        counts: dict[str, dict[str, int]] = {}
        for connection, status, n in session.execute(
            select(OutboxItem.connection, OutboxItem.status, func.count()).group_by(
                OutboxItem.connection, OutboxItem.status
            )
        ):
            counts.setdefault(connection, dict.fromkeys(STATUSES, 0))[status] = n
        waiting = dict(
            session.execute(
                select(OutboxItem.connection, func.count())
                .where(OutboxItem.status == "pending", OutboxItem.next_attempt_at > now)
                .group_by(OutboxItem.connection)
            ).all()
        )
        parked = tuple(
            ParkedRow(r.id, r.key, r.connection, r.action, r.attempts, r.last_error)
            for r in session.scalars(
                select(OutboxItem)
                .where(OutboxItem.status == "parked")
                .order_by(OutboxItem.id)
                .limit(parked_limit)
            )
        )
    return OutboxStatus(dict(sorted(counts.items())), waiting, parked)


class NothingToRetry(UserError):
    """The rows asked for are not parked (or do not exist); the message names them."""


def requeue(
    db: Database,
    *,
    ids: Iterable[int] = (),
    connection: str | None = None,
    everything: bool = False,
    actor: str = "admin",
) -> list[int]:
    """Put parked rows back in the queue: the given ids, one connection's, or all of them.

    Their attempt count restarts at 1, not 0: the next try is attempt 2, which tells the
    connector an earlier try may have reached the host, so it checks before writing again.
    Returns the ids requeued.
    """
    wanted = sorted(set(ids))
    if not wanted and connection is None and not everything:
        raise ValueError("say which parked rows to retry: ids, a connection, or everything")
    query = select(OutboxItem.id).where(OutboxItem.status == "parked")
    if wanted:
        query = query.where(OutboxItem.id.in_(wanted))
    if connection is not None:
        query = query.where(OutboxItem.connection == connection)
    with db.transaction() as session:
        found = list(session.scalars(query.order_by(OutboxItem.id)))
        missing = sorted(set(wanted) - set(found))
        if missing:
            raise NothingToRetry(
                "not parked (or no such row): "
                + ", ".join(f"#{n}" for n in missing)
                + "; nothing was requeued"
            )
        if not found:
            return []
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.id.in_(found), OutboxItem.status == "parked")
            .values(
                status="pending",
                next_attempt_at=utcnow(),
                attempts=1,
                locked_by=None,
                lease_until=None,
            )
        )
        for row_id in found:
            audit.record(session, actor, "outbox.requeued", "outbox", row_id)
    return found
