"""HTTP clients for calls to a platform, on the project's HTTP foundation (timeouts, retries,
typed errors, redaction): key sets and discovery documents in the request path, grade services
from the sync worker."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

from rm_plugin.http import HttpClient, RetryPolicy

#: A browser is waiting during a launch or a registration: fail fast rather than hang.
INTERACTIVE_TIMEOUT = (5.0, 10.0)
INTERACTIVE_RETRY = RetryPolicy(max_attempts=2, base_delay=0.2, max_delay=1.0, max_total_wait=2.0)


#: Hosts where plain http is accepted: traffic that never leaves the machine (a lab, a test).
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def is_safe_url(value: str) -> bool:
    """Whether ``value`` is an https URL, or an http one to a loopback host: anything else could be
    read or changed on the way (a key set, a token endpoint, an authorisation redirect)."""
    parts = urlsplit(value or "")
    if not parts.netloc or not parts.hostname:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def client_for(
    url: str,
    name: str,
    *,
    interactive: bool = True,
    session: requests.Session | None = None,
    retry: RetryPolicy | None = None,
) -> HttpClient:
    """A client for the host of ``url``: credentials it carries can reach only that origin."""
    if interactive:
        return HttpClient(
            name, origin(url), session=session, retry=retry or INTERACTIVE_RETRY, timeout=INTERACTIVE_TIMEOUT
        )
    return HttpClient(name, origin(url), session=session, retry=retry)
