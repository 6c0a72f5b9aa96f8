"""The platforms the tool trusts: registering them (by hand or dynamically), finding the one a
login names, their deployments, and their origins (the only pages allowed to frame the portal)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_plugin.lti.http import is_safe_url, origin
from rm_plugin.store.models import LtiDeployment, LtiPlatform

NOT_SAFE = "must be an https URL (plain http only for 127.0.0.1, ::1 or localhost)"


class PlatformError(Exception):
    """A platform registration or lookup that cannot be done; the message says why."""


@dataclass(frozen=True)
class PlatformValues:
    """What the platform side of a registration is made of (what IT copies from Moodle)."""

    issuer: str
    client_id: str
    auth_url: str
    jwks_url: str
    token_url: str = ""
    deployment_ids: tuple[str, ...] = ()
    name: str = ""

    def problems(self) -> list[str]:
        found = []
        for label, value in (
            ("issuer", self.issuer),
            ("authentication request URL", self.auth_url),
            ("public keyset URL", self.jwks_url),
        ):
            if not is_safe_url(value):
                found.append(f"{label} {NOT_SAFE}, not {value!r}")
        if self.token_url and not is_safe_url(self.token_url):
            found.append(f"access token URL {NOT_SAFE}, not {self.token_url!r}")
        if not self.client_id.strip():
            found.append("client id must not be empty")
        if any(not d.strip() for d in self.deployment_ids):
            found.append("a deployment id must not be empty")
        return found


def _is_url(value: str) -> bool:
    parts = urlsplit(value or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def save_platform(
    session: Session, values: PlatformValues, *, via: str = "manual", product: str = ""
) -> tuple[LtiPlatform, bool]:
    """Store a platform registration, or update the one with the same issuer and client id (its
    URLs, and any deployment not known yet). Returns the platform and whether it is new."""
    problems = values.problems()
    if problems:
        raise PlatformError("; ".join(problems))
    platform = session.scalar(
        select(LtiPlatform).where(
            LtiPlatform.issuer == values.issuer, LtiPlatform.client_id == values.client_id
        )
    )
    created = platform is None
    if platform is None:
        platform = LtiPlatform(issuer=values.issuer, client_id=values.client_id, jwks={})
        session.add(platform)
    if platform.jwks_url != values.jwks_url:
        platform.jwks = {}
        platform.jwks_fetched_at = None
    platform.auth_url = values.auth_url
    platform.jwks_url = values.jwks_url
    platform.token_url = values.token_url
    platform.name = values.name or platform.name or urlsplit(values.issuer).netloc
    platform.registered_via = via
    platform.product = product or platform.product or ""
    session.flush()
    add_deployments(session, platform, values.deployment_ids)
    return platform, created


def add_deployments(session: Session, platform: LtiPlatform, deployment_ids: Iterable[str]) -> list[str]:
    known = set(
        session.scalars(select(LtiDeployment.deployment_id).where(LtiDeployment.platform_id == platform.id))
    )
    added = []
    for deployment_id in deployment_ids:
        if deployment_id not in known:
            session.add(LtiDeployment(platform_id=platform.id, deployment_id=deployment_id))
            known.add(deployment_id)
            added.append(deployment_id)
    session.flush()
    return added


def find_platform(session: Session, issuer: str, client_id: str | None) -> LtiPlatform:
    """The registration a login names. Without a client id the issuer must have exactly one."""
    query = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
    if client_id:
        query = query.where(LtiPlatform.client_id == client_id)
    found = list(session.scalars(query.limit(2)))
    if not found:
        raise PlatformError("this platform is not registered with the tool")
    if len(found) > 1:
        raise PlatformError("the platform has several registrations here and the login named no client id")
    return found[0]


def has_deployment(session: Session, platform_id: int, deployment_id: str) -> bool:
    return (
        session.scalar(
            select(LtiDeployment.id).where(
                LtiDeployment.platform_id == platform_id, LtiDeployment.deployment_id == deployment_id
            )
        )
        is not None
    )


def deployments_of(session: Session, platform_id: int) -> list[str]:
    return list(
        session.scalars(
            select(LtiDeployment.deployment_id)
            .where(LtiDeployment.platform_id == platform_id)
            .order_by(LtiDeployment.id)
        )
    )


def platform_origins(session: Session) -> list[str]:
    """Origins of every registered platform (issuer and login URL), for ``frame-ancestors``."""
    origins: set[str] = set()
    for issuer, auth_url in session.execute(select(LtiPlatform.issuer, LtiPlatform.auth_url)):
        for url in (issuer, auth_url):
            if _is_url(url):
                origins.add(origin(url))
    return sorted(origins)


def listing(session: Session) -> list[LtiPlatform]:
    return list(session.scalars(select(LtiPlatform).order_by(LtiPlatform.id)))


def remove_platform(session: Session, platform_id: int) -> LtiPlatform:
    platform = session.get(LtiPlatform, platform_id)
    if platform is None:
        raise PlatformError(f"no platform {platform_id}; `rm-plugin lti platform list` shows them")
    session.delete(platform)
    session.flush()
    return platform
