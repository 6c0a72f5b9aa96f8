"""Applying the shared rate limit in a view."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from werkzeug.exceptions import TooManyRequests

from rm_plugin.store.rate_limits import hit
from rm_plugin.web.portal import portal


def limit(name: str) -> None:
    """Count this request against ``name`` for the client's address; 429 past the limit."""
    p = portal()
    client = request.remote_addr or "unknown"
    with p.database.transaction() as session:
        verdict = hit(session, f"{name}:{client}", p.settings.launches_per_minute)
    if not verdict.allowed:
        raise TooManyRequests(
            description=_("Too many attempts from your address; wait a minute and try again."),
            retry_after=verdict.retry_after,
        )
