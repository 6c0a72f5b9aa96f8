"""Signing keys: made, rotated without downtime, published, and used to sign.

:class:`KeyStore` keeps one table of keys (:class:`~rm_plugin.store.models.keys.SigningKeyColumns`);
:class:`ToolKeys` are the LTI tool's, and the credential issuer keeps its own in another table.
Private keys are stored encrypted with a key derived from the site's web secret (``[web]
secret_key``) and the table's purpose, so a copy of the database alone signs nothing; they never
reach a log or a repr. Rotating makes a new active key and keeps the previous one in the key set
for a grace period, so a platform that cached the old key set, or is verifying a message signed a
moment ago, still finds the key it needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from rm_plugin.lti import jose
from rm_plugin.secret import Secret, sealing_key
from rm_plugin.store.models import LtiToolKey
from rm_plugin.store.models.keys import SigningKeyColumns

#: How long a retired key stays in the published key set by default.
DEFAULT_GRACE = dt.timedelta(days=7)


class ToolKeyError(Exception):
    """No usable signing key; the message says which command fixes it."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: Secret


@dataclass(frozen=True)
class KeyInfo:
    kid: str
    status: str
    created_at: dt.datetime
    publish_until: dt.datetime | None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class KeyStore:
    """The keys of one table of a site; ``secret`` is the site's web secret.

    A subclass names its ``model`` (the table), its ``purpose`` (what the encryption key is derived
    for, so a key of one table cannot be read as one of another) and the ``command`` that makes a key.
    """

    model: type[SigningKeyColumns]
    purpose: bytes
    command: str
    owner: str

    def __init__(self, secret: Secret, clock: Callable[[], dt.datetime] = _now) -> None:
        self._fernet = sealing_key(secret, self.purpose)
        self.clock = clock

    def __repr__(self) -> str:
        return f"{type(self).__name__}(***)"

    def rotate(self, session: Session, grace: dt.timedelta = DEFAULT_GRACE) -> str:
        """Make a new active key; the previous active key is retired but published for ``grace``.
        Returns the new key's kid. With no key yet, this makes the first one."""
        now = self.clock()
        for key in session.scalars(select(self.model).where(self.model.status == "active")):
            key.status = "retired"
            key.retired_at = now
            key.publish_until = now + grace
        private_pem, public = jose.new_rsa_key()
        encrypted = self._fernet.encrypt(private_pem.encode("ascii")).decode("ascii")
        session.add(self.model(kid=public["kid"], private_key=encrypted, public_jwk=public, status="active"))
        session.flush()
        return str(public["kid"])

    def ensure(self, session: Session) -> str | None:
        """Make the first key if there is none; returns its kid, or None if one existed."""
        if session.scalar(select(self.model.id).where(self.model.status == "active")) is None:
            return self.rotate(session)
        return None

    def prune(self, session: Session) -> int:
        """Delete retired keys whose publication window has ended; returns how many."""
        result = session.execute(
            delete(self.model).where(self.model.status == "retired", self.model.publish_until < self.clock())
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def listing(self, session: Session) -> list[KeyInfo]:
        rows = session.scalars(
            select(self.model).order_by(self.model.created_at.desc(), self.model.id.desc())
        )
        return [KeyInfo(k.kid, k.status, k.created_at, k.publish_until) for k in rows]

    def published(self, session: Session) -> dict[str, Any]:
        """The JWKS: the active key and every retired key still inside its grace period."""
        now = self.clock()
        keys = session.scalars(select(self.model).order_by(self.model.id.desc()))
        return {
            "keys": [
                dict(k.public_jwk)
                for k in keys
                if k.status == "active" or (k.publish_until is not None and k.publish_until > now)
            ]
        }

    def signing_key(self, session: Session) -> SigningKey:
        key = session.scalar(
            select(self.model).where(self.model.status == "active").order_by(self.model.id.desc())
        )
        if key is None:
            raise ToolKeyError(f"{self.owner} has no signing key yet; make one with `{self.command}`")
        try:
            pem = self._fernet.decrypt(key.private_key.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise ToolKeyError(
                f"{self.owner}'s signing key was stored under another [web] secret_key; restore that "
                f"secret, or make a new key with `{self.command} --rotate`"
            ) from None
        return SigningKey(key.kid, Secret(pem))

    def sign(self, session: Session, claims: dict[str, Any]) -> str:
        key = self.signing_key(session)
        return jose.sign(claims, key.private_pem.reveal(), key.kid)


class ToolKeys(KeyStore):
    """The LTI tool's keys: platforms fetch the new one from the tool's JWKS after a rotation."""

    model = LtiToolKey
    purpose = b"lti tool keys"
    command = "rm-plugin lti keys"
    owner = "the tool"
