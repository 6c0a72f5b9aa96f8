"""The ``workday`` connector: Workday as a roster source (RaaS or SOAP Get_Workers), pairs as
Talent mentorships, milestones as learning enrolments or training, recognition as feedback badges.

See the README, "Connect Workday", for the setup an HR admin does and every key of
``connectors/workday.toml``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rm_plugin import hookimpl
from rm_plugin.connections import ConnectionContext, ConnectorType
from rm_plugin.connectors.workday.config import WorkdayConfig
from rm_plugin.connectors.workday.connection import WorkdayConnection

__all__ = ["WorkdayConfig", "WorkdayConnection", "make_connection", "rm_register_connector_types"]


def make_connection(context: ConnectionContext, config: Mapping[str, Any]) -> WorkdayConnection:
    return WorkdayConnection(context, config)


@hookimpl
def rm_register_connector_types(register: Callable[[ConnectorType], None]) -> None:
    register(
        ConnectorType(
            "workday",
            WorkdayConfig,
            make_connection,
            "Workday: the roster, pairs as mentorships, milestones and feedback badges",
            roles=("people", "progress"),
        )
    )
