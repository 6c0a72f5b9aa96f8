"""The one HTTP foundation every connector shares: session, retries, paging, redaction, errors.

Connectors build on :class:`HttpClient` (one per configured connection) and override
:meth:`HttpClient.error_for_response` to read their host's error shape; everything they raise
is a :class:`HostError` whose ``retryable`` tells the sync worker what to do next.
"""

from rm_plugin.http.errors import (
    AuthenticationError,
    HostConnectionError,
    HostError,
    HostTimeout,
    HostUnavailable,
    InvalidRequest,
    NotFound,
    PagingError,
    PermissionDenied,
    RateLimited,
    UnexpectedResponse,
)
from rm_plugin.http.paging import (
    PageIterator,
    cursor_pages,
    link_header_pages,
    next_link,
    numbered_pages,
    offset_pages,
)
from rm_plugin.http.redaction import RedactingFilter, Redactor, Secret
from rm_plugin.http.retry import RetryPolicy
from rm_plugin.http.session import DEFAULT_TIMEOUT, USER_AGENT, HttpClient

__all__ = [
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "AuthenticationError",
    "HostConnectionError",
    "HostError",
    "HostTimeout",
    "HostUnavailable",
    "HttpClient",
    "InvalidRequest",
    "NotFound",
    "PageIterator",
    "PagingError",
    "PermissionDenied",
    "RateLimited",
    "RedactingFilter",
    "Redactor",
    "RetryPolicy",
    "Secret",
    "UnexpectedResponse",
    "cursor_pages",
    "link_header_pages",
    "next_link",
    "numbered_pages",
    "offset_pages",
]
