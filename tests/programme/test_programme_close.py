"""Closing a programme ends its active pairs and tells every progress host, through the outbox."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from rm_plugin.cli import build_cli
from rm_plugin.site import Site
from rm_plugin.store.models import OutboxItem, Pair, PairStatusChange, Person, Programme

HOOK = """
import json, pathlib
from rm_plugin import hookimpl

@hookimpl
def rm_programme_closed(programme, summary):
    out = pathlib.Path(__file__).with_name("closed.json")
    out.write_text(json.dumps({"slug": programme.slug, **summary}))
"""


def seed(site: Site) -> None:
    with site.database.transaction() as s:
        s.add_all(
            [
                Person(hr_id="S1", email="s1@x.com", job_level=8),
                Person(hr_id="J1", email="j1@x.com", job_level=2),
                Person(hr_id="S2", email="s2@x.com", job_level=8),
                Person(hr_id="J2", email="j2@x.com", job_level=3),
            ]
        )
        prog = Programme(slug="rm-x", name="X")
        s.add(prog)
        s.flush()
        ids = {p.hr_id: p.id for p in s.scalars(select(Person))}
        s.add(Pair(programme_id=prog.id, mentee_id=ids["S1"], mentor_id=ids["J1"], status="active"))
        s.add(Pair(programme_id=prog.id, mentee_id=ids["S2"], mentor_id=ids["J2"], status="proposed"))


def test_close_ends_active_pairs_and_delivers_close_to_the_hosts(site_root: Path) -> None:
    (site_root / "hooks" / "closing_probe.py").write_text(HOOK)
    site = Site.load(site_root, load_entrypoints=False)
    seed(site)
    site.close()
    runner, cli = CliRunner(), build_cli()
    result = runner.invoke(
        cli, ["--site", str(site_root), "programme", "close", "rm-x", "--reason", "cohort ended"]
    )
    assert result.exit_code == 0, result.output
    assert "closed rm-x: 1 pair(s) ended, 1 delivery(ies) queued" in result.output
    site = Site.load(site_root, load_entrypoints=False)
    with site.database.transaction() as s:
        statuses = {p.status for p in s.scalars(select(Pair))}
        assert statuses == {"closed", "proposed"}  # only active pairs close
        change = s.scalars(select(PairStatusChange)).one()
        assert (change.from_status, change.to_status, change.reason) == ("active", "closed", "cohort ended")
        (row,) = s.scalars(select(OutboxItem))
        assert (row.action, row.connection) == ("close", "files")
        assert row.payload["mentee"] == "S1" and row.payload["mentor"] == "J1"
        assert s.scalars(select(Programme.status)).one() == "closed"
    site.close()
    closed = json.loads((site_root / "hooks" / "closed.json").read_text())
    assert closed == {
        "slug": "rm-x",
        "pairs_closed": 1,
        "pairs_ever_active": 0,
        "meetings_logged": 0,
        "milestones_reached": 0,
    }
    result = runner.invoke(cli, ["--site", str(site_root), "sync"])
    assert result.exit_code == 0 and "1 delivered" in result.output
    (line,) = (site_root / "out" / "files-host" / "closures.jsonl").read_text().splitlines()
    assert json.loads(line)["payload"]["reason"] == "cohort ended"
    again = runner.invoke(cli, ["--site", str(site_root), "programme", "close", "rm-x"])
    assert again.exit_code != 0 and "already closed" in again.output
