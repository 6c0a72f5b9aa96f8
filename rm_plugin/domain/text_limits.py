"""How long free text may be. No I/O.

A name, a topic or an answer is read by people and printed in lists; a 10 KB "name" is a
mistake (a pasted file, a stuck key), not data. Every free-text field a person types is
checked against one of these limits, and the error names the field, its length and the limit.
"""

from __future__ import annotations

#: A name or title: a programme's name, a person's name, a skill, a topic, a reason.
NAME = 200
#: One line of text: an agreement norm, a goal's aim, a survey answer.
LINE = 1000
#: A paragraph: an agreement's purpose or wrap-up, a meeting's private note.
TEXT = 5000


def too_long(what: str, value: object, limit: int) -> str | None:
    """The problem with ``value`` if it is text longer than ``limit`` characters, else ``None``."""
    if isinstance(value, str) and len(value) > limit:
        return f"{what} is {len(value)} characters long; at most {limit} are allowed"
    return None
