"""Log output that never shows a secret.

Logging is process-wide, so the masking is too: every handler of the root logger gets a
filter that hides the secret fields the HTTP foundation knows (``wstoken=…``, passwords,
``Authorization`` headers) and every secret value the loaded site's config holds, including
what third-party libraries (urllib3's ``-vv`` request lines) print.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from rm_plugin.http.redaction import RedactingFilter, Redactor
from rm_plugin.secret import Secret

LOG_REDACTOR = Redactor()


def configure(level: int) -> None:
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    root.setLevel(level)
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter(LOG_REDACTOR))


def remember_secrets(values: Any) -> None:
    """Mask every :class:`Secret` found in a connection's config from now on."""
    if isinstance(values, Secret):
        LOG_REDACTOR.add_secret(values)
    elif isinstance(values, Mapping):
        for value in values.values():
            remember_secrets(value)
    elif isinstance(values, list | tuple):
        for value in values:
            remember_secrets(value)
