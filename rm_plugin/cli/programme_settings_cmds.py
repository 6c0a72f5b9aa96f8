"""``rm-plugin programme set``: a programme's settings and milestones, without code.

The command is attached under the ``programme`` group by its owner module; this module
adds no top-level command (``COMMANDS`` is empty).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from rm_plugin.cli.context import SiteHandle, pass_site
from rm_plugin.programme import backfill
from rm_plugin.programme import settings as programme_settings
from rm_plugin.unit_of_work import unit_of_work


def _pairs(items: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, not {item!r}", param_hint="--setting")
        out[key.strip()] = value
    return out


@click.command("set")
@click.argument("slug")
@click.option(
    "--setting",
    "setting_items",
    multiple=True,
    metavar="KEY=VALUE",
    help=f"Repeatable. Keys: {', '.join(programme_settings.KNOWN)}.",
)
@click.option(
    "--milestones",
    "milestone_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A TOML or JSON file holding the programme's whole milestone list.",
)
@pass_site
def set_command(
    handle: SiteHandle, slug: str, setting_items: tuple[str, ...], milestone_file: Path | None
) -> None:
    """Change programme SLUG's settings and/or replace its milestones; all checked first."""
    values = _pairs(setting_items)
    milestone_list = None
    if milestone_file is not None:
        milestone_list = programme_settings.read_milestone_file(milestone_file)
    if not values and milestone_list is None:
        raise click.UsageError("nothing to change: give --setting KEY=VALUE or --milestones FILE")
    with unit_of_work(handle.site) as work:
        change = programme_settings.update_programme(
            work.session, work.ctx, slug, settings=values, milestone_list=milestone_list, today=work.today
        )
    click.echo(f"programme {slug}: settings {json.dumps(change.settings, sort_keys=True)}")
    click.echo(f"rules: {json.dumps(change.columns, sort_keys=True)}")
    rebuilt = " (rebuilt from the settings)" if change.milestones_rebuilt else ""
    click.echo(f"milestones{rebuilt}: {', '.join(change.milestone_keys)}")
    if change.newly_reached:
        click.echo(f"{change.newly_reached} milestone(s) newly reached by active pairs under the new list")
    for note in change.notes:
        click.echo(f"note: {note}")
    for name in change.unknown_connections:
        click.echo(
            f"warning: the milestones record to connection {name!r}, which is not an enabled progress "
            "connection; `rm-plugin sync` parks its rows with the reason, and once it is enabled "
            f"`rm-plugin sync retry --connection {name}` puts them back in the queue",
            err=True,
        )


@click.command("backfill")
@click.argument("slug")
@click.option(
    "--connection", required=True, metavar="NAME", help="An enabled connection with the role progress."
)
@pass_site
def backfill_command(handle: SiteHandle, slug: str, connection: str) -> None:
    """Send a host enabled late what it missed: enrolments of active pairs, milestones reached."""
    with unit_of_work(handle.site) as work:
        done = backfill.backfill_connection(work.session, work.ctx, slug, connection)
    click.echo(
        f"programme {slug} -> {connection}: {done.pairs} active pair(s); queued {done.enrolments} "
        f"enrolment(s) and {done.milestone_rows} milestone row(s); run `rm-plugin sync` to deliver them"
    )


# `set_command` and `backfill_command` are attached under the programme group by its owner.
COMMANDS: list[click.Command] = []
