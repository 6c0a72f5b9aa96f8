"""The demo's issuer: a site made by the demo issues Open Badges 3.0 credentials for its completed
pairs, and the demo says where they are.

Only a site without a ``[web]`` table is given one (the demo's own portal address and a fresh
secret in ``secrets/``, never committed anywhere), and only the template's disabled
``connectors/badges.toml`` is switched on: a site an admin configured is left as it is.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from rm_plugin.config import ConfigError
from rm_plugin.credentials import issuing
from rm_plugin.credentials.keys import CredentialKeys
from rm_plugin.credentials.settings import BadgeSettings

if TYPE_CHECKING:
    from rm_plugin.site import Site

SECRET_FILE = "secrets/web-secret"


def prepare_demo_issuer(root: Path, public_url: str) -> None:
    """Give a demo site the portal settings and the enabled badges connection it needs."""
    config = root / "rm-plugin.toml"
    text = config.read_text(encoding="utf-8")
    if not re.search(r"^\[web\]", text, re.MULTILINE):
        secret = root / SECRET_FILE
        secret.parent.mkdir(exist_ok=True)
        if not secret.exists():
            secret.write_text(secrets.token_urlsafe(48) + "\n", encoding="utf-8")
            secret.chmod(0o600)
        config.write_text(
            text.rstrip("\n")
            + f'\n\n[web]\npublic_url = "{public_url}"\nsecret_key_file = "{SECRET_FILE}"\n',
            encoding="utf-8",
        )
    connector = root / "connectors" / "badges.toml"
    if connector.exists():
        current = connector.read_text(encoding="utf-8")
        connector.write_text(current.replace("enabled = false", "enabled = true", 1), encoding="utf-8")


def ensure_key(site: Site) -> None:
    """The issuer's first signing key (what `rm-plugin badges keys` makes), if it has none."""
    try:
        settings = BadgeSettings.from_site(site)
    except ConfigError:
        return
    with site.database.transaction() as session:
        CredentialKeys(settings.secret).ensure(session)


def issued(site: Site) -> list[issuing.CredentialLine]:
    try:
        settings = BadgeSettings.from_site(site)
    except ConfigError:
        return []
    with site.database.transaction() as session:
        return issuing.list_credentials(session, settings)


def describe(site: Site, lines: list[issuing.CredentialLine], kept: bool) -> list[str]:
    """Where the credentials are, in a few lines; the commands to look at them only for a site
    that outlives the demo."""
    if not lines:
        return ["no credential issued (no pair completed, or the badges connection is off)"]
    first = lines[0]
    out = [
        f"{len(lines)} credential(s) issued, signed as VC-JWT, one per person of each completed pair",
        f"e.g. {first.hr_id}: {first.url}",
    ]
    if kept:
        out += [
            f"list them: rm-plugin --site {site.root} badges list",
            f"see a verification page: rm-plugin --site {site.root} serve, then open the address above",
        ]
    out.append("a participant downloads theirs (baked PNG, SVG, JSON) at /portal/mine/credentials")
    return out
