"""Loading the site once per command, turning config problems into readable output."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import NoReturn

import click

from rm_plugin.config import ConfigError
from rm_plugin.plugins import PluginError
from rm_plugin.site import Site, SiteNotFound, find_site_root


class SiteHandle:
    """Finds and loads the site lazily, so ``rm-plugin init`` works where no site exists yet."""

    def __init__(self, explicit: Path | None) -> None:
        self.explicit = explicit
        self._site: Site | None = None

    @property
    def site(self) -> Site:
        if self._site is None:
            self._site = load_site_or_exit(self.explicit)
        return self._site

    def __enter__(self) -> SiteHandle:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._site is not None:
            self._site.close()


def exit_with_problems(exc: ConfigError) -> NoReturn:
    """One ``error:`` line per config problem on stderr, then exit 2 having changed nothing."""
    for problem in exc.problems:
        click.echo(f"error: {problem}", err=True)
    raise SystemExit(2) from exc


def load_site_or_exit(explicit: Path | None) -> Site:
    try:
        return Site.load(find_site_root(explicit))
    except SiteNotFound as exc:
        raise click.ClickException(str(exc)) from exc
    except ConfigError as exc:
        exit_with_problems(exc)
    except PluginError as exc:
        raise click.ClickException(str(exc)) from exc


pass_site = click.make_pass_decorator(SiteHandle)
