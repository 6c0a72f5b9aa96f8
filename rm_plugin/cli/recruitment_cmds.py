"""Recruitment commands, attached by the ``programme`` group as ``programme invite|remind|invitations``."""

from __future__ import annotations

from typing import Any

import click

from rm_plugin.cli.context import SiteHandle, pass_site
from rm_plugin.programme import recruitment
from rm_plugin.unit_of_work import ProgrammeContext, unit_of_work

NOTHING_SENT = (
    "warning: no enabled connection sends messages (role 'notify'), so nothing was sent; "
    "{what} recorded as sent. Enable one in connectors/ first."
)


def _say_where_messages_go(ctx: ProgrammeContext, count: int, what: str) -> None:
    """Messages are only queued here: say that ``sync`` delivers them, or that nothing will."""
    if count and ctx.notify:
        click.echo("their messages are queued: `rm-plugin sync` (or the worker) delivers them")
    elif count:
        click.echo(NOTHING_SENT.format(what=what), err=True)


@click.command("invite", short_help="Invite people, or announce an open programme.")
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
    for key, level in (("min_level", min_level), ("max_level", max_level)):
        if level is not None:  # level 0 is a level
            rule[key] = level
    for key, values in (("departments", departments), ("locations", locations)):
        if values:
            rule[key] = list(values)
    with unit_of_work(handle.site) as work:
        result = recruitment.invite(work.session, work.ctx, programme_slug, hr_ids=hr_ids, rule=rule or None)
    click.echo(f"invited {len(result.invited)}; {len(result.already)} had been invited before")
    if result.applied:
        click.echo(f"{len(result.applied)} had already applied: recorded as invited, not messaged")
    for hr_id in result.unknown:
        click.echo(f"warning: {hr_id} is not an active person; not invited", err=True)
    _say_where_messages_go(work.ctx, len(result.invited), "the invitations are")


@click.command("remind", short_help="Remind, once, invitees who have not applied.")
@click.argument("programme_slug", metavar="PROGRAMME")
@click.option("--after-days", type=int, help="Default: the programme's reminder_days setting, else 7.")
@pass_site
def remind_command(handle: SiteHandle, programme_slug: str, after_days: int | None) -> None:
    """Remind, once, those invited who have not applied after the configured number of days."""
    with unit_of_work(handle.site) as work:
        reminded = recruitment.remind(work.session, work.ctx, programme_slug, after_days=after_days)
    click.echo(f"reminded {len(reminded)} person(s)")
    _say_where_messages_go(work.ctx, len(reminded), "the reminders are")


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "-"


@click.command("invitations", short_help="Who was invited, reminded, and applied.")
@click.argument("programme_slug", metavar="PROGRAMME")
@pass_site
def invitations_command(handle: SiteHandle, programme_slug: str) -> None:
    """Who was invited to PROGRAMME, when, whether reminded, and when they applied (UTC)."""
    with unit_of_work(handle.site) as work:
        rows = recruitment.invitations(work.session, programme_slug)
    if not rows:
        click.echo(f"nobody has been invited to {programme_slug} yet")
        return
    click.echo(f"{'HR id':<12} {'kind':<12} {'invited':<16} {'reminded':<16} {'applied':<16} name")
    for row in rows:
        click.echo(
            f"{row.hr_id:<12} {row.kind:<12} {_when(row.sent_at):<16} {_when(row.reminded_at):<16} "
            f"{_when(row.responded_at):<16} {row.name}"
        )
    answered = sum(row.responded_at is not None for row in rows)
    click.echo(f"{len(rows)} invited, {answered} applied")


COMMANDS: list[click.Command] = []  # attached under the programme group by programme_cmds
