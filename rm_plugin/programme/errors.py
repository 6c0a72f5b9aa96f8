"""The one error type programme operations raise for input a person must fix."""

from __future__ import annotations


class ProgrammeError(Exception):
    """Bad input or a rule broken: the message names what was wrong; nothing was written."""


class NotFound(ProgrammeError):
    """The pair, meeting, agreement or person asked for does not exist."""
