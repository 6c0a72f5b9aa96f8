"""The tool's own addresses, from the portal's public URL: what platforms are told to call."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

TOOL_NAME = "Reverse mentoring"


@dataclass(frozen=True)
class ToolUrls:
    base: str  # ``[web] public_url``, e.g. https://rm.example.com

    def _at(self, path: str) -> str:
        return self.base.rstrip("/") + path

    @property
    def login(self) -> str:
        return self._at("/lti/login")

    @property
    def launch(self) -> str:
        return self._at("/lti/launch")

    @property
    def jwks(self) -> str:
        return self._at("/lti/jwks")

    @property
    def registration(self) -> str:
        return self._at("/lti/register")

    @property
    def domain(self) -> str:
        """host[:port], as Moodle compares it with the launch URL's."""
        return urlsplit(self.base).netloc
