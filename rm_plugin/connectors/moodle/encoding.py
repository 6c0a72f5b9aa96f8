"""Function arguments encoded the way PHP reads ``$_POST``: ``users[0][customfields][0][type]=…``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def php_form(arguments: Mapping[str, Any]) -> dict[str, str]:
    """Flatten nested dicts and lists into bracketed keys; booleans become 1/0, None is left out."""
    out: dict[str, str] = {}
    for key, value in arguments.items():
        _flatten(str(key), value, out)
    return out


def _flatten(key: str, value: Any, out: dict[str, str]) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        for inner_key, inner in value.items():
            _flatten(f"{key}[{inner_key}]", inner, out)
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        for index, inner in enumerate(value):
            _flatten(f"{key}[{index}]", inner, out)
    elif isinstance(value, bool):
        out[key] = "1" if value else "0"
    elif isinstance(value, int | float | str):
        out[key] = str(value)
    else:
        raise TypeError(f"cannot send {type(value).__name__} as Moodle argument {key}")
