"""The outbox of host deliveries, their receipts, and the audit log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rm_plugin.store.models.base import Base
from rm_plugin.store.types import JSONType, UTCDateTime, utcnow


class OutboxItem(Base):
    """A fact that must reach a host, written in the same transaction as its cause.

    ``key`` is the idempotency key (unique): writing the same fact twice is a no-op.
    ``status``: pending -> done, or pending -> parked (a permanent failure, with
    ``last_error``); ``next_attempt_at`` delays a retry after a transient failure.
    ``locked_by``/``lease_until`` lease a pending row to one sync worker while it delivers it;
    a row whose lease ran out (its worker died) can be claimed again.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    connection: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    locked_by: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class StoredReceipt(Base):
    """Proof that a host received a delivery, keyed like the outbox row it answers."""

    __tablename__ = "receipts"
    __table_args__ = (UniqueConstraint("connection", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))
    host_ref: Mapped[str] = mapped_column(String(255), default="")
    data: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """Who did what to which entity; never note text or survey answers."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict] = mapped_column(JSONType, default=dict)
