"""Programmes, their invitations and the applications people make to them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rm_plugin.store.models.base import Base
from rm_plugin.store.types import JSONType, UTCDateTime, utcnow


class Programme(Base):
    """A reverse-mentoring programme and the rules it enforces.

    ``rules`` holds the optional hard rules (e.g. ``{"not_same_department": true,
    "shared_language": true, "min_overlap_hours": 2}``); ``weights`` the score weights;
    ``milestones`` the milestone definitions with what each host records.
    """

    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    objectives: Mapped[list[str]] = mapped_column(JSONType, default=list)
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    enrolment: Mapped[str] = mapped_column(String(16), default="open")  # open | invite
    status: Mapped[str] = mapped_column(String(16), default="open")  # draft | open | running | closed
    min_level_gap: Mapped[int] = mapped_column(Integer, default=2)
    tenure_tiebreak: Mapped[bool] = mapped_column(Boolean, default=False)
    mentor_max_level: Mapped[int | None] = mapped_column(Integer)
    mentee_min_level: Mapped[int | None] = mapped_column(Integer)
    reviewers_required: Mapped[int] = mapped_column(Integer, default=2)
    cadence_days: Mapped[int] = mapped_column(Integer, default=14)
    mentor_capacity: Mapped[int] = mapped_column(Integer, default=1)
    allow_mutual: Mapped[bool] = mapped_column(Boolean, default=False)
    rules: Mapped[dict] = mapped_column(JSONType, default=dict)
    weights: Mapped[dict] = mapped_column(JSONType, default=dict)
    milestones: Mapped[list[dict]] = mapped_column(JSONType, default=list)
    settings: Mapped[dict] = mapped_column(JSONType, default=dict)
    admin_hr_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Application(Base):
    """A person's application to a programme in one role.

    ``role`` is ``mentor`` (the junior) or ``mentee`` (the senior). ``skills_wanted`` maps a
    skill to its priority (1 low .. 3 high). ``availability`` lists weekly windows in the
    person's own time zone, e.g. ``[{"day": "mon", "start": "09:00", "end": "11:00"}]``.
    ``consent`` records what the person agreed to; ``demographics`` is opt-in data used only
    when the programme's objective asks for it, and never shown to reviewers.
    """

    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("programme_id", "person_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    skills_offered: Mapped[list[str]] = mapped_column(JSONType, default=list)
    skills_wanted: Mapped[dict] = mapped_column(JSONType, default=dict)
    topics_offered: Mapped[list[str]] = mapped_column(JSONType, default=list)
    topics_wanted: Mapped[list[str]] = mapped_column(JSONType, default=list)
    learning_style: Mapped[str] = mapped_column(String(32), default="")
    interests: Mapped[list[str]] = mapped_column(JSONType, default=list)
    availability: Mapped[list[dict]] = mapped_column(JSONType, default=list)
    meeting_mode: Mapped[str] = mapped_column(String(16), default="either")
    capacity: Mapped[int | None] = mapped_column(Integer)
    goals: Mapped[str] = mapped_column(Text, default="")
    consent: Mapped[dict] = mapped_column(JSONType, default=dict)
    demographics: Mapped[dict] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="submitted")  # submitted | withdrawn
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Invitation(Base):
    """Who was invited to a programme (or sent its announcement), when, and whether they applied."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("programme_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    kind: Mapped[str] = mapped_column(String(16), default="invitation")  # invitation | announcement
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    responded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
