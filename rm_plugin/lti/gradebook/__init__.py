"""The ``lti_grades`` connection type: a participant's progress as a score in the LMS gradebook,
through LTI Assignment and Grade Services, delivered by the outbox like every other host write.

It belongs to the LTI tool rather than to ``rm_plugin/connectors/``: the grade targets it posts to
and the key it signs with are the portal's own tables, which no third-party connector could read.

``connectors/lti_grades.toml``::

    type = "lti_grades"
    # platform = "https://moodle.example.com"   # only this platform's links (default: every one)
    # label = "Reverse mentoring: progress"      # the grade column made when the link has none

Each ``completion`` row posts the person's progress (milestones reached out of the programme's
total) to every course link they launched the portal from. The score is the whole progress, so a
repeated or late row posts the same value again and nothing is counted twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rm_plugin import hookimpl
from rm_plugin.connections import ConnectionContext, ConnectorType
from rm_plugin.lti.gradebook.connection import LtiGradesConfig, LtiGradesConnection

__all__ = ["LtiGradesConfig", "LtiGradesConnection", "make_connection", "rm_register_connector_types"]


def make_connection(context: ConnectionContext, config: Mapping[str, Any]) -> LtiGradesConnection:
    return LtiGradesConnection(context, config)


@hookimpl
def rm_register_connector_types(register: Callable[[ConnectorType], None]) -> None:
    register(
        ConnectorType(
            "lti_grades",
            LtiGradesConfig,
            make_connection,
            "progress as a score in the LMS gradebook (LTI Assignment and Grade Services)",
            roles=("progress",),
            actions=("completion",),
        )
    )
