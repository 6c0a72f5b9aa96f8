"""LTI Dynamic Registration 1.0: IT pastes the tool's registration URL into the platform; the
platform opens it with ``openid_configuration`` and ``registration_token``; we read the platform's
configuration, post our registration with the token as Bearer, and store what the platform
answers (client id, deployment id).

The URL carries a one-time code of ours (``rm-plugin lti register-url``): without it anybody
could make the tool trust a platform of their own, and then launch as any person. The
configuration must come from the issuer's own origin (scheme, host and port, exactly), and a
registration never replaces a platform already stored: whoever holds a code could otherwise point
a trusted issuer's login and key set URLs at servers of their own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rm_plugin.http import HostError
from rm_plugin.lti import claims as c
from rm_plugin.lti.http import client_for, is_safe_url
from rm_plugin.lti.platforms import NOT_SAFE, PlatformValues, save_platform
from rm_plugin.lti.tool import TOOL_NAME, ToolUrls
from rm_plugin.secret import Secret
from rm_plugin.store import Database
from rm_plugin.store.models import LtiPlatform, LtiRegistrationToken

DEFAULT_CODE_LIFETIME = dt.timedelta(hours=24)
#: The grade-service scopes we ask for; the platform grants what its admin allows.
SCOPES = (c.AGS_SCOPE_LINEITEM, c.AGS_SCOPE_LINEITEM_READONLY, c.AGS_SCOPE_RESULT_READONLY, c.AGS_SCOPE_SCORE)


class RegistrationError(Exception):
    """Registration could not be completed; the message says what to do (never the token)."""


@dataclass(frozen=True)
class Registered:
    platform_id: int
    issuer: str
    client_id: str
    deployment_id: str
    created: bool


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def issue_code(
    session: Session, *, now: dt.datetime, lifetime: dt.timedelta = DEFAULT_CODE_LIFETIME, note: str = ""
) -> str:
    """A new one-time registration code (only its hash is stored)."""
    code = secrets.token_urlsafe(24)
    session.add(
        LtiRegistrationToken(
            token_hash=_hash(code), note=note[:200], created_at=now, expires_at=now + lifetime
        )
    )
    session.flush()
    return code


def registration_url(urls: ToolUrls, code: str) -> str:
    return f"{urls.registration}?{urlencode({'code': code})}"


def claim_code(session: Session, code: str, now: dt.datetime) -> None:
    """Mark the code used, atomically: of two registrations with one code, one goes through."""
    result = session.execute(
        update(LtiRegistrationToken)
        .where(
            LtiRegistrationToken.token_hash == _hash(code),
            LtiRegistrationToken.used_at.is_(None),
            LtiRegistrationToken.expires_at > now,
        )
        .values(used_at=now)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise RegistrationError(
            "this registration link was already used or has expired; make a new one with "
            "`rm-plugin lti register-url` and paste that into the platform"
        )


def release_code(session: Session, code: str) -> None:
    session.execute(
        update(LtiRegistrationToken)
        .where(LtiRegistrationToken.token_hash == _hash(code))
        .values(used_at=None)
    )


def tool_registration(urls: ToolUrls, claims: Sequence[str]) -> dict[str, Any]:
    """The client registration we post (LTI-DR §3.4, OpenID Connect Dynamic Client Registration)."""
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": urls.login,
        "redirect_uris": [urls.launch],
        "client_name": TOOL_NAME,
        "jwks_uri": urls.jwks,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(SCOPES),
        c.REGISTRATION_CONFIG: {
            "domain": urls.domain,
            "target_link_uri": urls.launch,
            "description": "Reverse mentoring: pairs, agreements, meetings and milestones",
            "claims": list(claims),
            "messages": [
                {"type": c.DEEP_LINKING_REQUEST, "target_link_uri": urls.launch, "label": TOOL_NAME},
            ],
        },
    }


def read_platform_configuration(url: str, http_session: requests.Session | None = None) -> dict[str, Any]:
    """The platform's OpenID configuration, checked for what registration and launches need."""
    if not is_safe_url(url):
        raise RegistrationError(f"the platform's openid_configuration {NOT_SAFE}")
    http = client_for(url, "LTI platform", session=http_session)
    try:
        body = http.request_json("GET", url, call_name="GET openid configuration")
    except HostError as exc:
        raise RegistrationError(f"cannot read the platform's configuration: {exc}") from None
    finally:
        http.close()
    if not isinstance(body, Mapping):
        raise RegistrationError("the platform's configuration is not a JSON object")
    missing = [
        key
        for key in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")
        if not isinstance(body.get(key), str) or not body.get(key)
    ]
    if missing:
        raise RegistrationError(f"the platform's configuration lacks {', '.join(missing)}")
    # LTI-DR §3.5.1: the configuration must be served from under the issuer's own address.
    if not _served_under(url, str(body["issuer"])):
        raise RegistrationError("the platform's configuration is not served from under its issuer")
    methods = body.get("token_endpoint_auth_methods_supported")
    if isinstance(methods, list) and "private_key_jwt" not in methods:
        raise RegistrationError("the platform does not accept private_key_jwt at its token endpoint")
    return dict(body)


def _served_under(url: str, issuer: str) -> bool:
    """Same scheme, host and port as the issuer, and a path at or below the issuer's path."""
    page, root = urlsplit(url), urlsplit(issuer)
    try:
        same_origin = (page.scheme, page.hostname, page.port) == (root.scheme, root.hostname, root.port)
    except ValueError:  # a port that is not a number
        return False
    prefix = root.path.rstrip("/")
    return same_origin and (page.path == prefix or page.path.startswith(prefix + "/"))


def _refuse_a_known_platform(session: Session, issuer: str, client_id: str) -> None:
    known = session.scalar(
        select(LtiPlatform.id).where(LtiPlatform.issuer == issuer, LtiPlatform.client_id == client_id)
    )
    if known is not None:
        raise RegistrationError(
            f"the platform {issuer} with client id {client_id} is already registered here (platform "
            f"{known}); a registration does not replace it. To register it again, remove it first with "
            f"`rm-plugin lti platform remove {known}`, then open this registration address again"
        )


def register(
    database: Database,
    *,
    code: str,
    openid_configuration: str,
    registration_token: Secret | None,
    urls: ToolUrls,
    claims: Sequence[str],
    now: dt.datetime,
    http_session: requests.Session | None = None,
) -> Registered:
    """Run the whole registration. The code is claimed in a transaction of its own (no database
    lock is held while the platform answers) and given back if the platform never accepted us."""
    with database.transaction() as session:
        claim_code(session, code, now)
    try:
        config = read_platform_configuration(openid_configuration, http_session)
        answer = _post_registration(config, registration_token, urls, claims, http_session)
        with database.transaction() as session:
            _refuse_a_known_platform(session, str(config["issuer"]), str(answer["client_id"]))
    except BaseException:
        with database.transaction() as session:
            release_code(session, code)
        raise
    tool_config = answer.get(c.REGISTRATION_CONFIG) or {}
    deployment_id = str(tool_config.get("deployment_id") or "") if isinstance(tool_config, Mapping) else ""
    platform_config = config.get(c.PLATFORM_CONFIG) or {}
    product = (
        str(platform_config.get("product_family_code") or "") if isinstance(platform_config, Mapping) else ""
    )
    values = PlatformValues(
        issuer=str(config["issuer"]),
        client_id=str(answer["client_id"]),
        auth_url=str(config["authorization_endpoint"]),
        jwks_url=str(config["jwks_uri"]),
        token_url=str(config["token_endpoint"]),
        deployment_ids=(deployment_id,) if deployment_id else (),
        name=urlsplit(str(config["issuer"])).netloc,
    )
    with database.transaction() as session:
        platform, created = save_platform(session, values, via="dynamic", product=product)
        session.execute(
            update(LtiRegistrationToken)
            .where(LtiRegistrationToken.token_hash == _hash(code))
            .values(platform_id=platform.id)
        )
        return Registered(platform.id, platform.issuer, platform.client_id, deployment_id, created)


def _post_registration(
    config: Mapping[str, Any],
    registration_token: Secret | None,
    urls: ToolUrls,
    claims: Sequence[str],
    http_session: requests.Session | None,
) -> Mapping[str, Any]:
    endpoint = str(config["registration_endpoint"])
    http = client_for(endpoint, "LTI platform registration", session=http_session)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if registration_token is not None:
        http.redactor.add_secret(registration_token)
        headers["Authorization"] = f"Bearer {registration_token.reveal()}"
    try:
        answer = http.request_json(
            "POST",
            endpoint,
            json=tool_registration(urls, claims),
            headers=headers,
            call_name="POST registration",
            idempotent=False,
        )
    except HostError as exc:
        raise RegistrationError(f"the platform refused the registration: {exc}") from None
    finally:
        http.close()
    if not isinstance(answer, Mapping) or not answer.get("client_id"):
        raise RegistrationError("the platform's answer to the registration has no client_id")
    return answer
