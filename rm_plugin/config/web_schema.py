"""The ``[web]`` table of ``rm-plugin.toml``: how the participant portal is reached and trusted."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate, validates

from rm_plugin.config.secret import SecretField

#: Where the launch's user is found, by default: the Moodle ID number arrives here (host-apis §1.7b).
DEFAULT_IDENTITY_CLAIM = "lis.person_sourcedid"


class IdentitySection(Schema):
    """Which launch claim names the person, and which of their fields it holds."""

    claim = fields.String(load_default=DEFAULT_IDENTITY_CLAIM, validate=validate.Length(min=1))
    matches = fields.String(load_default="hr_id", validate=validate.OneOf(["hr_id", "email"]))


class RateLimitSection(Schema):
    """Requests one client address may make per minute to the login initiation and the launch."""

    launches_per_minute = fields.Integer(
        strict=True, load_default=60, validate=validate.Range(min=1, max=100_000)
    )


class WebSection(Schema):
    public_url = fields.String(load_default=None, allow_none=True)
    trusted_proxies = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=5))
    secret_key = SecretField(load_default=None, allow_none=True)
    session_hours = fields.Integer(strict=True, load_default=8, validate=validate.Range(min=1, max=168))
    identity = fields.Nested(IdentitySection, load_default=lambda: IdentitySection().load({}))
    rate_limit = fields.Nested(RateLimitSection, load_default=lambda: RateLimitSection().load({}))
    #: HR ids who may create programmes in the portal (anyone who runs a programme already may too).
    programme_creators = fields.List(fields.String(validate=validate.Length(min=1)), load_default=list)

    @validates("public_url")
    def _check_public_url(self, value: Any, **_: Any) -> None:
        if value is None:
            return
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ValidationError(
                "expected the portal's address as browsers reach it, e.g. https://rm.example.com "
                "(no query string)"
            )
