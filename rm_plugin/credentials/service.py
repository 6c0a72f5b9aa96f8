"""What the doors call about credentials, one site and one transaction per call."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rm_plugin.credentials import baking, issuing
from rm_plugin.credentials.keys import CredentialKeys
from rm_plugin.credentials.settings import BadgeSettings
from rm_plugin.credentials.verify import Verdict, verify_token
from rm_plugin.errors import UserError
from rm_plugin.lti.keys import KeyInfo

if TYPE_CHECKING:
    from rm_plugin.site import Site


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class KeyListing:
    made: str | None
    pruned: int
    keys: list[KeyInfo]
    urls: list[str]


def manage_keys(site: Site, *, rotate: bool = False, grace_days: int = 30) -> KeyListing:
    """Make the issuer's first key (or a new one with ``rotate``), drop unused retired keys past
    their grace, and list them with the addresses verifiers fetch them from."""
    settings = BadgeSettings.from_site(site)
    keys = CredentialKeys(settings.secret)
    with site.database.transaction() as session:
        made = keys.rotate(session, dt.timedelta(days=grace_days)) if rotate else keys.ensure(session)
        pruned = keys.prune(session)
        listing = keys.listing(session)
    return KeyListing(made, pruned, listing, [settings.urls.key(k.kid) for k in listing])


def list_credentials(
    site: Site, programme: str | None = None, hr_id: str | None = None
) -> list[issuing.CredentialLine]:
    settings = BadgeSettings.from_site(site)
    with site.database.transaction() as session:
        return issuing.list_credentials(session, settings, programme, hr_id)


def revoke(site: Site, credentials: Sequence[str], *, by: str, reason: str) -> list[str]:
    with site.database.transaction() as session:
        return issuing.revoke(session, credentials, by=by, reason=reason, now=_now())


def read_credential(path: Path) -> str:
    """The compact JWS in a ``.jwt`` file, a JSON download of ours, or a baked PNG or SVG."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        baked = baking.extract(data) if data[:1] in (b"\x89", b"<") or data.lstrip()[:1] == b"<" else None
    except baking.BakingError as exc:
        raise UserError(f"{path}: {exc}") from None
    if baked is not None:
        return baked
    text = data.decode("utf-8", errors="replace").strip()
    if text.startswith("{"):
        try:
            return str(json.loads(text)["jwt"])
        except (ValueError, KeyError, TypeError):
            raise UserError(f"{path}: a JSON file must be a credential download with its 'jwt'") from None
    return text


def verify_file(site: Site, path: Path) -> Verdict:
    """Verify the credential in a file as this issuer's verification page would."""
    token = read_credential(path)
    settings = BadgeSettings.from_site(site)
    with site.database.transaction() as session:
        return verify_token(session, settings, CredentialKeys(settings.secret), token, _now())
