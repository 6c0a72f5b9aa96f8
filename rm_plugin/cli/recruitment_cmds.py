"""Recruitment commands, attached by the ``programme`` group as ``programme invite|remind``."""

from __future__ import annotations

from typing import Any

import click

from rm_plugin.cli.acting import unit_of_work
from rm_plugin.cli.context import SiteHandle, pass_site
from rm_plugin.programme import recruitment


@click.command("invite")
@click.argument("programme_slug", metavar="PROGRAMME")
@click.option("--hr-id", "hr_ids", multiple=True, metavar="HR_ID", help="A person to invite (repeatable).")
@click.option("--min-level", type=int, help="Invite everyone at this job level or above.")
@click.option("--max-level", type=int, help="Invite everyone at this job level or below.")
@click.option("--department", "departments", multiple=True, help="Only these departments (repeatable).")
@click.option("--location", "locations", multiple=True, help="Only these locations (repeatable).")
@pass_site
def invite_command(
    handle: SiteHandle,
    programme_slug: str,
    hr_ids: tuple[str, ...],
    min_level: int | None,
    max_level: int | None,
    departments: tuple[str, ...],
    locations: tuple[str, ...],
) -> None:
    """Invite people (invite-only programme) or announce it to everyone eligible (open one)."""
    rule: dict[str, Any] = {}
    for key, value in (
        ("min_level", min_level),
        ("max_level", max_level),
        ("departments", list(departments)),
        ("locations", list(locations)),
    ):
        if value:
            rule[key] = value
    with unit_of_work(handle.site) as (session, ctx):
        result = recruitment.invite(session, ctx, programme_slug, hr_ids=hr_ids, rule=rule or None)
    click.echo(f"invited {len(result.invited)}; {len(result.already)} had been invited before")
    for hr_id in result.unknown:
        click.echo(f"warning: {hr_id} is not an active person; not invited", err=True)


@click.command("remind")
@click.argument("programme_slug", metavar="PROGRAMME")
@click.option("--after-days", type=int, help="Default: the programme's reminder_days setting, else 7.")
@pass_site
def remind_command(handle: SiteHandle, programme_slug: str, after_days: int | None) -> None:
    """Remind, once, those invited who have not applied after the configured number of days."""
    with unit_of_work(handle.site) as (session, ctx):
        reminded = recruitment.remind(session, ctx, programme_slug, after_days=after_days)
    click.echo(f"reminded {len(reminded)} person(s)")


COMMANDS: list[click.Command] = []  # attached under the programme group by programme_cmds
