"""The issuer's signing keys: the key store the LTI tool uses, over a table of their own.

Credentials are kept for years, so a rotated key is never dropped while a credential it signed
exists: it stays in the published key set and at its own address. Rotating without a compromise
just moves new credentials to the new key; after a compromise, revoke and reissue what the old
key signed (not automated).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from rm_plugin.credentials.urls import BadgeUrls
from rm_plugin.lti import jose
from rm_plugin.lti.keys import KeyStore
from rm_plugin.store.models import CredentialKey, IssuedCredential


class CredentialKeys(KeyStore):
    model = CredentialKey
    purpose = b"credential issuer keys"
    command = "rm-plugin badges keys"
    owner = "the credential issuer"

    def _in_use(self, session: Session) -> set[str]:
        return set(session.scalars(select(IssuedCredential.kid).distinct()))

    def published(self, session: Session) -> dict[str, Any]:
        """The active key, keys in their grace period, and every key a stored credential names."""
        now, used = self.clock(), self._in_use(session)
        keys = session.scalars(select(CredentialKey).order_by(CredentialKey.id.desc()))
        return {
            "keys": [
                dict(k.public_jwk)
                for k in keys
                if k.status == "active"
                or k.kid in used
                or (k.publish_until is not None and k.publish_until > now)
            ]
        }

    def public_jwk(self, session: Session, kid: str) -> dict[str, Any] | None:
        """The public JWK of a published key, or None."""
        for jwk in self.published(session)["keys"]:
            if jwk.get("kid") == kid:
                return jwk
        return None

    def prune(self, session: Session) -> int:
        """Delete retired keys past their grace that no stored credential names."""
        used = self._in_use(session)
        result = session.execute(
            delete(CredentialKey).where(
                CredentialKey.status == "retired",
                CredentialKey.publish_until < self.clock(),
                CredentialKey.kid.not_in(used) if used else CredentialKey.id.is_not(None),
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def sign_at(self, session: Session, claims: dict[str, Any], urls: BadgeUrls) -> tuple[str, str]:
        """The compact JWS of ``claims`` and the kid of the key that signed it. The header's ``kid``
        is the address the public key is served at, as Open Badges 3.0 asks."""
        key = self.signing_key(session)
        return jose.sign(claims, key.private_pem.reveal(), urls.key(key.kid)), key.kid


def as_published(jwk: dict[str, Any], urls: BadgeUrls) -> dict[str, Any]:
    """A JWK as served: its ``kid`` is its address, the value every credential's header names."""
    return {**jwk, "kid": urls.key(str(jwk["kid"]))}
