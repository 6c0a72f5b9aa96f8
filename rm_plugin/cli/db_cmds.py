"""Database commands."""

from __future__ import annotations

import click

from rm_plugin.cli.context import SiteHandle
from rm_plugin.site import database_url, find_site_root, read_site_config
from rm_plugin.store import Database


@click.group()
def db() -> None:
    """The site's database."""


@db.command(short_help="Apply pending database migrations.")
@click.pass_obj
def upgrade(handle: SiteHandle) -> None:
    """Apply pending migrations (they are also applied at start); needs only rm-plugin.toml."""
    root = find_site_root(handle.explicit)
    url = database_url(root, read_site_config(root))
    database = Database(url)
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
