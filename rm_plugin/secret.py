"""A string that never shows itself in a log line, an error message or a repr.

Config loads tokens and passwords into :class:`Secret`; the HTTP foundation reveals them only
to the transport and adds them to its redaction list.
"""

from __future__ import annotations

import base64
import hmac

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MASK = "***"


class Secret:
    """A string that never shows itself by accident: ``repr``, ``str`` and f-strings print ``***``.

    Config loads tokens into ``Secret`` so that dumping a config object or a connection cannot leak
    them; code that really needs the value calls :meth:`reveal`.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"Secret wraps a str, not {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        """The secret itself; pass it only to the transport, never to a message or log."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __bool__(self) -> bool:
        return bool(self._value)


def sealing_key(secret: Secret, purpose: bytes) -> Fernet:
    """An encryption key derived from ``secret`` for one ``purpose``: what is sealed with it is
    useless to whoever holds a copy of the database without the site's config, and a value
    sealed for one purpose cannot be opened as another."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"rm-plugin", info=purpose).derive(
        secret.reveal().encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(derived))
