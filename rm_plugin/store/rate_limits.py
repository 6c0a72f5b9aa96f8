"""Rate limits shared by every portal worker: a counter per client and one-minute window in the
database, bumped with one atomic INSERT … ON CONFLICT DO UPDATE … RETURNING (SQLite 3.35+ and
PostgreSQL), so two workers can never both let the N+1st request through.

The limit applies to a *sliding* minute, estimated from the current window's count plus the
previous window's, weighted by how much of it still lies within the last sixty seconds: a client
cannot send a full limit at the end of one window and another at the start of the next.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rm_plugin.store.models import WebRateCounter

WINDOW = 60


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int


def hit(
    session: Session, bucket: str, limit: int, *, clock: Callable[[], float] = time.time, window: int = WINDOW
) -> Verdict:
    """Count one request in ``bucket`` (e.g. ``launch:203.0.113.9``); refused past ``limit``."""
    now = clock()
    start = int(now) - int(now) % window
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(WebRateCounter)
        .values(bucket=bucket[:128], window=start, hits=1)
        .on_conflict_do_update(index_elements=["bucket", "window"], set_={"hits": WebRateCounter.hits + 1})
        .returning(WebRateCounter.hits)
    )
    hits = int(session.execute(statement).scalar_one())
    if hits == 1:  # the first request of a client in a new window sweeps the windows gone by
        session.execute(delete(WebRateCounter).where(WebRateCounter.window < start - window))
    before = session.scalar(
        select(WebRateCounter.hits).where(
            WebRateCounter.bucket == bucket[:128], WebRateCounter.window == start - window
        )
    )
    still_counted = 1 - (now - start) / window  # the share of the previous window in the last minute
    estimate = hits + (before or 0) * still_counted
    return Verdict(estimate <= limit, max(1, start + window - int(now)))
