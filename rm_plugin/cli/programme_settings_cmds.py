"""``rm-plugin programme set``: a programme's settings and milestones, without code.

The command is attached under the ``programme`` group by its owner module; this module
adds no top-level command (``COMMANDS`` is empty).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import click

from rm_plugin.cli.acting import today_in, unit_of_work
from rm_plugin.cli.context import SiteHandle, pass_site
from rm_plugin.programme import backfill
from rm_plugin.programme import settings as programme_settings


def load_milestone_file(path: Path) -> Any:
    """The milestone list in a TOML (``[[milestones]]`` tables) or JSON file.

    JSON may hold the list itself or ``{"milestones": [...]}``. Errors name the file and line.
    """
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
        if isinstance(loaded, dict):
            if set(loaded) != {"milestones"}:
                raise click.ClickException(f'{path}: expected a list, or an object with only "milestones"')
            loaded = loaded["milestones"]
        return loaded
    if path.suffix.lower() == ".toml":
        try:
            loaded = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise click.ClickException(f"{path}: not valid TOML ({exc})") from exc
        if set(loaded) != {"milestones"}:
            raise click.ClickException(f"{path}: expected only [[milestones]] tables, found {sorted(loaded)}")
        return loaded["milestones"]
    raise click.ClickException(f"{path}: the milestone file must end in .toml or .json")


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
    milestone_list = load_milestone_file(milestone_file) if milestone_file is not None else None
    if not values and milestone_list is None:
        raise click.UsageError("nothing to change: give --setting KEY=VALUE or --milestones FILE")
    site = handle.site
    with unit_of_work(site) as (session, ctx):
        change = programme_settings.update_programme(
            session, ctx, slug, settings=values, milestone_list=milestone_list, today=today_in(site)
        )
        unknown_hosts = sorted(
            {
                record.get("connection", "*")
                for item in milestone_list or []
                for record in item.get("records", [])
            }
            - {"*", *ctx.progress}
        )
    click.echo(f"programme {slug}: settings {json.dumps(change.settings, sort_keys=True)}")
    click.echo(f"rules: {json.dumps(change.columns, sort_keys=True)}")
    rebuilt = " (rebuilt from the settings)" if change.milestones_rebuilt else ""
    click.echo(f"milestones{rebuilt}: {', '.join(change.milestone_keys)}")
    if change.newly_reached:
        click.echo(f"{change.newly_reached} milestone(s) newly reached by active pairs under the new list")
    for note in change.notes:
        click.echo(f"note: {note}")
    for name in unknown_hosts:
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
    with unit_of_work(handle.site) as (session, ctx):
        done = backfill.backfill_connection(session, ctx, slug, connection)
    click.echo(
        f"programme {slug} -> {connection}: {done.pairs} active pair(s); queued {done.enrolments} "
        f"enrolment(s) and {done.milestone_rows} milestone row(s); run `rm-plugin sync` to deliver them"
    )


# `set_command` and `backfill_command` are attached under the programme group by its owner.
COMMANDS: list[click.Command] = []
