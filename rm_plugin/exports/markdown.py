"""Escaping text for Markdown templates, so what a person typed is shown, never interpreted.

Text from people (a story's title, what they learned) must not become a link, an image, a
heading, a list, emphasis or raw HTML when a Markdown file is rendered on an intranet. HTML's
own characters become entities (``&lt;``, which CommonMark shows as ``<``), the inline
Markdown characters are backslash-escaped everywhere, and the characters that only mean
something at the start of a line (``#``, ``-``, ``+``, ``=``, ``1.``) are escaped there.
Leading spaces are dropped, so no line turns into a code block.
"""

from __future__ import annotations

import re

ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
INLINE = frozenset("\\`*_[]{}()!|~")
LINE_START = re.compile(r"^(\d+)([.)])|^([#=+-])")


def _line(text: str) -> str:
    text = text.lstrip(" \t")
    out = "".join(ENTITIES.get(ch) or (f"\\{ch}" if ch in INLINE else ch) for ch in text)
    return LINE_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", out, count=1)


def escape_markdown(value: object) -> str:
    """``value`` as Markdown text that renders as exactly what was typed (line breaks kept)."""
    return "\n".join(_line(line) for line in str(value).splitlines())
