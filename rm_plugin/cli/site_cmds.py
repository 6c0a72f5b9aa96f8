"""Site commands: ``init``, ``check`` and ``plugins``."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import click

from rm_plugin.cli.context import SiteHandle, pass_site
from rm_plugin.config import ConfigError
from rm_plugin.plugins import PluginError, hooks_of, origins
from rm_plugin.site import SITE_FILE, Site, find_site_root


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Create a new site in DIRECTORY with commented example files."""
    if (directory / SITE_FILE).exists():
        raise click.ClickException(f"{directory} already holds a site ({SITE_FILE} exists); nothing changed")
    template = resources.files("rm_plugin") / "site_template"
    with resources.as_file(template) as source:
        shutil.copytree(source, directory, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    click.echo(f"created site {directory}")
    click.echo(f"  next: edit {directory / SITE_FILE} and the files in {directory / 'connectors'},")
    click.echo(f"  then run `rm-plugin --site {directory} check`")


@click.command()
@click.pass_obj
def check(handle: SiteHandle) -> None:
    """Validate all config, then reach every enabled connection; one line per problem."""
    root = find_site_root(handle.explicit)
    try:
        site = Site.load(root)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(f"problem: {problem}")
        raise SystemExit(1) from exc
    except PluginError as exc:
        click.echo(f"problem: {exc}")
        raise SystemExit(1) from exc
    handle.keep(site)
    click.echo(f"config: ok ({SITE_FILE} and {len(site.connections)} connector file(s))")
    problems = 0
    try:
        site.database  # noqa: B018 - opening it applies migrations and proves it is reachable
        click.echo(f"database: ok ({site.database.dialect}, schema {site.database.current_revision()})")
    except Exception as exc:
        problems += 1
        click.echo(f"problem: database: cannot open {site.database_url.split('@')[-1]}: {exc}")
    for connection in site.connections.values():
        if not connection.enabled:
            click.echo(f"{connection.name}: disabled ({connection.file})")
            continue
        try:
            reports = [r for r in site.hook.rm_check_health(connection=connection.name) if r is not None]
        except Exception as exc:
            problems += 1
            click.echo(f"problem: {connection.name}: health check failed: {exc}")
            continue
        if not reports:
            click.echo(f"{connection.name}: ok (no health check for type {connection.type})")
        for report in reports:
            if report.ok:
                click.echo(f"{report.connection}: ok {report.summary}".rstrip())
            for line in report.problems:
                problems += 1
                click.echo(f"problem: {report.connection}: {line}")
    if problems:
        click.echo(f"{problems} problem(s) found")
        raise SystemExit(1)
    click.echo("all checks passed")


@click.command()
@pass_site
def plugins(handle: SiteHandle) -> None:
    """List loaded plugins, where each came from and which hooks it implements."""
    site = handle.site
    for origin in origins(site.pm):
        hooks = ", ".join(hooks_of(site.pm, origin.name)) or "(no hooks)"
        click.echo(f"{origin.name}  [{origin.origin}]")
        click.echo(f"    {hooks}")


COMMANDS = [init, check, plugins]
