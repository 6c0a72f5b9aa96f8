"""Running a marshmallow schema and turning its messages into one problem per key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields

from rm_plugin.config.errors import ConfigProblem


def validate(
    schema: Schema, data: Mapping[str, Any], shown_as: str
) -> tuple[dict[str, Any], list[ConfigProblem]]:
    try:
        return schema.load(data), []
    except ValidationError as exc:
        return {}, list(_flatten(schema, exc.messages, shown_as, ""))


def _flatten(schema: Schema | None, messages: Any, shown_as: str, prefix: str) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    if isinstance(messages, Mapping):
        for key, inner in messages.items():
            path = f"{prefix}{key}" if not isinstance(key, int) else f"{prefix.rstrip('.')}[{key}]"
            problems += (
                _flatten(_nested(schema, key), inner, shown_as, f"{path}.")
                if isinstance(inner, Mapping)
                else [_problem(schema, key, msg, shown_as, path) for msg in _as_list(inner)]
            )
    else:
        problems += [ConfigProblem(shown_as, prefix.rstrip("."), str(m)) for m in _as_list(messages)]
    return problems


def _problem(schema: Schema | None, key: Any, message: str, shown_as: str, path: str) -> ConfigProblem:
    if message == "Unknown field." and schema is not None:
        allowed = ", ".join(sorted(f.data_key or name for name, f in schema.fields.items()))
        return ConfigProblem(shown_as, path, f"unknown key; expected one of: {allowed}")
    if message == "Missing data for required field.":
        return ConfigProblem(shown_as, path, "missing; this key is required")
    return ConfigProblem(shown_as, path, message)


def _nested(schema: Schema | None, key: Any) -> Schema | None:
    if schema is None or not isinstance(key, str):
        return schema
    field = schema.fields.get(key)
    if isinstance(field, fields.Nested):
        nested = field.schema
        return nested if isinstance(nested, Schema) else None
    if isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
        inner = field.inner.schema
        return inner if isinstance(inner, Schema) else None
    return None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
