"""The errors a person reads: one base class, so each door turns them into a message in one place.

Every stage raises a subclass of :class:`UserError` for input a person must fix or a rule they
broke; its message names what was wrong (the file, key, row, programme or pair) and, where it
helps, what to do. The command line prints it and exits with :attr:`UserError.exit_code`; the
web pages show it. Nothing was written when one is raised inside a unit of work: the
transaction rolls back.
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a broken rule; the message says what and where, and nothing was changed."""

    #: The command line's exit status for it: 1 for a refused action, 2 for a site that cannot run.
    exit_code: int = 1

    def lines(self) -> list[str]:
        """The message as the lines a person reads (several when many problems were found at once)."""
        return str(self).splitlines() or [type(self).__name__]


class ProgrammeError(UserError):
    """A programme, pair, agreement, meeting or survey action was refused; nothing was written."""


class NotFound(ProgrammeError):
    """The programme, pair, meeting, agreement or person asked for does not exist."""


class NotPermitted(ProgrammeError):
    """The person acting is not one of those who may see or do this (e.g. not in the pair).

    The web pages answer it with 403; the command line prints it like any refusal.
    """


class RowError(UserError, ValueError):
    """One row of an input file cannot be used; the reader reports it with its line and goes on."""
