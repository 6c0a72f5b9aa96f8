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


def key_values(values: tuple[str, ...], what: str) -> dict[str, object]:
    """``name=value`` options as a dict; values typed as an admin means them (``true``, ``2.5``)."""
    out: dict[str, object] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} must look like name=value", param_hint=what)
        out[key] = scalar(raw)
    return out


def scalar(raw: str) -> object:
    """``true``/``yes``, ``false``/``no``, a number, nothing (``None``: remove the key), else the text."""
    if not raw.strip():
        return None
    lowered = raw.lower()
    if lowered in ("true", "yes"):
        return True
    if lowered in ("false", "no"):
        return False
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            continue
    return raw


@click.command("set", short_help="Change a programme's settings, rules or milestones.")
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
@click.option(
    "--rule", "rule_items", multiple=True, metavar="KEY=VALUE",
    help="A matching rule, e.g. not_same_department=true; KEY= removes it (repeatable).",
)  # fmt: skip
@click.option(
    "--weight", "weight_items", multiple=True, metavar="TERM=VALUE",
    help="A score weight, e.g. skills=3; TERM= goes back to the default (repeatable).",
)  # fmt: skip
@pass_site
def set_command(
    handle: SiteHandle,
    slug: str,
    setting_items: tuple[str, ...],
    milestone_file: Path | None,
    rule_items: tuple[str, ...],
    weight_items: tuple[str, ...],
) -> None:
    """Change programme SLUG's settings, matching rules and weights, or milestones; all checked first."""
    values = _pairs(setting_items)
    rules, weights = key_values(rule_items, "--rule"), key_values(weight_items, "--weight")
    milestone_list = None
    if milestone_file is not None:
        milestone_list = programme_settings.read_milestone_file(milestone_file)
    if not values and not rules and not weights and milestone_list is None:
        raise click.UsageError(
            "nothing to change: give --setting KEY=VALUE, --rule, --weight or --milestones FILE"
        )
    with unit_of_work(handle.site) as work:
        change = programme_settings.update_programme(
            work.session, work.ctx, slug, settings=values, milestone_list=milestone_list,
            rules=rules, weights=weights, today=work.today,
        )  # fmt: skip
    click.echo(f"programme {slug}: settings {json.dumps(change.settings, sort_keys=True)}")
    click.echo(f"rules: {json.dumps(change.columns, sort_keys=True)}")
    click.echo(
        f"matching rules: {json.dumps(change.rules, sort_keys=True)}  "
        f"weights: {json.dumps(change.weights, sort_keys=True)}"
    )
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


@click.command("backfill", short_help="Send a host enabled late what it missed.")
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
