"""The demo: the whole product on the embedded defaults (SQLite, the bundled sample organisation).

Each step uses the same functions the CLI commands do, so the demo shows what an admin would
get. It runs in a temporary site unless given a directory, where it creates (or reuses) a site.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from sqlalchemy import select

from rm_plugin.cli.applications_cmds import sample_applications_path
from rm_plugin.cli.programme_cmds import describe, eligibility_lines
from rm_plugin.enrolment.applications import import_applications
from rm_plugin.enrolment.eligibility import summarise
from rm_plugin.enrolment.programmes import create_programme, get_programme
from rm_plugin.people.service import sync_people
from rm_plugin.site import SITE_FILE, Site
from rm_plugin.store.models import Programme

PROGRAMME = "rm-2026"
STARTS = dt.date(2026, 1, 5)
ENDS = dt.date(2026, 7, 3)

Echo = Callable[[str], None]


@dataclass
class DemoResult:
    site_root: Path
    kept: bool
    figures: dict[str, int] = field(default_factory=dict)


def create_site(directory: Path) -> None:
    """Copy the site template into ``directory`` (the same files ``rm-plugin init`` writes)."""
    template = resources.files("rm_plugin") / "site_template"
    with resources.as_file(template) as source:
        shutil.copytree(source, directory, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))


def run_demo(directory: Path | None = None, echo: Echo = print) -> DemoResult:
    kept = directory is not None
    root = directory if directory is not None else Path(tempfile.mkdtemp(prefix="rm-plugin-demo-"))
    if not (root / SITE_FILE).exists():
        root.mkdir(parents=True, exist_ok=True)
        create_site(root)
    result = DemoResult(root, kept)
    site = Site.load(root)
    try:
        _steps(site, result, echo)
    finally:
        site.close()
        if not kept:
            shutil.rmtree(root, ignore_errors=True)
    return result


def _steps(site: Site, result: DemoResult, echo: Echo) -> None:
    echo(f"site: {site.root} ({'kept' if result.kept else 'temporary'}), database {site.database.dialect}")

    echo("\n1. Sync the sample roster from the csv HR source")
    report = sync_people(site)
    for line in report.lines():
        echo(f"   {line}")
    result.figures["people_created"] = report.created

    echo(f"\n2. Create the programme {PROGRAMME}")
    with site.database.transaction() as session:
        if session.scalar(select(Programme.id).where(Programme.slug == PROGRAMME)) is None:
            create_programme(
                session,
                slug=PROGRAMME,
                name="Reverse mentoring 2026: digital skills for leaders",
                defaults=site.programme_defaults,
                starts_on=STARTS,
                ends_on=ENDS,
                enrolment="open",
                objectives=("digital-skills", "cross-generational-learning"),
                rules={"not_same_department": True, "shared_language": True},
            )
        programme = get_programme(session, PROGRAMME)
        for line in describe(programme):
            echo(f"   {line}")

    echo("\n3. Import the sample applications")
    with site.database.transaction() as session:
        programme = get_programme(session, PROGRAMME)
        imported = import_applications(session, programme, sample_applications_path())
        for line in imported.lines():
            echo(f"   {line}")
        result.figures["applications"] = imported.imported

    echo("\n4. Who is eligible under the programme's seniority rule")
    with site.database.transaction() as session:
        summary = summarise(session, get_programme(session, PROGRAMME))
        for line in eligibility_lines(summary):
            echo(f"   {line}")
        result.figures["eligible_mentees"] = summary.eligible["mentee"]
        result.figures["eligible_mentors"] = summary.eligible["mentor"]

    echo("\ndemo finished")
