"""What the issuer is and where it lives: ``connectors/badges.toml`` and the site's ``[web]`` table.

``connectors/badges.toml``::

    type = "badges"
    issuer_name = "Example Co"                  # default: [site] name
    issuer_url = "https://www.example.com"      # the organisation's home page (default: the portal)
    issuer_email = "learning@example.com"       # optional
    [achievements.reverse-mentoring]            # one table per award name (all optional)
    name = "Reverse mentoring"
    description = "..."
    criteria = "..."                            # default: the programme's milestones, in words
    image = "badges/reverse-mentoring.png"      # a PNG or SVG in the site (default: a drawn medal)

The portal's ``[web] public_url`` is the root of every address a credential names, and its
``[web] secret_key`` encrypts the issuer's keys, as it does the LTI tool's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marshmallow import Schema, fields

from rm_plugin.config import ConfigError, ConfigProblem, Secret
from rm_plugin.credentials.model import AchievementInfo, Issuer, criteria_narrative
from rm_plugin.credentials.urls import BadgeUrls

if TYPE_CHECKING:
    from rm_plugin.site import Site
    from rm_plugin.store.models import Programme

CONNECTOR_TYPE = "badges"
SITE_FILE = "rm-plugin.toml"


class AchievementConfig(Schema):
    name = fields.String(load_default="")
    description = fields.String(load_default="")
    criteria = fields.String(load_default="")
    image = fields.String(load_default="")


class BadgesConfig(Schema):
    issuer_name = fields.String(load_default="")
    issuer_url = fields.String(load_default="")
    issuer_email = fields.String(load_default="")
    description = fields.String(load_default="")
    achievements = fields.Dict(
        keys=fields.String(), values=fields.Nested(AchievementConfig), load_default=dict
    )


@dataclass(frozen=True)
class BadgeSettings:
    urls: BadgeUrls
    issuer: Issuer
    secret: Secret
    site_root: Path
    achievements: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @classmethod
    def from_config(
        cls, site_root: Path, site_config: Mapping[str, Any], values: Mapping[str, Any]
    ) -> BadgeSettings:
        """Settings from ``rm-plugin.toml`` and the badges connection's values; every missing key
        is reported at once as a ConfigError."""
        web = site_config["web"]
        problems = []
        if not web.get("public_url"):
            problems.append(
                ConfigProblem(
                    SITE_FILE, "web.public_url", "missing; credentials name the portal's address for ever"
                )
            )
        if not isinstance(web.get("secret_key"), Secret):
            problems.append(
                ConfigProblem(
                    SITE_FILE,
                    "web.secret_key",
                    "missing; it encrypts the issuer's keys (make one with `rm-plugin web secret`)",
                )
            )
        if problems:
            raise ConfigError(problems)
        urls = BadgeUrls(str(web["public_url"]).rstrip("/"))
        issuer = Issuer(
            id=urls.issuer,
            name=str(values.get("issuer_name") or site_config["site"]["name"]),
            url=str(values.get("issuer_url") or urls.base),
            email=str(values.get("issuer_email") or ""),
            description=str(values.get("description") or ""),
        )
        return cls(urls, issuer, web["secret_key"], site_root, dict(values.get("achievements") or {}))

    @classmethod
    def from_site(cls, site: Site) -> BadgeSettings:
        """The settings of a loaded site: its enabled ``badges`` connection's values, if it has one."""
        values: Mapping[str, Any] = {}
        for connection in site.enabled_connections():
            if connection.type == CONNECTOR_TYPE:
                values = connection.values
                break
        return cls.from_config(site.root, site.config, values)

    def image_file(self, award: str) -> Path | None:
        """The site's own image for ``award``, if it names one."""
        name = self.achievements.get(award, {}).get("image")
        return (self.site_root / name) if name else None

    def achievement(self, programme: Programme, award: str, image_kind: str = "svg") -> AchievementInfo:
        """The achievement a programme's ``award`` recognises, from the config or the defaults."""
        own = self.achievements.get(award, {})
        milestone = next(
            (
                m.get("key")
                for m in programme.milestones or []
                if any(r.get("award") == award for r in m.get("records", []))
            ),
            None,
        )
        return AchievementInfo(
            id=self.urls.achievement(programme.slug, award),
            name=own.get("name") or award.replace("-", " ").replace("_", " ").capitalize(),
            description=own.get("description")
            or (
                f"Took part in {programme.name}, a reverse-mentoring programme in which a junior "
                "colleague mentors a senior leader and both learn, and completed it."
            ),
            criteria=own.get("criteria") or criteria_narrative(programme.milestones or [], until=milestone),
            image_url=self.urls.achievement_image(programme.slug, award, image_kind),
            tags=("reverse mentoring",),
        )
