"""``rm-plugin applications``: bring programme applications in from a CSV file."""

from __future__ import annotations

from pathlib import Path

import click

from rm_plugin.cli.context import SiteHandle, pass_site
from rm_plugin.enrolment.applications import import_applications
from rm_plugin.enrolment.programmes import get_programme
from rm_plugin.programme.recruitment import mark_responses
from rm_plugin.sample import applications_csv


@click.group()
def applications() -> None:
    """Applications to programmes."""


@applications.command("import")
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
    with handle.site.database.transaction() as session:
        programme = get_programme(session, programme_slug)
        report = import_applications(session, programme, path)
        mark_responses(session, programme)
    for line in report.lines():
        click.echo(line)
    if report.problems and report.imported == 0:
        raise SystemExit(1)


COMMANDS = [applications]
