"""Database commands."""

from __future__ import annotations

import click

from rm_plugin.cli.context import SiteHandle, pass_site
from rm_plugin.store import Database


@click.group()
def db() -> None:
    """The site's database."""


@db.command()
@pass_site
def upgrade(handle: SiteHandle) -> None:
    """Apply pending migrations (they are also applied at start)."""
    database = Database(handle.site.database_url)
    try:
        before = database.current_revision()
        applied = database.upgrade()
        after = database.current_revision()
    finally:
        database.dispose()
    if applied:
        click.echo(f"database upgraded from {before or 'empty'} to {after}")
    else:
        click.echo(f"database already at {after}")


COMMANDS = [db]
