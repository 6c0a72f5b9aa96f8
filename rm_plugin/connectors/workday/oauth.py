"""Workday OAuth 2.0: access tokens from the refresh-token grant of a registered API client.

``POST /ccx/oauth2/{tenant}/token`` with ``grant_type=refresh_token`` answers
``{access_token, token_type, refresh_token?, expires_in?}``. Workday may rotate the refresh token
on every use; the newest one is kept in the connection's own state (the context's
:class:`~rm_plugin.connections.StateStore`), so that the next run, or another worker, does not
present a token Workday has already retired. A refresh runs while that state is locked, so two
workers never spend the same refresh token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import requests
from cryptography.fernet import InvalidToken
from requests.auth import AuthBase

from rm_plugin.connections import StateStore
from rm_plugin.http import AuthenticationError, HostError, HttpClient, InvalidRequest, UnexpectedResponse
from rm_plugin.secret import Secret, sealing_key

#: Used when the token answer has no ``expires_in`` (Workday's own Prism client refreshes this often).
DEFAULT_LIFETIME = dt.timedelta(minutes=15)
#: A token this close to its expiry is not used any more: a request may take a while to arrive.
EXPIRY_MARGIN = dt.timedelta(seconds=60)
#: OAuth error codes (RFC 6749 §5.2) that mean the client or its refresh token were refused.
REFUSED = frozenset({"invalid_grant", "invalid_client", "unauthorized_client", "invalid_token"})


_T = TypeVar("_T")


class RefreshTokenStore(Protocol):
    """Where the newest refresh token of one connection is kept between runs and workers."""

    def exchange(self, configured: Secret, refresh: Callable[[Secret], Secret | None]) -> None:
        """Call ``refresh`` with the newest refresh token and keep what it returns (if anything)."""


def fingerprint(token: Secret) -> str:
    """Which configured refresh token a stored one descends from, without storing the token twice."""
    return hashlib.sha256(token.reveal().encode()).hexdigest()[:16]


class MemoryTokenStore:
    """Keeps rotated refresh tokens in this process only (tests, or a site without a database)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[str, Secret] = {}

    def exchange(self, configured: Secret, refresh: Callable[[Secret], Secret | None]) -> None:
        with self._lock:
            key = fingerprint(configured)
            rotated = refresh(self._latest.get(key, configured))
            if rotated is not None:
                self._latest[key] = rotated


class StateTokenStore:
    """Keeps the newest refresh token in the connection's state, under the key ``oauth``.

    A stored token is used only while the configured one is unchanged: an admin who pastes a
    new refresh token into the config starts a new chain. It is stored sealed with a key
    derived from the configured token, so a copy of the database alone cannot call Workday.
    """

    KEY = "oauth"
    PURPOSE = b"workday refresh token"

    def __init__(self, state: StateStore) -> None:
        self.state = state

    def exchange(self, configured: Secret, refresh: Callable[[Secret], Secret | None]) -> None:
        origin = fingerprint(configured)
        seal = sealing_key(configured, self.PURPOSE)
        with self.state.locked(self.KEY) as value:
            current = configured
            if value.get("from") == origin and value.get("sealed"):
                try:
                    current = Secret(seal.decrypt(str(value["sealed"]).encode()).decode())
                except InvalidToken:
                    current = configured  # sealed under another token: start the chain again
            elif value.get("from") == origin and value.get("refresh_token"):
                current = Secret(str(value["refresh_token"]))  # stored in the clear by an older release
            rotated = refresh(current)
            in_clear = "refresh_token" in value
            newest = rotated if rotated is not None else (current if in_clear else None)
            if newest is not None and (newest.reveal() != current.reveal() or in_clear):
                value.clear()
                value.update({"from": origin, "sealed": seal.encrypt(newest.reveal().encode()).decode()})


@dataclass
class _Token:
    value: Secret
    expires_at: dt.datetime


class WorkdayOAuth:
    """Access tokens for one connection: fetched on first use, reused until near expiry.

    ``token_http`` is the client the token endpoint is called with; its redactor learns every
    access and refresh token, so none can appear in a log line or an error.
    """

    def __init__(
        self,
        token_http: HttpClient,
        *,
        tenant: str,
        client_id: str,
        client_secret: Secret,
        refresh_token: Secret,
        client_auth: str = "body",
        store: RefreshTokenStore | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.http = token_http
        self.path = f"/ccx/oauth2/{tenant}/token"
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.client_auth = client_auth
        self.store = store or MemoryTokenStore()
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._token: _Token | None = None
        self._lock = threading.Lock()
        #: How many tokens were fetched (a rerun inside the lifetime fetches none).
        self.fetched = 0
        for secret in (client_secret, refresh_token):
            self.http.redactor.add_secret(secret)

    @property
    def call(self) -> str:
        return f"POST {self.path}"

    def access_token(self) -> Secret:
        """A token that is valid for at least a minute more; fetched if there is none."""
        with self._lock:
            token = self._token
            if token is None or self.clock() >= token.expires_at - EXPIRY_MARGIN:
                token = self._fetch()
            return token.value

    def access_token_if_cached(self) -> Secret | None:
        with self._lock:
            return self._token.value if self._token is not None else None

    def invalidate(self, used: Secret) -> None:
        """Forget ``used`` (the host refused it), unless another request already replaced it."""
        with self._lock:
            if self._token is not None and self._token.value.reveal() == used.reveal():
                self._token = None

    def _fetch(self) -> _Token:
        fetched: list[_Token] = []

        def refresh(current: Secret) -> Secret | None:
            token, rotated = self._grant(current)
            fetched.append(token)
            return rotated

        self.store.exchange(self.refresh_token, refresh)
        self._token = fetched[0]
        self.fetched += 1
        return self._token

    def _grant(self, refresh_token: Secret) -> tuple[_Token, Secret | None]:
        form: dict[str, str | Secret] = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        if self.client_auth != "basic":  # with "basic" the token client sends them as its Basic auth
            form["client_id"] = self.client_id
            form["client_secret"] = self.client_secret
        body = self.http.request_json(
            "POST",
            self.path,
            data=form,
            headers={"Accept": "application/json"},
            call_name=self.call,
            idempotent=False,  # a rotated refresh token is spent: never blindly resend
        )
        return self._read(body)

    def _read(self, body: Any) -> tuple[_Token, Secret | None]:
        if not isinstance(body, Mapping) or not body.get("access_token"):
            raise UnexpectedResponse(
                "the token endpoint did not answer with an access_token", host=self.http.name, call=self.call
            )
        token_type = str(body.get("token_type") or "Bearer")
        if token_type.lower() != "bearer":
            raise UnexpectedResponse(
                f"the token endpoint gave a {token_type!r} token, not a bearer token",
                host=self.http.name,
                call=self.call,
            )
        value = Secret(str(body["access_token"]))
        self.http.redactor.add_secret(value)
        try:
            lifetime = dt.timedelta(seconds=int(body["expires_in"]))
        except (KeyError, TypeError, ValueError):
            lifetime = DEFAULT_LIFETIME
        rotated = Secret(str(body["refresh_token"])) if body.get("refresh_token") else None
        if rotated is not None:
            self.http.redactor.add_secret(rotated)
        return _Token(value, self.clock() + lifetime), rotated


class OAuthTokenHttp(HttpClient):
    """The token endpoint's client: reads RFC 6749 errors (``{error, error_description}``)."""

    def error_for_response(self, response: requests.Response, call: str) -> HostError | None:
        if response.status_code < 400:
            return None
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, Mapping) and isinstance(body.get("error"), str):
            code = body["error"]
            message = str(body.get("error_description") or code)
            if code in REFUSED:
                hint = (
                    "; the refresh token or API client was refused: register a new refresh token "
                    "for the API client in Workday (task View API Clients) and put it in the config"
                )
                return AuthenticationError(
                    message + hint,
                    host=self.name,
                    call=call,
                    status=response.status_code,
                    code=code,
                    request_id=self.request_id(response),
                )
            if response.status_code < 500:
                return InvalidRequest(
                    message, host=self.name, call=call, status=response.status_code, code=code
                )
        return super().error_for_response(response, call)


class BearerAuth(AuthBase):
    """Puts the current access token on every request; the token is fetched when needed."""

    def __init__(self, oauth: WorkdayOAuth) -> None:
        self.oauth = oauth

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        token = self.oauth.access_token()
        request.headers["Authorization"] = f"Bearer {token.reveal()}"
        return request


def once_more_on_401(oauth: WorkdayOAuth | None, send: Callable[[], _T]) -> _T:
    """Run ``send``; if the host refused a cached token (HTTP 401), fetch a new one and try once more.

    A token fetched for this very call is not retried: the refusal is then about the client or
    its rights, and a second token would be refused too.
    """
    if oauth is None:
        return send()
    fetched_before = oauth.fetched
    try:
        return send()
    except AuthenticationError as exc:
        if exc.call == oauth.call or oauth.fetched != fetched_before or exc.status != 401:
            raise
        refused = oauth.access_token_if_cached()
        if refused is not None:
            oauth.invalidate(refused)
        return send()
