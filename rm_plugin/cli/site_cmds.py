"""Site commands: ``init``, ``check`` and ``plugins``."""

from __future__ import annotations

from pathlib import Path

import click

from rm_plugin import health
from rm_plugin.cli.context import SiteHandle, pass_site, progress_printer
from rm_plugin.plugins import hooks_of, origins
from rm_plugin.site import SITE_FILE, create_site


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Create a new site in DIRECTORY with commented example files."""
    if (directory / SITE_FILE).exists():
        raise click.ClickException(f"{directory} already holds a site ({SITE_FILE} exists); nothing changed")
    create_site(directory)
    click.echo(f"created site {directory}")
    click.echo(f"  next: edit {directory / SITE_FILE} and the files in {directory / 'connectors'},")
    click.echo(f"  then run `rm-plugin --site {directory} check`")


@click.command(short_help="Check all config and reach every enabled connection.")
@click.pass_obj
def check(handle: SiteHandle) -> None:
    """Validate all config, then reach every enabled connection; one line per problem."""
    loaded = health.load(handle.explicit)
    for finding in loaded.problems:
        click.echo(finding.line())
    if loaded.site is None:
        raise SystemExit(1)
    handle.keep(loaded.site)
    problems = warnings = 0
    for finding in health.check(loaded.site, progress_printer()):
        click.echo(finding.line())
        problems += finding.problem
        warnings += finding.warning
    if problems:
        click.echo(f"{problems} problem(s) found")
        raise SystemExit(1)
    click.echo("all checks passed" + (f" ({warnings} warning(s))" if warnings else ""))


@click.command(short_help="List loaded plugins and the hooks they implement.")
@pass_site
def plugins(handle: SiteHandle) -> None:
    """List loaded plugins, where each came from and which hooks it implements."""
    site = handle.site
    for origin in origins(site.pm):
        hooks = ", ".join(hooks_of(site.pm, origin.name)) or "(no hooks)"
        click.echo(f"{origin.name}  [{origin.origin}]")
        click.echo(f"    {hooks}")


COMMANDS = [init, check, plugins]
