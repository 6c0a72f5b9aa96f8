"""A string that never shows itself in a log line, an error message or a repr."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields


class Secret:
    """Holds a token, password or key; only :meth:`reveal` gives the value back."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


class SecretField(fields.Field):
    """A marshmallow field that loads a string (from the file, ``${VAR}`` or ``*_file``) as a Secret."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Secret:
        if isinstance(value, Secret):
            return value
        if isinstance(value, str) and value:
            return Secret(value)
        raise ValidationError("expected a non-empty string (or ${VAR}, or a *_file path)")
