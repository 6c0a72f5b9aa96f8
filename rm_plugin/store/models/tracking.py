"""What a pair does: meetings, survey answers, milestones reached and nudges sent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rm_plugin.store.models.base import Base
from rm_plugin.store.types import JSONType, UTCDateTime, utcnow


class Meeting(Base):
    """A logged meeting. ``private_note`` is confidential to the pair: it never leaves them."""

    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("pair_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[dt.date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(16))
    topics: Mapped[list[str]] = mapped_column(JSONType, default=list)
    private_note: Mapped[str] = mapped_column(Text, default="")
    logged_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:  # never the note
        return f"<Meeting {self.id} pair={self.pair_id} on={self.held_on}>"


class SurveyResponse(Base):
    """A pulse (after a meeting), midpoint or final retrospective answer by one person."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    kind: Mapped[str] = mapped_column(String(16))  # pulse | midpoint | final
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    answers: Mapped[dict] = mapped_column(JSONType, default=dict)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MilestoneReached(Base):
    """A milestone a pair (or one of its members) reached; reaching it again changes nothing."""

    __tablename__ = "milestones_reached"
    __table_args__ = (UniqueConstraint("pair_id", "milestone", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"), index=True)
    milestone: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reached_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Nudge(Base):
    """A nudge sent for one lapse of a pair at one escalation level; never repeated."""

    __tablename__ = "nudges"
    __table_args__ = (UniqueConstraint("pair_id", "lapse", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"), index=True)
    lapse: Mapped[str] = mapped_column(String(64))  # e.g. the date of the last meeting
    level: Mapped[str] = mapped_column(String(16))  # mentee | both | admin
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    detail: Mapped[str] = mapped_column(Text, default="")
