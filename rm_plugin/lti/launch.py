"""The launch: the platform form-posts a signed ``id_token`` and our ``state`` back (LTI 1.3
Core §5.1.2 and §5.1.3; 1EdTech Security Framework §5.1.3).

The state is consumed first, by one atomic DELETE committed in a transaction of its own, whatever
happens next: a launch can be tried once, and a forged token spends the state it was sent with.
Then the token must be signed by a key of the platform that state was made for, issued by that
platform to our client id, current, carry the nonce made with the state, name a deployment we
know, and name as its target the page of this tool the login was started for (same origin and
path). Messages say what failed without quoting the token or any claim value.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete
from sqlalchemy.orm import Session

from rm_plugin.lti import claims as c
from rm_plugin.lti import jose
from rm_plugin.lti.login import state_hash
from rm_plugin.lti.platform_keys import PlatformKeyError, PlatformKeys
from rm_plugin.lti.platforms import has_deployment
from rm_plugin.store import Database
from rm_plugin.store.models import LtiLoginState, LtiPlatform

#: Clock difference tolerated between the platform and us (Moodle's id_token lives 60 s).
LEEWAY = dt.timedelta(seconds=10)
MESSAGE_TYPES = frozenset({c.RESOURCE_LINK_REQUEST, c.DEEP_LINKING_REQUEST})


class LaunchError(Exception):
    """A launch refused; ``reason`` is a short code for logs and tests, the message is for people."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


@dataclass(frozen=True)
class Launch:
    """A launch that passed every check. ``claims`` are the verified id_token claims: they hold
    personal data, so they are never logged."""

    platform_id: int
    issuer: str
    client_id: str
    deployment_id: str
    message_type: str
    sub: str
    claims: Mapping[str, Any]

    def __repr__(self) -> str:
        return f"Launch(platform_id={self.platform_id}, message_type={self.message_type!r})"

    @property
    def context_id(self) -> str:
        return str((self.claims.get(c.CONTEXT) or {}).get("id") or "")

    @property
    def resource_link_id(self) -> str:
        return str((self.claims.get(c.RESOURCE_LINK) or {}).get("id") or "")

    @property
    def locale(self) -> str:
        return str((self.claims.get(c.LAUNCH_PRESENTATION) or {}).get("locale") or "")

    @property
    def ags(self) -> Mapping[str, Any]:
        endpoint = self.claims.get(c.AGS_ENDPOINT)
        return endpoint if isinstance(endpoint, Mapping) else {}

    @property
    def deep_linking_settings(self) -> Mapping[str, Any]:
        settings = self.claims.get(c.DEEP_LINKING_SETTINGS)
        return settings if isinstance(settings, Mapping) else {}


@dataclass(frozen=True)
class LoginState:
    platform_id: int
    nonce: str
    target_link_uri: str


def consume_state(session: Session, state: str, now: dt.datetime) -> LoginState:
    """Delete the login state atomically and return what the login stored; a state can be used
    once, by one worker, before it expires."""
    row = session.execute(
        delete(LtiLoginState)
        .where(LtiLoginState.state_hash == state_hash(state), LtiLoginState.expires_at > now)
        .returning(LtiLoginState.platform_id, LtiLoginState.nonce, LtiLoginState.target_link_uri)
    ).first()
    if row is None:
        raise LaunchError(
            "state",
            "this launch was already used or has expired; open the activity again from your course",
        )
    return LoginState(int(row[0]), str(row[1]), str(row[2] or ""))


def validate_launch(
    database: Database,
    *,
    id_token: str,
    state: str,
    keys: PlatformKeys,
    now: dt.datetime,
    leeway: dt.timedelta = LEEWAY,
) -> Launch:
    if not id_token or not state:
        raise LaunchError(
            "missing", "the launch lacks its id_token or state; open the activity from your course"
        )
    with database.transaction() as session:
        login = consume_state(session, state, now)
    try:
        kid = jose.header(id_token).get("kid")
        key = keys.key_for(database, login.platform_id, str(kid) if kid is not None else None)
        body = jose.verify(id_token, key)
    except jose.InvalidToken as exc:
        raise LaunchError("signature", f"the launch token was refused: {exc}") from None
    except PlatformKeyError as exc:
        raise LaunchError("key", f"the launch token was refused: {exc}") from None
    with database.transaction() as session:
        platform = session.get(LtiPlatform, login.platform_id)
        if platform is None:
            raise LaunchError("platform", "the platform of this launch is no longer registered")
        _check_claims(body, platform, login.nonce, now, leeway)
        _check_target(body, login.target_link_uri)
        deployment_id = str(body.get(c.DEPLOYMENT_ID) or "")
        if not deployment_id or not has_deployment(session, platform.id, deployment_id):
            raise LaunchError(
                "deployment", "the launch names a deployment of the tool that is not registered here"
            )
        message_type = str(body.get(c.MESSAGE_TYPE) or "")
        return Launch(
            platform_id=platform.id,
            issuer=platform.issuer,
            client_id=platform.client_id,
            deployment_id=deployment_id,
            message_type=message_type,
            sub=str(body.get("sub") or ""),
            claims=body,
        )


def _check_claims(
    body: Mapping[str, Any], platform: LtiPlatform, nonce: str, now: dt.datetime, leeway: dt.timedelta
) -> None:
    if body.get("iss") != platform.issuer:
        raise LaunchError("issuer", "the launch token was issued by another platform than the login named")
    audience = body.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if platform.client_id not in audiences:
        raise LaunchError(
            "audience", "the launch token is meant for another tool (its audience is not our client id)"
        )
    azp = body.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != platform.client_id:
        raise LaunchError("azp", "the launch token's authorised party is not our client id")
    exp, iat = body.get("exp"), body.get("iat")
    if not _is_number(exp) or not _is_number(iat):
        raise LaunchError("times", "the launch token lacks exp or iat")
    stamp = now.timestamp()
    slack = leeway.total_seconds()
    if stamp > float(exp) + slack:
        raise LaunchError(
            "expired", "the launch took too long and its token expired; open the activity again"
        )
    if float(iat) > stamp + slack:
        raise LaunchError(
            "iat", "the launch token was issued in the future; check the clocks of both servers"
        )
    nbf = body.get("nbf")
    if _is_number(nbf) and float(nbf) > stamp + slack:
        raise LaunchError("nbf", "the launch token is not valid yet")
    if not isinstance(body.get("nonce"), str) or not hmac.compare_digest(
        str(body["nonce"]).encode(), nonce.encode()
    ):
        raise LaunchError("nonce", "the launch token does not answer this login (nonce mismatch)")
    if body.get(c.VERSION) != c.LTI_VERSION:
        raise LaunchError("version", "the launch is not LTI 1.3.0")
    if body.get(c.MESSAGE_TYPE) not in MESSAGE_TYPES:
        raise LaunchError("message_type", "the tool does not handle this kind of LTI message")
    if body.get(c.MESSAGE_TYPE) == c.RESOURCE_LINK_REQUEST:
        link = body.get(c.RESOURCE_LINK)
        if not isinstance(link, Mapping) or not link.get("id"):
            raise LaunchError("resource_link", "the launch names no resource link")
        if not body.get("sub"):
            raise LaunchError("sub", "the launch names no user")
    if body.get(c.MESSAGE_TYPE) == c.DEEP_LINKING_REQUEST:
        settings = body.get(c.DEEP_LINKING_SETTINGS)
        if not isinstance(settings, Mapping) or not settings.get("deep_link_return_url"):
            raise LaunchError("deep_linking", "the deep linking request has no return URL")


def _check_target(body: Mapping[str, Any], login_target: str) -> None:
    """The token's target_link_uri is required on a resource link launch (LTI Core §5.3.4) and,
    when present, must be the page the login was started for (itself checked to be this tool's)."""
    target = body.get(c.TARGET_LINK_URI)
    if target is None and body.get(c.MESSAGE_TYPE) != c.RESOURCE_LINK_REQUEST:
        return
    if not isinstance(target, str) or not _same_page(target, login_target):
        raise LaunchError(
            "target_link_uri", "the launch token names another target than the login it answers"
        )


def _same_page(one: str, other: str) -> bool:
    a, b = urlsplit(one), urlsplit(other)
    return (a.scheme, a.netloc, a.path.rstrip("/")) == (b.scheme, b.netloc, b.path.rstrip("/"))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
