"""Security headers on every response.

The content security policy lets only the registered platforms frame the portal
(``frame-ancestors``), runs only scripts carrying this response's nonce, and lets forms post
only to the portal and to those platforms (the deep-linking answer goes back to the platform).
No ``X-Frame-Options``: it cannot list several origins and would stop the LMS's frame.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from flask import Flask, Response, g, request

#: Seconds a worker reuses the list of platform origins before asking the database again.
ORIGINS_TTL = 30.0


class PlatformOrigins:
    """The registered platforms' origins, cached briefly per worker."""

    def __init__(self, load: Callable[[], list[str]], clock: Callable[[], float] = time.monotonic) -> None:
        self._load = load
        self._clock = clock
        self._cached: list[str] = []
        self._at: float | None = None

    def get(self) -> list[str]:
        now = self._clock()
        if self._at is None or now - self._at > ORIGINS_TTL:
            self._cached = self._load()
            self._at = now
        return self._cached

    def forget(self) -> None:
        self._at = None


def nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def policy(origins: list[str], script_nonce: str) -> str:
    ancestors = " ".join(["'self'", *origins])
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src 'nonce-{script_nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"form-action 'self' {' '.join(origins)}".rstrip(),
            f"frame-ancestors {ancestors}",
            "base-uri 'none'",
        ]
    )


def init_app(app: Flask, origins: PlatformOrigins) -> None:
    app.jinja_env.globals["csp_nonce"] = nonce

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = policy(origins.get(), nonce())
        response.headers["X-Content-Type-Options"] = "nosniff"
        # No Referer: URLs may carry one-time codes (registration, hand-off ticket).
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("Cache-Control", "no-store")
        if request.is_secure:  # behind a trusted proxy, ProxyFix has set the scheme it was asked in
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response
