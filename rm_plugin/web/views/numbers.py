"""Whole numbers typed into a form."""

from __future__ import annotations

#: More digits than any count or duration on these pages; also under Python's limit on the
#: digits ``int()`` converts, past which it raises instead of answering.
MAX_DIGITS = 6


def whole_number(text: str, default: int) -> int:
    """``text`` as a whole number, or ``default`` when it is not one ("", "-3", "²", "1e3").

    ``str.isdigit`` is true for superscripts that ``int`` refuses; ``isdecimal`` is not."""
    text = text.strip()
    return int(text) if text.isdecimal() and len(text) <= MAX_DIGITS else default
