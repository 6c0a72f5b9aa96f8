"""CSRF protection for every form the portal serves: a synchronizer token kept in the server-side
session, sent back as the form field ``csrf_token`` (or the ``X-CSRF-Token`` header).

The few endpoints a *platform* posts to (login initiation, launch) are exempt by name: they are
cross-site by design and are protected by the OIDC state, the nonce and the signed id_token.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, request, session

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"

F = TypeVar("F", bound=Callable[..., Any])


def exempt(view: F) -> F:
    """Mark a view that platforms post to (they cannot know our token)."""
    view.csrf_exempt = True  # type: ignore[attr-defined]
    return view


def token() -> str:
    """This session's token, made on first use (templates call it as ``csrf_token()``)."""
    value = session.get("csrf")
    if not isinstance(value, str) or not value:
        value = secrets.token_urlsafe(32)
        session["csrf"] = value
    return value


def _check() -> None:
    if request.method not in UNSAFE_METHODS:
        return
    view = request.endpoint and _view_function()
    if view is not None and getattr(view, "csrf_exempt", False):
        return
    expected = session.get("csrf")
    sent = request.form.get(FIELD) or request.headers.get(HEADER) or ""
    if not isinstance(expected, str) or not expected or not hmac.compare_digest(expected, sent):
        abort(400, description="csrf")


def _view_function() -> Callable[..., Any] | None:
    from flask import current_app

    return current_app.view_functions.get(request.endpoint or "")


def init_app(app: Flask) -> None:
    app.before_request(_check)
    app.jinja_env.globals["csrf_token"] = token
