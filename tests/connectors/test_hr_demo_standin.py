"""`rm-plugin demo DIR` on a site whose roster comes from the BambooHR stand-in instead of csv.

The stand-in (bench/standins/bamboohr.py) runs as a WSGI app on 127.0.0.1 on a free port, serving
the sample organisation; with ``hr_id = "employeeNumber"`` its people carry the sample's HR ids,
so the sample applications match them and the demo runs its whole loop on that roster.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bamboo_contract import CheckedApp, load, missing_reason
from click.testing import CliRunner
from sqlalchemy import select
from standin_server import served, standin

from rm_plugin.cli import build_cli
from rm_plugin.site import Site
from rm_plugin.store.models import Person


@pytest.fixture
def bamboo_standin() -> Iterator[tuple[str, Any]]:
    """The stand-in, every exchange checked against BambooHR's spec when it is at hand."""
    app: Any = standin("bamboohr").BambooStandIn(standin("org").sample())
    checked = CheckedApp(app, load()) if missing_reason() is None else None
    with served(checked or app) as base:
        yield base, app
    if checked is not None:
        assert checked.problems == [], "\n".join(checked.problems)


def test_the_demo_runs_on_a_bamboohr_roster(site_root: Path, bamboo_standin: tuple[str, Any]) -> None:
    base, app = bamboo_standin
    connectors = site_root / "connectors"
    (connectors / "csv.toml").write_text('type = "csv"\nenabled = false\nsample = true\n')
    (connectors / "bamboohr.toml").write_text(
        f'type = "bamboohr"\nenabled = true\ncompany = "standin"\nbase_url = "{base}"\n'
        'api_key = "standin-key"\nhr_id = "employeeNumber"\njob_level_field = "Job Level"\n'
        '[fields]\nlanguages = "customLanguages"\ntime_zone = "customTimeZone"\n'
    )
    result = CliRunner().invoke(build_cli(), ["demo", str(site_root)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "people: 305 created" in out, out
    assert "demo finished: people created 305" in out
    figures = dict(
        (name.strip(), int(value))
        for name, value in re.findall(r"([a-z ]+) (\d+)", out.split("demo finished: ", 1)[1].splitlines()[0])
    )
    assert figures["people created"] == 305
    assert figures["applications"] == 96  # every sample application found its person
    assert figures["active pairs"] > 0 and figures["delivered"] > 0 and figures["rerun delivered"] == 0
    assert app.requests > 0
    site = Site.load(site_root, load_entrypoints=False)
    try:
        with site.database.transaction() as session:
            sources = set(session.scalars(select(Person.source)))
            count = len(list(session.scalars(select(Person.id))))
    finally:
        site.close()
    assert (count, sources) == (305, {"bamboohr"})
