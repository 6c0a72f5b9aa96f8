"""The outbox of host deliveries, their receipts, and the audit log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rm_plugin.store.models.base import Base
from rm_plugin.store.types import JSONType, UTCDateTime, utcnow


class OutboxItem(Base):
    """A fact that must reach a host, written in the same transaction as its cause.

    ``key`` is the idempotency key (unique): writing the same fact twice is a no-op.
    ``status``: pending -> done, pending -> parked (a permanent failure, with ``last_error``),
    or pending -> held (a row it waits for is parked; it returns to pending when that row is
    retried). ``next_attempt_at`` is when a worker may next claim the row: after a transient
    failure, while a prerequisite is unfinished, and while the row is leased (``locked_by``
    until ``lease_until``), so a claim reads "due rows" straight off ``ix_outbox_next``.
    ``outcome`` says how a done row ended (delivered, already there, skipped by the host,
    marked delivered by an admin); ``last_error`` is why it is parked, held, waiting or skipped.
    ``maybe_sent``: an attempt timed out after sending, so the host may have it already.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_next", "connection", "status", "next_attempt_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    connection: Mapped[str] = mapped_column(String(64))
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
    outcome: Mapped[str | None] = mapped_column(String(16))
    maybe_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The keys this row follows (written with the row; the sync engine reads the table itself).
    after: Mapped[list[OutboxPrerequisite]] = relationship(cascade="all, delete-orphan", lazy="raise")


class OutboxPrerequisite(Base):
    """Row ``outbox_id`` is not delivered before the row whose key is ``key`` is done.

    Keys, not ids: a prerequisite may be queued after its dependent (a backfill), and one that
    was never queued (a host enabled later) holds nothing back.
    """

    __tablename__ = "outbox_after"
    __table_args__ = (Index("ix_outbox_after_key", "key"),)

    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)


class WorkerJob(Base):
    """One scheduled job of ``rm-plugin worker``: when it runs next, and which worker holds it now.

    A worker runs a job only after leasing its row (``locked_by`` until ``lease_until``), so
    several workers on one database never run the same job at the same time or twice per slot.
    """

    __tablename__ = "worker_jobs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_run_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_outcome: Mapped[str] = mapped_column(Text, default="")
    runs: Mapped[int] = mapped_column(Integer, default=0)


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
