"""The issuer's stable addresses, all under the portal's public URL (``[web] public_url``).

They are written into every credential, so they must not change once one was issued: the
credential's ``id`` is its verification page, the issuer's ``id`` its profile, and each key's
``kid`` the address its public JWK is served at.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class BadgeUrls:
    base: str  # ``[web] public_url``, e.g. https://rm.example.com

    def _at(self, path: str) -> str:
        return self.base.rstrip("/") + "/badges" + path

    @property
    def issuer(self) -> str:
        return self._at("/issuer")

    @property
    def keys(self) -> str:
        return self._at("/keys")

    def key(self, kid: str) -> str:
        return self._at(f"/keys/{quote(kid, safe='')}")

    def achievement(self, programme: str, award: str) -> str:
        return self._at(f"/achievements/{quote(programme, safe='')}/{quote(award, safe='')}")

    def achievement_image(self, programme: str, award: str, kind: str = "svg") -> str:
        return self.achievement(programme, award) + f"/image.{kind}"

    def credential(self, uuid: str) -> str:
        return self._at(f"/credentials/{uuid}")

    def status_list(self, number: int) -> str:
        return self._at(f"/status/{number}")

    def kid_of(self, key_url: str) -> str | None:
        """The key id a ``kid`` header names, if it is one of this issuer's key addresses."""
        prefix = self._at("/keys/")
        if not key_url.startswith(prefix):
            return None
        rest = key_url[len(prefix) :]
        return rest if rest and "/" not in rest else None

    def uuid_of(self, credential_id: str) -> str | None:
        prefix = self._at("/credentials/")
        return credential_id[len(prefix) :] if credential_id.startswith(prefix) else None
