"""A mistyped programme slug is answered the same way by every command: what was not found, and
the programmes there are."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

COMMANDS = [
    ("programme", "show", "pilt"),
    ("programme", "close", "pilt"),
    ("programme", "invitations", "pilt"),
    ("applications", "list", "pilt"),
    ("match", "propose", "pilt"),
    ("match", "show", "pilt"),
    ("match", "audit", "pilt"),
    ("match", "close", "pilt", "1", "--reason", "r", "--by", "ADMIN"),
    ("agreement", "draft", "pilt"),
    ("meeting", "at-risk", "pilt"),
    ("meeting", "nudge", "pilt", "--dry-run"),
    ("survey", "summary", "pilt"),
    ("survey", "reversion", "pilt"),
    ("report", "pilt"),
    ("stories", "list", "pilt", "--as", "ADMIN"),
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_every_command_names_the_known_programmes(
    site: Path, rm: Callable[..., str], args: tuple[str, ...]
) -> None:
    assert rm(*args, code=1) == "Error: no programme 'pilt' (known: rm-2026)\n"
