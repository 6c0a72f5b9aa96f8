"""A site that issues credentials: the portal's [web] table, the badges connection enabled, a key,
and a programme whose completion grants the default award to both members of a pair."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from rm_plugin.credentials.keys import CredentialKeys
from rm_plugin.credentials.settings import BadgeSettings
from rm_plugin.domain.milestones import default_milestones
from rm_plugin.site import Site
from rm_plugin.store.models import Pair, Person, Programme

PORTAL = "https://rm.example.com"
NOW = dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC)


def enable_badges(root: Path, **extra: str) -> None:
    (root / "secrets").mkdir(exist_ok=True)
    (root / "secrets" / "web-secret").write_text("badge-test-secret-" + "y" * 40 + "\n", encoding="utf-8")
    with (root / "rm-plugin.toml").open("a", encoding="utf-8") as fh:
        fh.write(f'\n[web]\npublic_url = "{PORTAL}"\nsecret_key_file = "secrets/web-secret"\n')
    lines = ['type = "badges"', "enabled = true", 'issuer_name = "Example Co"']
    lines.append('issuer_email = "learn@example.com"')
    lines += [f"{k} = {v}" for k, v in extra.items()]
    (root / "connectors" / "badges.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass
class BadgeWorld:
    site: Site
    settings: BadgeSettings
    keys: CredentialKeys
    pair_id: int


@pytest.fixture
def world(site_root: Path) -> Iterator[BadgeWorld]:
    enable_badges(site_root)
    site = Site.load(site_root, load_entrypoints=False)
    settings = BadgeSettings.from_site(site)
    keys = CredentialKeys(settings.secret, clock=lambda: NOW)
    with site.database.transaction() as s:
        keys.ensure(s)
        ada = Person(
            hr_id="E1001", email="Ada.Lovelace@example.com", given_name="Ada", family_name="Lovelace"
        )
        alan = Person(hr_id="E1002", email="alan.turing@example.com", given_name="Alan", family_name="Turing")
        programme = Programme(
            slug="rm-2026", name="Reverse mentoring 2026", milestones=default_milestones(meetings=2)
        )
        s.add_all([ada, alan, programme])
        s.flush()
        pair = Pair(programme_id=programme.id, mentee_id=alan.id, mentor_id=ada.id, status="active")
        s.add(pair)
        s.flush()
        pair_id = pair.id
    yield BadgeWorld(site, settings, keys, pair_id)
    site.close()
