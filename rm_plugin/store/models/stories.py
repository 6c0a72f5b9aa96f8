"""Success stories of pairs, and each member's consent to publish them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rm_plugin.store.models.base import Base
from rm_plugin.store.types import UTCDateTime, utcnow


class Story(Base):
    """A pair's success story: what they learned and what changed. One per pair.

    ``version`` grows with every edit (by a member or the admin): a consent is given to one
    version, so a changed text must be consented to again before it is published.
    ``status`` is ``draft`` or ``published``; withdrawing a consent unpublishes it.
    """

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"), unique=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    learned: Mapped[str] = mapped_column(Text, default="")
    changed: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | published
    edited_by: Mapped[str] = mapped_column(String(64), default="")  # HR id of the last editor
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    published_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:  # never the text
        return f"<Story {self.id} pair={self.pair_id} v{self.version} {self.status}>"


class StoryConsent(Base):
    """One member's consent to publish one version of a story, and how they are named in it.

    ``shown_as`` is ``name`` (their name and job title) or ``anonymous`` (only "the mentee" or
    "the mentor"). ``withdrawn_at`` set: the consent no longer holds.
    """

    __tablename__ = "story_consents"
    __table_args__ = (UniqueConstraint("story_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    shown_as: Mapped[str] = mapped_column(String(16))  # name | anonymous
    given_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
