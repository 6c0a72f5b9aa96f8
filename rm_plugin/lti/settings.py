"""The portal's settings, read from the site's ``[web]`` table and checked once at start."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rm_plugin.config import ConfigError, ConfigProblem
from rm_plugin.logs import remember_secrets
from rm_plugin.lti.tool import ToolUrls
from rm_plugin.people.accounts import IdentityRule
from rm_plugin.secret import Secret

if TYPE_CHECKING:
    from rm_plugin.site import Site

SITE_FILE = "rm-plugin.toml"


#: The shortest ``[web] secret_key`` taken: the keys it derives are no stronger than it is.
MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class WebSettings:
    public_url: str
    secret_key: Secret
    trusted_proxies: int = 0
    session_lifetime: dt.timedelta = dt.timedelta(hours=8)
    identity: IdentityRule = field(default_factory=IdentityRule)
    launches_per_minute: int = 60
    #: HR ids who may create programmes in the portal, besides those who run one already.
    programme_creators: tuple[str, ...] = ()

    @property
    def urls(self) -> ToolUrls:
        return ToolUrls(self.public_url.rstrip("/"))

    @classmethod
    def from_site(cls, site: Site, *, public_url: str | None = None) -> WebSettings:
        """Settings from ``[web]``; every missing key is reported at once as a ConfigError."""
        web = site.config["web"]
        url = public_url or web.get("public_url")
        secret = web.get("secret_key")
        problems = []
        if not url:
            problems.append(
                ConfigProblem(
                    SITE_FILE,
                    "web.public_url",
                    "missing; the portal's address as browsers reach it is needed",
                )
            )
        if not isinstance(secret, Secret):
            problems.append(
                ConfigProblem(
                    SITE_FILE,
                    "web.secret_key",
                    "missing; set secret_key_file (make one with `rm-plugin web secret`) or ${ENV_VAR}",
                )
            )
        elif len(secret.reveal().strip()) < MIN_SECRET_LENGTH:
            problems.append(
                ConfigProblem(
                    SITE_FILE,
                    "web.secret_key",
                    f"too short: at least {MIN_SECRET_LENGTH} characters, since it encrypts the tool's "
                    "signing keys and signs sessions (`rm-plugin web secret` makes one)",
                )
            )
        if problems:
            raise ConfigError(problems)
        assert isinstance(secret, Secret) and url
        remember_secrets(secret)
        return cls(
            public_url=str(url).rstrip("/"),
            secret_key=secret,
            trusted_proxies=int(web["trusted_proxies"]),
            session_lifetime=dt.timedelta(hours=int(web["session_hours"])),
            identity=IdentityRule.from_config(web["identity"]),
            launches_per_minute=int(web["rate_limit"]["launches_per_minute"]),
            programme_creators=tuple(web["programme_creators"]),
        )
