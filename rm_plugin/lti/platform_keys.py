"""The platforms' public keys: fetched from their JWKS URL, cached in the database for every
worker, and fetched again when a launch names a key the cache does not hold (the platform rotated).

A token naming an unknown key can make us fetch at most once per :data:`MIN_REFETCH`, so forged
tokens cannot turn the tool into a load generator against the platform. The fetch is recorded in a
transaction of its own, committed before a refusal is raised: a launch that fails afterwards must
not roll the record back and so reopen the throttle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import requests
from sqlalchemy.orm import Session

from rm_plugin.http import HostError
from rm_plugin.lti.http import client_for
from rm_plugin.store import Database
from rm_plugin.store.models import LtiPlatform

#: A cached key set older than this is fetched again even when it holds the key.
MAX_AGE = dt.timedelta(hours=12)
#: No second fetch for an unknown key within this time of the last one.
MIN_REFETCH = dt.timedelta(seconds=30)


class PlatformKeyError(Exception):
    """No key of the platform can check this token; the message says why (never the token)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PlatformKeys:
    def __init__(
        self,
        clock: Callable[[], dt.datetime] = _now,
        http_session: requests.Session | None = None,
    ) -> None:
        self.clock = clock
        self.http_session = http_session

    def key_for(self, database: Database, platform_id: int, kid: str | None) -> dict[str, Any]:
        """The platform's public JWK named ``kid`` (with no kid: its only key). No transaction is
        open while the platform answers; the fetched set is stored before anything is refused."""
        now = self.clock()
        with database.transaction() as session:
            platform = _platform(session, platform_id)
            fetched_at, cached = platform.jwks_fetched_at, platform.jwks
        fresh = fetched_at is not None and now - fetched_at < MAX_AGE
        if fresh:
            found = _pick(cached, kid)
            if found is not None:
                return found
            age = now - fetched_at  # type: ignore[operator]
            if age < MIN_REFETCH:
                raise PlatformKeyError(
                    f"the platform's key set has no key {kid!r} (fetched {int(age.total_seconds())} s ago)"
                )
        with database.transaction() as session:
            platform = _platform(session, platform_id)
            platform.jwks_fetched_at = now  # counts as a fetch even when the platform fails to answer
            jwks_url, label = platform.jwks_url, platform.name or platform.issuer
        keys = self.fetch(jwks_url, label)
        with database.transaction() as session:
            platform = _platform(session, platform_id)
            if platform.jwks_url == jwks_url:
                platform.jwks = keys
        found = _pick(keys, kid)
        if found is None:
            raise PlatformKeyError(f"the platform's key set at {jwks_url} has no key {kid!r}")
        return found

    def fetch(self, jwks_url: str, label: str) -> dict[str, Any]:
        http = client_for(jwks_url, f"LTI platform {label}", session=self.http_session)
        try:
            body = http.request_json("GET", jwks_url, call_name="GET key set")
        except HostError as exc:
            raise PlatformKeyError(f"cannot fetch the platform's key set: {exc}") from None
        finally:
            http.close()
        if not isinstance(body, Mapping) or not isinstance(body.get("keys"), list):
            raise PlatformKeyError(f'the platform\'s key set at {jwks_url} is not a JWKS ({{"keys": [...]}})')
        return {"keys": [k for k in body["keys"] if isinstance(k, Mapping) and k.get("kty") == "RSA"]}


def _platform(session: Session, platform_id: int) -> LtiPlatform:
    platform = session.get(LtiPlatform, platform_id)
    if platform is None:
        raise PlatformKeyError("the platform is no longer registered")
    return platform


def _pick(jwks: Mapping[str, Any] | None, kid: str | None) -> dict[str, Any] | None:
    keys = [k for k in (jwks or {}).get("keys", []) if isinstance(k, Mapping)]
    if kid is None:
        return dict(keys[0]) if len(keys) == 1 else None
    for key in keys:
        if key.get("kid") == kid and key.get("use", "sig") == "sig":
            return dict(key)
    return None
