"""The outbox, the sink every stage writes its facts into, in the caller's transaction.

Call :func:`enqueue` inside the same transaction as the change that caused the fact
(a milestone reached, a pair approved), so the fact and its delivery commit together or not
at all. The key makes it idempotent: enqueuing the same fact twice keeps one row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_plugin.store.models import OutboxItem

ACTIONS = frozenset({"enrol", "close", "completion", "award", "calendar", "notify", "prepare"})


def enqueue(session: Session, *, key: str, connection: str, action: str, payload: Mapping[str, Any]) -> bool:
    """Add a delivery unless one with the same key exists; returns True if a row was added.

    The payload must never carry note text or survey comments: it is sent to a host.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown outbox action {action!r}; expected one of {sorted(ACTIONS)}")
    if session.scalar(select(OutboxItem.id).where(OutboxItem.key == key)) is not None:
        return False
    for pending in session.new:
        if isinstance(pending, OutboxItem) and pending.key == key:
            return False
    session.add(OutboxItem(key=key, connection=connection, action=action, payload=dict(payload)))
    return True
