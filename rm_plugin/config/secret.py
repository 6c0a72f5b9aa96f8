"""The marshmallow field that loads config values as :class:`~rm_plugin.secret.Secret`."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields

from rm_plugin.secret import Secret

__all__ = ["Secret", "SecretField"]


class SecretField(fields.Field):
    """A marshmallow field that loads a string (from the file, ``${VAR}`` or ``*_file``) as a Secret."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Secret:
        if isinstance(value, Secret):
            return value
        if isinstance(value, str) and value:
            return Secret(value)
        raise ValidationError("expected a non-empty string (or ${VAR}, or a *_file path)")
