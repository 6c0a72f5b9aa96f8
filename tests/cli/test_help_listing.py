"""``--help`` lists every command with a whole summary: none cut off mid-sentence, each on one line."""

from __future__ import annotations

import click
from click.testing import CliRunner

from rm_plugin.cli import build_cli


def groups(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Group]]:
    found = [(path, group)]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += groups(command, (*path, name))
    return found


def listing(path: tuple[str, ...]) -> list[str]:
    result = CliRunner().invoke(build_cli(), [*path, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    return result.output.split("\nCommands:\n", 1)[1].splitlines()


def test_no_summary_in_the_root_or_any_group_help_is_cut_off() -> None:
    every = groups(build_cli())
    assert len(every) > 10  # the root and its groups, down to `lti platform`
    for path, group in every:
        lines = listing(path)
        visible = [name for name, command in group.commands.items() if not command.hidden]
        assert len(lines) == len(visible), (path, lines)  # one line each: nothing wrapped
        for line in lines:
            _name, _, summary = line.strip().partition(" ")
            assert summary.strip(), (path, line)
            assert not summary.rstrip().endswith(("...", "…")), (path, line)
