"""``rm-plugin applications``: bring programme applications in from a CSV file, list them, and
weigh the skills mentees want against the skills mentors offer."""

from __future__ import annotations

from pathlib import Path

import click

from rm_plugin.cli.context import SiteHandle, pass_site
from rm_plugin.enrolment.application_list import ROLES, list_applications
from rm_plugin.enrolment.applications import import_file as applications_import_file
from rm_plugin.enrolment.skill_supply import skill_supply
from rm_plugin.sample import applications_csv
from rm_plugin.unit_of_work import unit_of_work


@click.group()
def applications() -> None:
    """Applications to programmes."""


@applications.command("import", short_help="Import applications from a CSV file.")
@click.argument("programme_slug")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sample", is_flag=True, help="Import the bundled sample applications.")
@pass_site
def import_command(handle: SiteHandle, programme_slug: str, file: Path | None, sample: bool) -> None:
    """Import applications to PROGRAMME_SLUG from FILE (CSV); bad rows are reported and skipped."""
    if sample == (file is not None):
        raise click.UsageError("give either FILE or --sample")
    path = applications_csv() if sample else file
    assert path is not None
    with unit_of_work(handle.site) as work:
        report = applications_import_file(work, programme_slug, path)
    for line in report.lines():
        click.echo(line)
    if report.problems and report.imported == 0:
        raise SystemExit(1)


@applications.command("list", short_help="Who applied, as what, with which skills.")
@click.argument("programme_slug")
@click.option("--role", type=click.Choice(ROLES), help="Only mentees or only mentors.")
@pass_site
def list_command(handle: SiteHandle, programme_slug: str, role: str | None) -> None:
    """Who applied to PROGRAMME_SLUG, as what, with which skills (mentees: wanted, by priority)."""
    with unit_of_work(handle.site) as work:
        rows = list_applications(work, programme_slug, role)
    if not rows:
        click.echo(f"no applications to {programme_slug} yet; bring them in with `applications import`")
        return
    width = max(len(r.name) for r in rows)
    for r in rows:
        flags = "" if r.status == "submitted" else f" [{r.status}]"
        flags += "" if r.person_status == "active" else f" [{r.person_status}]"
        skills = ", ".join(r.skills) or "-"
        click.echo(f"{r.hr_id:<8} {r.role:<6} {r.name:<{width}}  {r.submitted_on}  {skills}{flags}")
    counts = {name: sum(r.role == name for r in rows) for name in ROLES}
    click.echo(f"{len(rows)} application(s): {counts['mentee']} mentee(s), {counts['mentor']} mentor(s)")


@applications.command("skills", short_help="Skills mentees want against mentors who offer them.")
@click.argument("programme_slug")
@pass_site
def skills_command(handle: SiteHandle, programme_slug: str) -> None:
    """For each skill mentees of PROGRAMME_SLUG want, how many mentor applicants offer it."""
    with unit_of_work(handle.site) as work:
        balances = skill_supply(work, programme_slug)
    if not balances:
        click.echo(f"no mentee of {programme_slug} has said what they want to learn yet")
        return
    width = max(len(b.skill) for b in balances)
    click.echo(f"{'skill':<{width}}  mentees  mentors")
    for b in balances:
        flag = "  no mentor offers it" if b.unmet else "  too few mentors" if b.short else ""
        click.echo(f"{b.skill:<{width}}  {b.mentees:>7}  {b.mentors:>7}{flag}")
    short = sum(b.short for b in balances)
    if short:
        click.echo(f"{short} skill(s) need more mentors: recruit mentors who offer them before matching")


COMMANDS = [applications]
