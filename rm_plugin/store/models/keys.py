"""The columns every table of signing keys shares (the LTI tool's keys, the credential issuer's keys)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rm_plugin.store.types import JSONType, UTCDateTime, utcnow


class SigningKeyColumns:
    """An RSA signing key. The private key is stored encrypted with a key derived from the site's
    web secret; ``public_jwk`` is what gets published.

    ``status`` ``active`` signs; a ``retired`` key stays published until ``publish_until``, so a
    verifier checking something signed just before a rotation still finds it.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_key: Mapped[str] = mapped_column(Text)  # encrypted (Fernet token), never logged
    public_jwk: Mapped[dict] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | retired
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    publish_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
