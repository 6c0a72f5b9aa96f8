"""OIDC third-party login initiation (LTI 1.3 Core §5.1.1; OpenID Connect Core §4).

The platform sends ``iss``, ``login_hint``, ``target_link_uri`` (and ``lti_message_hint``,
``client_id``, ``lti_deployment_id``) by GET or POST; we answer with a redirect to its
authorisation endpoint carrying a fresh ``state`` and ``nonce``. Both live on the server, in
the database, not in a cookie: inside the LMS's frame a cross-site cookie may never come back,
and several web workers must see the same login. The state is kept as its SHA-256 only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from sqlalchemy import delete
from sqlalchemy.orm import Session

from rm_plugin.lti.platforms import PlatformError, find_platform
from rm_plugin.store.models import LtiLoginState

#: How long a login may take from initiation to launch (the platform answers within seconds).
STATE_LIFETIME = dt.timedelta(minutes=10)


class LoginError(Exception):
    """A login initiation we cannot honour; the message is safe to show and to log."""


@dataclass(frozen=True)
class LoginRedirect:
    url: str
    state: str
    platform_id: int


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


def start_login(
    session: Session,
    params: Mapping[str, str],
    *,
    redirect_uri: str,
    tool_base_url: str,
    now: dt.datetime,
) -> LoginRedirect:
    """Check a login initiation, store its state and nonce, and say where to send the browser."""
    missing = [name for name in ("iss", "login_hint", "target_link_uri") if not params.get(name)]
    if missing:
        raise LoginError(f"the login initiation lacks {', '.join(missing)}")
    target = params["target_link_uri"]
    if not _under(target, tool_base_url):
        raise LoginError("the login names a target that is not this tool")
    try:
        platform = find_platform(session, params["iss"], params.get("client_id") or None)
    except PlatformError as exc:
        raise LoginError(str(exc)) from None
    session.execute(delete(LtiLoginState).where(LtiLoginState.expires_at < now))
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    session.add(
        LtiLoginState(
            state_hash=state_hash(state),
            nonce=nonce,
            platform_id=platform.id,
            target_link_uri=target[:500],
            created_at=now,
            expires_at=now + STATE_LIFETIME,
        )
    )
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": redirect_uri,
        "login_hint": params["login_hint"],
        "state": state,
        "nonce": nonce,
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if urlsplit(platform.auth_url).query else "?"
    return LoginRedirect(platform.auth_url + separator + urlencode(query), state, platform.id)


def _under(url: str, base: str) -> bool:
    """Whether ``url`` is ``base`` itself or a page below it (same scheme, host and port)."""
    target, root = urlsplit(url), urlsplit(base)
    if (target.scheme, target.netloc) != (root.scheme, root.netloc):
        return False
    prefix = root.path.rstrip("/")
    return target.path.rstrip("/") == prefix or target.path.startswith(prefix + "/")
