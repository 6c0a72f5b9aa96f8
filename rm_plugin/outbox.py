"""The outbox, the sink every stage writes its facts into, in the caller's transaction.

Call :func:`enqueue` inside the same transaction as the change that caused the fact
(a milestone reached, a pair approved), so the fact and its delivery commit together or not
at all. The key makes it idempotent: enqueuing the same fact twice keeps one row.

A row may name the rows it must follow (``after``, by key): the sync engine never delivers it
before they are done, and holds it while one of them is parked. A pair's completions, awards,
calendar events, messages and closing follow the pair's enrolment on the same connection
(:func:`enrolment_key`); an award follows the completions its badge needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_plugin.store.models import OutboxItem, OutboxPrerequisite

ACTIONS = frozenset({"enrol", "close", "completion", "award", "calendar", "notify", "prepare"})

#: ``prepare`` rows are due from the start of time: a host's structures come before anything
#: queued with them, since workers claim rows in the order they fall due.
FIRST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def enrolment_key(pair_id: int | str, connection: str) -> str:
    """The key of the ``enrol`` row of a pair on a connection (what the pair's other rows follow)."""
    return f"enrol:{pair_id}:{connection}"


def enqueue(
    session: Session,
    *,
    key: str,
    connection: str,
    action: str,
    payload: Mapping[str, Any],
    after: Iterable[str] = (),
) -> bool:
    """Add a delivery unless one with the same key exists; returns True if a row was added.

    ``after``: keys of rows this one must follow (a key never queued holds nothing back).
    The payload must never carry note text or survey comments: it is sent to a host.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown outbox action {action!r}; expected one of {sorted(ACTIONS)}")
    if session.scalar(select(OutboxItem.id).where(OutboxItem.key == key)) is not None:
        return False
    for pending in session.new:
        if isinstance(pending, OutboxItem) and pending.key == key:
            return False
    item = OutboxItem(
        key=key,
        connection=connection,
        action=action,
        payload=dict(payload),
        after=[OutboxPrerequisite(key=k) for k in dict.fromkeys(after) if k != key],
    )
    if action == "prepare":
        item.next_attempt_at = FIRST
    session.add(item)
    return True
