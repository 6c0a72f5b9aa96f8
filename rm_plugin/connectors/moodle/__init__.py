"""The ``moodle`` host: enrolments, milestones as activity completions, badges, course events, messages.

Built on Moodle's REST web services (4.4 or newer) with a token of an integration user; the
one-time setup in Moodle is described in the README, "Connect Moodle" and checked by ``rm-plugin check``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from rm_plugin import hookimpl
from rm_plugin.connections import ConnectionContext, ConnectorType
from rm_plugin.connectors.moodle.client import MoodleClient
from rm_plugin.connectors.moodle.config import MoodleConfig
from rm_plugin.connectors.moodle.connection import MoodleConnection
from rm_plugin.connectors.moodle.errors import MoodleError
from rm_plugin.connectors.moodle.functions import CAPABILITIES, required_capabilities, required_functions

if TYPE_CHECKING:
    import click

__all__ = [
    "CAPABILITIES",
    "MoodleClient",
    "MoodleConfig",
    "MoodleConnection",
    "MoodleError",
    "make_connection",
    "required_capabilities",
    "required_functions",
]


def make_connection(context: ConnectionContext, config: Mapping[str, Any]) -> MoodleConnection:
    return MoodleConnection(context, config)


@hookimpl
def rm_register_connector_types(register: Callable[[ConnectorType], None]) -> None:
    register(
        ConnectorType(
            "moodle",
            MoodleConfig,
            make_connection,
            "a Moodle 4.4+ site over REST web services",
            roles=("progress", "notify", "calendar"),
        )
    )


@hookimpl
def rm_register_commands(cli: click.Group) -> None:
    from rm_plugin.connectors.moodle.commands import moodle

    if "moodle" not in cli.commands:
        cli.add_command(moodle)
