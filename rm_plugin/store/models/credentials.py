"""Open Badges 3.0 credentials the site issued, and the keys it signs them with.

A credential's revocation is a fact on its row; the published status list is built from these
rows, so revoking is one update and every status list served afterwards shows it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rm_plugin.store.models.base import Base
from rm_plugin.store.models.keys import SigningKeyColumns
from rm_plugin.store.types import UTCDateTime, utcnow


class CredentialKey(SigningKeyColumns, Base):
    """One of the issuer's RSA keys. Credentials live for years, so a retired key that signed
    one stays published for as long as the credential row exists."""

    __tablename__ = "credential_keys"


class IssuedCredential(Base):
    """An OpenBadgeCredential issued to a person for one award of a programme.

    ``delivery_key`` is the outbox key of the award it answers, so a retried delivery finds the
    credential it made instead of issuing a second. ``status_index`` is its bit in the
    revocation status list. ``token`` is the signed credential (VC-JWT), emptied when its
    holder's data is erased (the holder keeps their copy; the status list still answers for it).
    """

    __tablename__ = "credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    delivery_key: Mapped[str] = mapped_column(String(255), unique=True)
    status_index: Mapped[int] = mapped_column(Integer, unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id", ondelete="SET NULL"))
    pair_id: Mapped[int | None] = mapped_column(ForeignKey("pairs.id", ondelete="SET NULL"))
    programme_slug: Mapped[str] = mapped_column(String(64))
    award: Mapped[str] = mapped_column(String(64))
    achievement_name: Mapped[str] = mapped_column(String(200), default="")
    kid: Mapped[str] = mapped_column(String(64))  # the key it was signed with
    token: Mapped[str] = mapped_column(Text, default="")
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str] = mapped_column(String(64), default="")
    revoked_reason: Mapped[str] = mapped_column(Text, default="")

    def revoke(self, by: str, reason: str, at: dt.datetime) -> bool:
        """Mark it revoked (the status list shows it from now on); False if it already was."""
        if self.revoked_at is not None:
            return False
        self.revoked_at, self.revoked_by, self.revoked_reason = at, by, reason
        return True

    def __repr__(self) -> str:
        return f"<IssuedCredential {self.uuid} {self.programme_slug}/{self.award}>"
