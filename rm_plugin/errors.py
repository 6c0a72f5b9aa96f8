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


class FieldProblems(ProgrammeError):
    """Several problems found at once, each tied to the field it is about (``"cadence_days"``,
    ``"rules.min_overlap_hours"``, ``"milestones"``; ``""`` for the whole), so a form can show
    each next to its field; the message holds them all, one per line, for the command line."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("\n".join(message for _, message in problems))
        self.problems = problems

    def by_field(self) -> dict[str, list[str]]:
        """The messages grouped by field, in the order they were found."""
        grouped: dict[str, list[str]] = {}
        for key, message in self.problems:
            grouped.setdefault(key, []).append(message)
        return grouped


def keyed(lines: list[str]) -> list[tuple[str, str]]:
    """Problems worded ``"<field>: what is wrong"`` (rules, weights), keyed by that field."""
    return [(line.split(":", 1)[0] if ":" in line else "", line) for line in lines]


class NotFound(ProgrammeError):
    """The programme, pair, meeting, agreement or person asked for does not exist."""


class NotPermitted(ProgrammeError):
    """The person acting is not one of those who may see or do this (e.g. not in the pair).

    The web pages answer it with 403; the command line prints it like any refusal.
    """


class RowError(UserError, ValueError):
    """One row of an input file cannot be used; the reader reports it with its line and goes on."""
