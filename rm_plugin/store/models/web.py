"""Web sessions and rate-limit counters, kept in the database so that every web worker shares them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from rm_plugin.store.models.base import Base
from rm_plugin.store.types import JSONType, UTCDateTime, utcnow


class WebSession(Base):
    """A signed-in browser. ``id_hash`` is the SHA-256 of the cookie value, so a copy of the
    database does not hand out live sessions. ``handoff_hash`` is a one-time ticket that carries
    this session into a new window when the browser dropped the cookie inside the LMS frame."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_expires_at", "expires_at"),)

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    handoff_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    handoff_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class WebRateCounter(Base):
    """Requests one client made to one kind of endpoint in one fixed time window."""

    __tablename__ = "web_rate_counters"

    bucket: Mapped[str] = mapped_column(String(128), primary_key=True)
    window: Mapped[int] = mapped_column(Integer, primary_key=True)  # window start, epoch seconds
    hits: Mapped[int] = mapped_column(Integer, default=0)
