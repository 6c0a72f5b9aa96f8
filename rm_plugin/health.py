"""The site's health check (``rm-plugin check``): config, database, every enabled host, coverage.

Findings come one at a time, as each check finishes, so a door can show them while slow
hosts are still being asked. Every host gets the site's live programmes with their milestone
lists, so a connector can name each milestone or award its config does not map.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from rm_plugin.config import ConfigError
from rm_plugin.domain.records import ProgrammeInfo
from rm_plugin.enrolment.programmes import live_programmes
from rm_plugin.people.accounts import IdentityRule
from rm_plugin.plugins import PluginError
from rm_plugin.site import SITE_FILE, Site, find_site_root
from rm_plugin.unit_of_work import unit_of_work


@dataclass(frozen=True)
class Finding:
    """One line of the check: ``subject: text``, or ``problem: subject: text`` for a problem."""

    subject: str  # "config", "database" or a connection name; "" when the text names its own file
    text: str
    problem: bool = False
    warning: bool = False  # works, but some deliveries will not go through (not a failed check)

    def line(self) -> str:
        where = f"{self.subject}: " if self.subject else ""
        text = self.text.removeprefix(where) if where else self.text  # a host's error names it already
        label = "problem: " if self.problem else "warning: " if self.warning else ""
        return f"{label}{where}{text}"


@dataclass
class LoadedSite:
    """The site the check loaded (``None`` when its config has problems), and those problems."""

    site: Site | None
    problems: list[Finding]


def load(explicit: str | Path | None = None) -> LoadedSite:
    """Load the site, turning every config or plugin problem into a finding instead of an error.

    A missing site is still an error (:class:`~rm_plugin.site.SiteNotFound`): there is nothing to check.
    """
    root = find_site_root(explicit)
    try:
        return LoadedSite(Site.load(root), [])
    except ConfigError as exc:
        return LoadedSite(None, [Finding("", str(problem), problem=True) for problem in exc.problems])
    except PluginError as exc:
        return LoadedSite(None, [Finding("", str(exc), problem=True)])


def check(site: Site, progress: Callable[[str], None] = lambda _step: None) -> Iterator[Finding]:
    """Check a loaded site: its config files, the database, then every enabled connection.

    ``progress`` hears which host is being reached before each call, which can take as long as
    the connection's timeout when the host does not answer.
    """
    yield Finding("config", f"ok ({SITE_FILE} and {len(site.connections)} connector file(s))")
    for text in IdentityRule.from_config(site.config["web"]["identity"]).warnings():
        yield Finding("web", text, warning=True)
    programmes: list[ProgrammeInfo] = []
    try:
        site.database  # noqa: B018 - opening it applies migrations and proves it is reachable
        yield Finding("database", f"ok ({site.database.dialect}, schema {site.database.current_revision()})")
    except Exception as exc:
        yield Finding("database", f"cannot open {site.database_url.split('@')[-1]}: {exc}", problem=True)
    else:
        try:
            with unit_of_work(site) as work:
                programmes = live_programmes(work)
        except SQLAlchemyError as exc:
            yield Finding(
                "database",
                f"could not read the programmes to compare with the connector configs ({type(exc).__name__})",
                problem=True,
            )
    for connection in site.connections.values():
        if not connection.enabled:
            yield Finding(connection.name, f"disabled ({connection.file})")
            continue
        progress(f"reaching {connection.name} ({connection.type})")
        try:
            answers = site.hook.rm_check_health(connection=connection.name, programmes=programmes)
        except Exception as exc:
            yield Finding(connection.name, f"health check failed: {exc}", problem=True)
            continue
        reports = [r for r in answers if r is not None]
        if not reports:
            yield Finding(connection.name, f"ok (no health check for type {connection.type})")
        for report in reports:
            if report.ok:
                yield Finding(report.connection, f"ok {report.summary}".rstrip())
            for line in report.problems:
                yield Finding(report.connection, line, problem=True)
            for line in report.warnings:
                yield Finding(report.connection, line, warning=True)
