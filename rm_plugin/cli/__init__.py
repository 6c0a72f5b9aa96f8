"""The ``rm-plugin`` command line: every admin action is scriptable.

One module per noun; each exposes click commands that :func:`build_cli` adds to the group.
Plugins add their own through the ``rm_register_commands`` hook.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from rm_plugin import __version__
from rm_plugin.cli.context import Commands, SiteHandle
from rm_plugin.logs import configure

# Command modules, in the order their commands are listed by --help.
COMMAND_MODULES: tuple[str, ...] = (
    "rm_plugin.cli.site_cmds",
    "rm_plugin.cli.db_cmds",
    "rm_plugin.cli.people_cmds",
    "rm_plugin.cli.data_rights_cmds",
    "rm_plugin.cli.programme_cmds",
    "rm_plugin.cli.applications_cmds",
    "rm_plugin.cli.match_cmds",
    "rm_plugin.cli.agreement_cmds",
    "rm_plugin.cli.meeting_cmds",
    "rm_plugin.cli.survey_cmds",
    "rm_plugin.cli.milestone_cmds",
    "rm_plugin.cli.report_cmds",
    "rm_plugin.cli.sync_cmds",
    "rm_plugin.cli.web_cmds",
    "rm_plugin.cli.badges_cmds",
    "rm_plugin.cli.worker_cmds",
    "rm_plugin.cli.demo_cmds",
)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rm-plugin")
@click.option(
    "--site",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="RM_PLUGIN_SITE",
    help="The site directory (default: RM_PLUGIN_SITE, else the current directory).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, site: Path | None, verbose: int) -> None:
    """Reverse mentoring inside the learning and HR platforms you already run."""
    configure(max(logging.WARNING - 10 * verbose, logging.DEBUG))
    ctx.obj = ctx.with_resource(SiteHandle(site))


def build_cli() -> click.Group:
    import importlib

    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        for command in module.COMMANDS:
            if command.name not in cli.commands:
                cli.add_command(command)
    _add_plugin_commands(cli)
    return cli


def _add_plugin_commands(group: click.Group) -> None:
    """Let built-in, installed and site plugins add commands; a broken site is reported later."""
    from rm_plugin.plugins import add_commands
    from rm_plugin.site import SiteNotFound, find_site_root

    try:
        root: Path | None = find_site_root(None)
    except SiteNotFound:
        root = None
    add_commands(group, root)


def main() -> None:
    build_cli()(prog_name="rm-plugin")
