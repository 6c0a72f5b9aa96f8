"""Commands only parse arguments, call a service and print: the rules live where every door finds them.

A query, a hook call or a choice of connections in a command module would be a rule the web
pages and the worker skip. This walks every module of ``rm_plugin/cli/`` and fails on any.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CLI = Path(__file__).resolve().parents[2] / "rm_plugin" / "cli"
MODULES = sorted(CLI.glob("*.py"))


def offences(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            if name == "select":
                found.append(f"line {node.lineno}: runs a query (select(...))")
        if isinstance(node, ast.Attribute) and node.attr == "hook":
            found.append(f"line {node.lineno}: calls a hook (.hook)")
        if isinstance(node, ast.Attribute) and node.attr == "enabled_connections":
            found.append(f"line {node.lineno}: chooses connections (enabled_connections)")
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            found.append(f"line {node.lineno}: imports {node.module}")
    return found


def test_the_command_modules_are_all_walked() -> None:
    names = {path.stem for path in MODULES}
    assert {"people_cmds", "match_cmds", "agreement_cmds", "site_cmds", "programme_cmds"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_a_command_module_holds_no_query_hook_call_or_connection_choice(path: Path) -> None:
    problems = offences(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    assert not problems, f"{path.name} does a service's work:\n" + "\n".join(problems)


def test_the_walk_finds_each_kind_of_offence() -> None:
    """The check itself can fail: each pattern it looks for is caught in a made-up command."""
    source = (
        "from sqlalchemy import select\n"
        "def cmd(site, session):\n"
        "    session.scalars(select(Person))\n"
        "    site.hook.rm_programme_closed(programme=None, summary={})\n"
        "    site.enabled_connections(role='progress')\n"
    )
    kinds = [line.split(": ", 1)[1] for line in offences(ast.parse(source))]
    assert sorted(kinds) == [
        "calls a hook (.hook)",
        "chooses connections (enabled_connections)",
        "imports sqlalchemy",
        "runs a query (select(...))",
    ]
