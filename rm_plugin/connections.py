"""How a plugin declares a kind of host connection and how a configured one is built."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import marshmallow


@dataclass(frozen=True)
class ConnectionContext:
    """What a connection object gets besides its own config: where the site is."""

    name: str
    config_file: Path
    site_root: Path
    output_dir: Path
    database_url: str = ""


@dataclass(frozen=True)
class ConnectorType:
    """A kind of host connection (``moodle``, ``csv``, ...).

    ``schema`` validates the keys of ``connectors/<name>.toml`` other than ``type`` and
    ``enabled``; ``factory`` turns the validated dict into one connection object, which is
    registered as a plugin under ``connection:<name>``.
    """

    name: str
    schema: type[marshmallow.Schema]
    factory: Callable[[ConnectionContext, Mapping[str, Any]], object]
    description: str = ""
    # What the sync engine routes to it: "people" (an HR source), "progress" (receives
    # enrolments, completions and awards), "notify" (sends messages), "calendar".
    roles: tuple[str, ...] = field(default=())


class Connection:
    """Base class for connection objects: one per configured host connection, no globals.

    Targeted hooks receive a connection name; :meth:`owns` says whether this object is the
    one asked.
    """

    def __init__(self, context: ConnectionContext, config: Mapping[str, Any]) -> None:
        self.context = context
        self.config = config

    @property
    def name(self) -> str:
        return self.context.name

    def owns(self, connection: str | None) -> bool:
        return connection is None or connection == self.context.name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.context.name!r}>"
