"""The ``bamboohr`` connector: BambooHR as a roster source and as the place training records land.

See the README, "Connect BambooHR", for the setup an HR admin does and every key of
``connectors/bamboohr.toml``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rm_plugin import hookimpl
from rm_plugin.connections import ConnectionContext, ConnectorType
from rm_plugin.connectors.bamboohr.config import BambooHRConfig
from rm_plugin.connectors.bamboohr.connection import BambooHRConnection

__all__ = ["BambooHRConfig", "BambooHRConnection", "make_connection", "rm_register_connector_types"]


def make_connection(context: ConnectionContext, config: Mapping[str, Any]) -> BambooHRConnection:
    return BambooHRConnection(context, config)


@hookimpl
def rm_register_connector_types(register: Callable[[ConnectorType], None]) -> None:
    register(
        ConnectorType(
            "bamboohr",
            BambooHRConfig,
            make_connection,
            "BambooHR: the roster, and milestones and recognition as training records",
            roles=("people", "progress"),
        )
    )
