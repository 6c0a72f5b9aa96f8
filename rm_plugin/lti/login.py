"""OIDC third-party login initiation (LTI 1.3 Core §5.1.1; OpenID Connect Core §4).

The platform sends ``iss``, ``login_hint``, ``target_link_uri`` (and ``lti_message_hint``,
``client_id``, ``lti_deployment_id``) by GET or POST; we answer with a redirect to its
authorisation endpoint carrying a fresh ``state`` and ``nonce``. Both live on the server, in
the database (several web workers must see the same login); the state is kept as its SHA-256.

**The login is bound to the browser that started it** (OpenID Connect Core §3.1.2.1; 1EdTech
Security Framework §5.1.1.5). Otherwise anybody could do a real launch of their own, stop before
their browser posts the id_token, and make a victim's browser post it: the victim would be signed
in as them and type their answers into the attacker's account. So the login sets a cookie whose
name and value derive from the state (:func:`browser_binding`: an HMAC under the site's secret,
never the state itself), and the launch is refused when the posted state has no such cookie.

Browsers that block cookies in the LMS's frame (Safari; any browser set to block third-party
cookies) would then fail every launch. 1EdTech's answer is platform storage through postMessage
("LTI OIDC Login with LTI Client Side postMessages", signalled by ``lti_storage_target``), which
Moodle 4.4 does not offer; so the tool tests the cookie *before* the platform is asked: the
first request sets a probe cookie and redirects to itself (``cookie_check=1``). If the probe came
back, the login goes on; if not, the page offers **Open in a new window**, which starts the same
login in a window of its own, where the cookies are first-party. The platform has not spent the
launch at that point (Moodle keeps ``lti_message_hint`` until its auth endpoint answers), so the
new window's login goes through. A launch is never accepted without the cookie.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from sqlalchemy import delete
from sqlalchemy.orm import Session

from rm_plugin.lti.platforms import PlatformError, find_platform
from rm_plugin.secret import Secret
from rm_plugin.store.models import LtiLoginState, LtiPlatform

#: How long a login may take from initiation to launch (the platform answers within seconds).
STATE_LIFETIME = dt.timedelta(minutes=10)
#: The cookie that shows the browser keeps our cookies where the login runs (frame or window).
PROBE_COOKIE = "rm_lti_probe"
#: The query flag of the login's second request, the one that expects the probe cookie back.
CHECK_PARAM = "cookie_check"
BINDING_PREFIX = "rm_lti_login_"


class LoginError(Exception):
    """A login initiation we cannot honour; the message is safe to show and to log."""


@dataclass(frozen=True)
class LoginRedirect:
    url: str
    state: str
    platform_id: int


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


def browser_binding(state: str, secret: Secret) -> tuple[str, str]:
    """The cookie (name, value) that ties ``state`` to the browser that started the login. The
    name differs per login, so two launches under way in one browser do not overwrite each other."""
    value = hmac.new(secret.reveal().encode(), b"lti-login:" + state.encode(), hashlib.sha256)
    return BINDING_PREFIX + state_hash(state)[:16], value.hexdigest()


def bound_to_browser(state: str, cookies: Mapping[str, str], secret: Secret) -> bool:
    """Whether the browser that posts ``state`` holds the cookie its login set."""
    name, value = browser_binding(state, secret)
    return hmac.compare_digest(cookies.get(name, "").encode(), value.encode())


def check_login(session: Session, params: Mapping[str, str], *, tool_base_url: str) -> LtiPlatform:
    """The platform a login initiation names, once its parameters are all there and its target is
    this tool; a LoginError says what is wrong."""
    missing = [name for name in ("iss", "login_hint", "target_link_uri") if not params.get(name)]
    if missing:
        raise LoginError(f"the login initiation lacks {', '.join(missing)}")
    if not _under(params["target_link_uri"], tool_base_url):
        raise LoginError("the login names a target that is not this tool")
    try:
        return find_platform(session, params["iss"], params.get("client_id") or None)
    except PlatformError as exc:
        raise LoginError(str(exc)) from None


def start_login(
    session: Session,
    params: Mapping[str, str],
    *,
    redirect_uri: str,
    tool_base_url: str,
    now: dt.datetime,
) -> LoginRedirect:
    """Check a login initiation, store its state and nonce, and say where to send the browser."""
    platform = check_login(session, params, tool_base_url=tool_base_url)
    target = params["target_link_uri"]
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
