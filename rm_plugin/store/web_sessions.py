"""Server-side web sessions in the database, so that every portal worker sees every session.

The browser's cookie holds only a random id; the row is found by the id's SHA-256, so a copy of
the database hands out no live session. A launch may also make a one-time *hand-off ticket*:
the landing page spends it with the session's own cookie, which shows the cookie came back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import delete, select, update

from rm_plugin.store import Database
from rm_plugin.store.models import WebSession

HANDOFF_LIFETIME = dt.timedelta(minutes=2)


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SessionStore:
    """Creating, reading and ending sessions and hand-off tickets (each one statement or two)."""

    def __init__(
        self, database: Database, lifetime: dt.timedelta, clock: Callable[[], dt.datetime] = _now
    ) -> None:
        self.database = database
        self.lifetime = lifetime
        self.clock = clock

    def create(self, data: Mapping[str, Any], *, with_handoff: bool = False) -> tuple[str, str | None]:
        """A new session holding ``data``; returns its id and, if asked, a hand-off ticket."""
        now = self.clock()
        sid = secrets.token_urlsafe(32)
        ticket = secrets.token_urlsafe(32) if with_handoff else None
        with self.database.transaction() as session:
            session.execute(delete(WebSession).where(WebSession.expires_at < now))
            session.add(
                WebSession(
                    id_hash=_hash(sid),
                    data=dict(data),
                    created_at=now,
                    expires_at=now + self.lifetime,
                    handoff_hash=_hash(ticket) if ticket else None,
                    handoff_expires_at=now + HANDOFF_LIFETIME if ticket else None,
                )
            )
        return sid, ticket

    def load(self, sid: str) -> dict[str, Any] | None:
        with self.database.transaction() as session:
            row = session.scalar(
                select(WebSession.data).where(
                    WebSession.id_hash == _hash(sid), WebSession.expires_at > self.clock()
                )
            )
        return dict(row) if row is not None else None

    def save(self, sid: str, data: Mapping[str, Any]) -> bool:
        with self.database.transaction() as session:
            result = session.execute(
                update(WebSession)
                .where(WebSession.id_hash == _hash(sid), WebSession.expires_at > self.clock())
                .values(data=dict(data))
            )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def end(self, sid: str) -> None:
        with self.database.transaction() as session:
            session.execute(delete(WebSession).where(WebSession.id_hash == _hash(sid)))

    def claim_handoff(self, ticket: str, sid: str) -> dict[str, Any] | None:
        """Spend a hand-off ticket (one UPDATE): its session's data, or None if it was spent, has
        expired, or belongs to another session than ``sid`` (a ticket alone signs nobody in)."""
        now = self.clock()
        query = update(WebSession).where(
            WebSession.handoff_hash == _hash(ticket),
            WebSession.handoff_expires_at > now,
            WebSession.expires_at > now,
            WebSession.id_hash == _hash(sid),
        )
        with self.database.transaction() as session:
            row = session.execute(
                query.values(handoff_hash=None, handoff_expires_at=None).returning(WebSession.data)
            ).first()
        return dict(row[0]) if row is not None else None
