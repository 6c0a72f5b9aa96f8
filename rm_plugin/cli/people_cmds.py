"""``rm-plugin people``: sync the roster from the HR sources and look people up."""

from __future__ import annotations

import click

from rm_plugin.cli.context import SiteHandle, pass_site, progress_printer
from rm_plugin.people import profiles
from rm_plugin.programme.leavers import sync_roster
from rm_plugin.unit_of_work import unit_of_work


@click.group()
def people() -> None:
    """The people the HR sources describe."""


@people.command("sync", short_help="Pull people from every enabled HR source.")
@click.option("--source", help="Only this connection (a file name in connectors/, without .toml).")
@click.option("--full", is_flag=True, help="Ignore stored cursors and pull whole rosters.")
@click.option(
    "--accept-leavers",
    is_flag=True,
    help="Mark people missing from a full roster as left even when that is more than a fifth of them.",
)
@pass_site
def sync(handle: SiteHandle, source: str | None, full: bool, accept_leavers: bool) -> None:
    """Pull people from every enabled HR source; bad records are reported and skipped.

    People who left lose their proposals, and their active pairs close (the hosts hear it on
    the next `sync`, the other member is told). A source that cannot be read is reported on its
    own line and the others are synced all the same. Exits non-zero only when nothing could be
    imported (every source failed, or records were offered and none could be used).
    """
    report = sync_roster(
        handle.site, source, full=full, accept_leavers=accept_leavers, progress=progress_printer()
    )
    for line in report.lines():
        click.echo(line)
    if report.nothing_imported:
        raise SystemExit(1)


@people.command("show", short_help="One person, their manager chain and applications.")
@click.argument("hr_id")
@pass_site
def show(handle: SiteHandle, hr_id: str) -> None:
    """One person: what HR says, their management chain and their applications."""
    with unit_of_work(handle.site) as work:
        person = profiles.person_profile(work, hr_id)
    click.echo(f"{person.display_name} ({person.hr_id}) <{person.email}>  [{person.status}]")
    click.echo(f"  level {person.job_level}  {person.title}")
    click.echo(f"  {person.department} / {person.team}  {person.location} ({person.time_zone})")
    click.echo(f"  languages: {', '.join(person.languages) or '-'}")
    click.echo(f"  hired {person.hire_date or '-'}  left {person.termination_date or '-'}")
    click.echo(f"  source: {person.source}")
    links = [f"{name} ({m})" for m, name in person.chain]
    if person.chain_problem:
        links.append(person.chain_problem)
    click.echo("  chain: " + (" > ".join(links) or "(top)"))
    for slug, role, status in person.applications:
        click.echo(f"  applied to {slug} as {role} ({status})")


@people.command("list")
@click.option("--department")
@click.option("--status", type=click.Choice(["active", "left", "all"]), default="active", show_default=True)
@pass_site
def list_people(handle: SiteHandle, department: str | None, status: str) -> None:
    """People, one per line, and how many were shown of everyone stored."""
    with unit_of_work(handle.site) as work:
        found = profiles.list_people(work, department=department, status=status)
    for p in found.rows:
        level = p.job_level or "?"
        click.echo(f"{p.hr_id:<8} L{level:<3} {p.display_name:<28} {p.department:<18} {p.status}")
    click.echo(f"{len(found.rows)} shown of {found.total} people")


COMMANDS = [people]
