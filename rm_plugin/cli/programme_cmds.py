"""``rm-plugin programme``: create, list and show programmes."""

from __future__ import annotations

import datetime as dt

import click

from rm_plugin.cli.context import SiteHandle, pass_site
from rm_plugin.cli.match_cmds import table
from rm_plugin.cli.programme_settings_cmds import backfill_command, key_values, set_command
from rm_plugin.cli.recruitment_cmds import invitations_command, invite_command, remind_command
from rm_plugin.enrolment import programmes
from rm_plugin.programme.closing import close_programme
from rm_plugin.unit_of_work import unit_of_work


@click.group()
def programme() -> None:
    """Reverse-mentoring programmes."""


@programme.command("create", short_help="Create a programme.")
@click.argument("slug")
@click.option("--name", required=True, help="The programme's name as participants see it.")
@click.option("--starts", type=click.DateTime(["%Y-%m-%d"]), help="Start date (YYYY-MM-DD).")
@click.option("--ends", type=click.DateTime(["%Y-%m-%d"]), help="End date (YYYY-MM-DD).")
@click.option("--enrolment", type=click.Choice(["open", "invite"]), default="open", show_default=True)
@click.option(
    "--objective", "objectives", multiple=True, help="An objective, e.g. digital-skills or dei (repeat)."
)
@click.option("--admin", "admin_hr_id", help="HR id of the programme admin (gets escalated nudges).")
@click.option("--min-level-gap", type=click.IntRange(0, 20), help="Override the site default.")
@click.option("--tenure-tiebreak/--no-tenure-tiebreak", default=None)
@click.option("--mentor-max-level", type=int)
@click.option("--mentee-min-level", type=int)
@click.option("--reviewers", "reviewers_required", type=click.IntRange(1, 10))
@click.option("--cadence-days", type=click.IntRange(1, 365))
@click.option("--capacity", "mentor_capacity", type=click.IntRange(1, 20), help="Mentees per mentor.")
@click.option(
    "--mutual/--no-mutual", "allow_mutual", default=None, help="The senior also teaches topics back."
)
@click.option(
    "--rule", "rules", multiple=True, help="A matching rule, e.g. not_same_department=true (repeat)."
)
@click.option("--weight", "weights", multiple=True, help="A score weight, e.g. skills=3 (repeat).")
@pass_site
def create(
    handle: SiteHandle,
    slug: str,
    name: str,
    starts: dt.datetime | None,
    ends: dt.datetime | None,
    enrolment: str,
    objectives: tuple[str, ...],
    admin_hr_id: str | None,
    rules: tuple[str, ...],
    weights: tuple[str, ...],
    **overrides: object,
) -> None:
    """Create programme SLUG; unset rules come from the site's [programme_defaults]."""
    site = handle.site
    with unit_of_work(site) as work:
        created = programmes.new_programme(
            work,
            slug=slug,
            name=name,
            defaults=site.programme_defaults,
            starts_on=starts.date() if starts else None,
            ends_on=ends.date() if ends else None,
            enrolment=enrolment,
            objectives=objectives,
            admin_hr_id=admin_hr_id,
            rules=key_values(rules, "--rule"),
            weights=key_values(weights, "--weight"),
            **overrides,
        )
    click.echo(f"created programme {created.slug} ({created.name})")
    for warning in created.warnings:
        click.echo(f"warning: {warning}", err=True)


@programme.command("list")
@pass_site
def list_programmes(handle: SiteHandle) -> None:
    """Every programme, one per line under a header."""
    with unit_of_work(handle.site) as work:
        rows = programmes.list_programmes(work)
    if not rows:
        click.echo("no programmes yet; create one with `rm-plugin programme create`")
        return
    click.echo(
        table(
            ["slug", "status", "enrolment", "dates", "name"],
            [
                (p.slug, p.status, p.enrolment, f"{p.starts_on or '?'} to {p.ends_on or '?'}", p.name)
                for p in rows
            ],
        )
    )


@programme.command("show", short_help="A programme's rules and who is eligible.")
@click.argument("slug")
@pass_site
def show(handle: SiteHandle, slug: str) -> None:
    """A programme's rules and who is eligible under its seniority rule."""
    with unit_of_work(handle.site) as work:
        overview = programmes.programme_overview(work, slug)
    for line in overview.rules + overview.eligibility.lines():
        click.echo(line)


@programme.command("close", short_help="Close a programme and end its active pairs.")
@click.argument("slug")
@click.option("--reason", default="programme closed", show_default=True, help="Recorded on every pair.")
@pass_site
def close(handle: SiteHandle, slug: str, reason: str) -> None:
    """Close SLUG: its active pairs end and every progress host is told (run `sync` to deliver)."""
    with unit_of_work(handle.site) as work:
        closed = close_programme(work, slug, reason=reason)
    click.echo(
        f"closed {slug}: {closed.pairs_closed} pair(s) ended, {closed.deliveries} delivery(ies) queued"
    )


programme.add_command(invite_command)
programme.add_command(remind_command)
programme.add_command(invitations_command)
programme.add_command(set_command)
programme.add_command(backfill_command)

COMMANDS = [programme]
