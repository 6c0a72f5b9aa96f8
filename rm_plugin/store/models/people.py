"""People as the HR sources describe them, and their accounts on host platforms."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rm_plugin.store.models.base import Base
from rm_plugin.store.types import JSONType, UTCDateTime, utcnow


class Person(Base):
    """One employee. Never deleted by a sync: a leaver keeps the row with status ``left``."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    hr_id: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(254), index=True)
    given_name: Mapped[str] = mapped_column(String(100), default="")
    family_name: Mapped[str] = mapped_column(String(100), default="")
    job_level: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200), default="")
    department: Mapped[str] = mapped_column(String(200), default="")
    team: Mapped[str] = mapped_column(String(200), default="")
    manager_hr_id: Mapped[str | None] = mapped_column(String(64), index=True)
    location: Mapped[str] = mapped_column(String(200), default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="")
    languages: Mapped[list[str]] = mapped_column(JSONType, default=list)
    hire_date: Mapped[dt.date | None] = mapped_column(Date)
    termination_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip() or self.hr_id


class RosterProblem(Base):
    """A broken management link ``people sync`` found: kept until HR fixes it, reported once.

    ``kind`` is ``manager_missing`` (the manager is not stored, so who is above the person is
    unknown) or ``manager_left`` (the manager left but is still named).
    """

    __tablename__ = "roster_problems"

    hr_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    manager_hr_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")
    first_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccountLink(Base):
    """A person's account id on one host connection, resolved once and reused."""

    __tablename__ = "account_links"
    __table_args__ = (
        UniqueConstraint("person_id", "connection"),
        Index("ix_account_links_account", "connection", "account_id"),  # who is this LMS user?
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    connection: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[str] = mapped_column(String(128))
    resolved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncState(Base):
    """Cursors and timestamps a source needs between runs (e.g. last successful pull)."""

    __tablename__ = "sync_state"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[dict] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ConnectorState(Base):
    """A connection's own state between runs (e.g. Workday's newest rotating refresh token).

    Reached by connectors only through the :class:`~rm_plugin.connections.StateStore` their
    context gives them, one row per (connection, key), locked while it is read and changed.
    """

    __tablename__ = "connector_state"

    connection: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[dict] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
