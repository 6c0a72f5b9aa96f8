"""Keep tokens, passwords and keys (and people's emails and names) out of every log line, error
message and ``repr``.

A connection's secrets are known exactly (the configured token, API key, password), so they are
replaced wherever they appear, in every form a client sends them: raw, URL-encoded, JSON-escaped,
and inside Basic credentials (base64 of ``user:password``, whatever the other half is). Values
of parameters and headers that carry secrets by convention (``wstoken=``, ``"client_secret": …``,
``Authorization: Bearer …``, ``Basic <base64 of user:password>``) are replaced too, which also
covers secrets the connection never told us about, such as a refreshed access token.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus

from rm_plugin.http.personal import mask_personal
from rm_plugin.secret import MASK, Secret

__all__ = ["MASK", "RedactingFilter", "Redactor", "Secret"]

#: Query, form, JSON and XML field names whose values are secrets on the hosts we talk to.
SECRET_FIELDS: frozenset[str] = frozenset(
    {
        "wstoken",  # Moodle web-service token
        "wspassword",  # Moodle simpleserver password
        "token",
        "privatetoken",
        "api_key",
        "apikey",
        "password",
        "client_secret",
        "refresh_token",
        "access_token",
        "id_token",
        "authorization",
        "privatekey",  # BambooHR webhook HMAC key, shown once on creation
    }
)

#: Header names whose whole value is a secret.
SECRET_HEADERS: frozenset[str] = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
)


def _field_patterns(names: Iterable[str]) -> list[re.Pattern[str]]:
    alternatives = "|".join(sorted((re.escape(n) for n in names), key=len, reverse=True))
    return [
        # name=value in a query string or form body, also PHP-style users[0][password]=…
        # and its URL-encoded form users%5B0%5D%5Bpassword%5D=…
        re.compile(rf"(?:(?<=%5B)|(?<![\w-]))((?:{alternatives})(?:\]|%5D)?=)[^&\s#\"'<>]*", re.IGNORECASE),
        # "name": "value" in JSON, or 'name': 'value' in a dict's repr (either quote, escapes kept)
        re.compile(rf"""(["'](?:{alternatives})["']\s*:\s*(["']))(?:(?!\2)[^\\]|\\.)*""", re.IGNORECASE),
        # <ns:Password …>value</ns:Password> in XML and SOAP bodies
        re.compile(rf"(<(?:[\w-]+:)?(?:{alternatives})\b[^>]*>)[^<]*", re.IGNORECASE),
    ]


# A bearer token written out in free text.
_BEARER = re.compile(r"\b(Bearer)\s+[\w.~+/=-]+", re.IGNORECASE)
# Basic credentials written out in free text: the base64 of "user:password".
_BASIC = re.compile(r"\b(Basic)\s+([A-Za-z0-9+/]{4,}={0,2})", re.IGNORECASE)
# Text that may be base64 (standard or URL-safe), long enough to hide a secret.
_BASE64_WORD = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")
_SHORTEST_SECRET = 4  # shorter known values are not looked for inside decoded base64
# The password in https://user:password@host/
_URL_PASSWORD = re.compile(r"(://[^/\s:]+:)[^/\s@]+@")


class Redactor:
    """Replaces one connection's secrets, and conventional secret fields, with ``***``."""

    def __init__(
        self,
        secrets: Iterable[str | Secret] = (),
        *,
        fields: Iterable[str] = SECRET_FIELDS,
        headers: Iterable[str] = SECRET_HEADERS,
    ) -> None:
        self._secrets: set[str] = set()
        self._raw: set[str] = set()
        self._ordered: list[str] = []
        self._headers = frozenset(h.lower() for h in headers)
        header_names = "|".join(sorted((re.escape(h) for h in self._headers), key=len, reverse=True))
        self._header_line = re.compile(rf"\b({header_names})(\s*:\s*)[^\r\n]+", re.IGNORECASE)
        self._patterns = _field_patterns({f.lower() for f in fields} | self._headers)
        for secret in secrets:
            self.add_secret(secret)

    def add_secret(self, secret: str | Secret) -> None:
        """Also hide ``secret`` from now on, e.g. an access token fetched after start-up."""
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if value:
            # Every form it may take in a URL or a form body, longest first so that a secret
            # containing another is replaced whole.
            json_escaped = json.dumps(value)[1:-1]
            self._secrets.update(
                {value, quote(value), quote(value, safe=""), quote_plus(value), json_escaped}
            )
            # Basic credentials the way clients build them: the secret as user (an API key with
            # any password, e.g. BambooHR's "key:x") or as password. The exact encodings are
            # masked here; redact() also decodes base64 it meets and looks for the secret inside.
            for pair in (f"{value}:x", f"{value}:", f":{value}"):
                self._secrets.add(base64.b64encode(pair.encode()).decode())
            self._raw.add(value)
            self._ordered = sorted(self._secrets, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """``text`` with every known secret and every secret-bearing field value masked."""
        for secret in self._ordered:
            text = text.replace(secret, MASK)
        text = _BASIC.sub(self._basic, text)
        if self._raw:
            text = _BASE64_WORD.sub(self._encoded_secret, text)
        for pattern in self._patterns:
            text = pattern.sub(rf"\g<1>{MASK}", text)
        # A raw header line such as "Authorization: Basic …" or "Cookie: …" in a dump.
        text = self._header_line.sub(rf"\g<1>\g<2>{MASK}", text)
        text = _BEARER.sub(rf"\g<1> {MASK}", text)
        text = _URL_PASSWORD.sub(rf"\g<1>{MASK}@", text)
        # People's emails and names are kept out the same way (a host may echo its user records).
        return mask_personal(text)

    def _basic(self, match: re.Match[str]) -> str:
        """``Basic <credentials>`` masked when the credentials decode to ``user:password``."""
        decoded = _b64(match[2])
        return f"{match[1]} {MASK}" if decoded is not None and ":" in decoded else match[0]

    def _encoded_secret(self, match: re.Match[str]) -> str:
        """A base64 word masked when it decodes to text holding a known secret."""
        decoded = _b64(match[0])
        if decoded and any(len(raw) >= _SHORTEST_SECRET and raw in decoded for raw in self._raw):
            return MASK
        return match[0]

    def redact_body(self, body: str | bytes | None) -> str:
        """A request or response body as text, masked; bytes are decoded leniently."""
        if body is None:
            return ""
        if isinstance(body, bytes):
            body = body.decode("utf-8", errors="replace")
        return self.redact(body)

    def redact_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """A copy of ``headers`` safe to log: secret headers fully masked, others redacted."""
        return {
            name: MASK if name.lower() in self._headers else self.redact(str(value))
            for name, value in headers.items()
        }

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secret forms)"


def _b64(word: str) -> str | None:
    """``word`` decoded as standard or URL-safe base64 into text, or ``None`` if it is neither."""
    padded = word + "=" * (-len(word) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            return decode(padded.encode()).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            continue
    return None


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in the message, its arguments and any traceback.

    Attach it to a handler (filters on a logger do not see records from child loggers) so that
    connector logs stay clean even when someone logs a request object or an exception.
    """

    def __init__(self, redactor: Redactor, name: str = "") -> None:
        super().__init__(name)
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redactor.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor.redact(record.stack_info)
        return True
