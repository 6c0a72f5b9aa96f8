"""Loading the site once per command, and the one place the command line turns an error into output."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, NoReturn

import click

from rm_plugin.errors import UserError
from rm_plugin.site import Site, find_site_root, open_database
from rm_plugin.store import Database


class SiteHandle:
    """Finds and loads the site lazily, so ``rm-plugin init`` works where no site exists yet."""

    def __init__(self, explicit: Path | None) -> None:
        self.explicit = explicit
        self._site: Site | None = None
        self._database: Database | None = None

    @property
    def site(self) -> Site:
        if self._site is None:
            self._site = Site.load(find_site_root(self.explicit))
        return self._site

    @property
    def root(self) -> Path:
        return self._site.root if self._site is not None else find_site_root(self.explicit)

    @property
    def database(self) -> Database:
        """The site's database without loading the site: for commands that only read or fix local
        state (``sync status``, ``sync retry``), which must work without any host's secrets."""
        if self._site is not None:
            return self._site.database
        if self._database is None:
            self._database = open_database(self.root)
        return self._database

    def keep(self, site: Site) -> None:
        """Adopt a site a command loaded itself, so it is closed with the command."""
        self._site = site

    def __enter__(self) -> SiteHandle:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._site is not None:
            self._site.close()
        if self._database is not None:
            self._database.dispose()


def report(exc: UserError) -> NoReturn:
    """Show an error a person must fix and exit with its status, having changed nothing.

    A refused action is an ``Error:`` line per problem and status 1 (click's own form); a site
    that cannot run (bad config, no database) is one ``error:`` line per problem and status 2.
    """
    lines = exc.lines()
    if exc.exit_code == 1 and len(lines) == 1:
        raise click.ClickException(lines[0]) from exc
    prefix = "Error" if exc.exit_code == 1 else "error"
    for line in lines:
        click.echo(f"{prefix}: {line}", err=True)
    raise SystemExit(exc.exit_code) from exc


class Commands(click.Group):
    """The top-level group: every :class:`~rm_plugin.errors.UserError` a command raises is reported here."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as exc:
            report(exc)


pass_site = click.make_pass_decorator(SiteHandle)


def progress_printer() -> Callable[[str], None]:
    """Where a long command says what it is doing: a line on a terminal's stderr, else nothing.

    Output that is piped or captured stays exactly the command's result.
    """
    if not sys.stderr.isatty():
        return lambda _step: None

    def show(step: str) -> None:
        click.echo(f"... {step}", err=True)

    return show
