"""`rm-plugin demo DIR` on a site whose roster comes from the BambooHR stand-in instead of csv.

The stand-in (bench/standins/bamboohr.py) runs as a WSGI app on 127.0.0.1 on a free port, serving
the sample organisation; with ``hr_id = "employeeNumber"`` its people carry the sample's HR ids,
so the sample applications match them and the demo runs its whole loop on that roster.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from rm_plugin.cli import build_cli
from rm_plugin.site import Site
from rm_plugin.store.models import Person

STANDINS = Path(__file__).parents[2] / "bench" / "standins"


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def bamboo_standin() -> Iterator[tuple[str, Any]]:
    sys.path[:0] = [str(STANDINS)]
    try:
        from bamboohr import BambooStandIn
        from org import sample
    finally:
        sys.path.remove(str(STANDINS))
    app = BambooStandIn(sample())
    server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


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
