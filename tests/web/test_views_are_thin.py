"""The web door only reads requests, calls services and renders: the rules live where the command
line and the worker find them too.

A query, a hook call, a choice of connections or an SQLAlchemy import in a module under
``rm_plugin/web/`` would be a rule the other doors skip. This walks every one and fails on any,
with the same checks the command line's test makes.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "rm_plugin" / "web"
MODULES = sorted(WEB.rglob("*.py"))

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from test_commands_are_thin import offences  # noqa: E402


def test_the_web_modules_are_all_walked() -> None:
    names = {path.relative_to(WEB).as_posix() for path in MODULES}
    assert {"app.py", "sessions.py", "views/participant.py", "views/pairs.py", "views/lti.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(WEB).as_posix())
def test_a_web_module_holds_no_query_hook_call_or_connection_choice(path: Path) -> None:
    problems = offences(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    assert not problems, f"{path.name} does a service's work:\n" + "\n".join(problems)
