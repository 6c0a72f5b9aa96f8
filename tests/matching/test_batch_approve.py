"""One reviewer approves many pairs in one command; each pair is decided on its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from matching_factory import small_org
from sqlalchemy import select

from rm_plugin.cli import build_cli
from rm_plugin.store import Database
from rm_plugin.store.models import Pair, ReviewDecision


@pytest.fixture
def site(tmp_path: Path, db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "site"
    assert CliRunner().invoke(build_cli(), ["init", str(root)]).exit_code == 0
    monkeypatch.setenv("RM_PLUGIN_DATABASE_URL", db_url)
    with db.transaction() as s:
        small_org(s)
    return root


def match(site: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(build_cli(), ["--site", str(site), "match", *args])
    assert result.exit_code == code, result.output
    return result.output


def test_one_reviewer_approves_every_proposal_at_once(site: Path, db: Database) -> None:
    proposed = re.findall(r"^(\d+)\s+SEN-", match(site, "propose", "rm-2026"), re.M)
    assert len(proposed) == 2
    out = match(site, "approve", "rm-2026", "--all", "--reviewer", "REV-1")
    assert "REV-1 approved 2 pair(s), 0 now active; 0 not approved" in out
    out = match(site, "approve", "rm-2026", *proposed, "999", "--reviewer", "REV-2")
    assert "REV-2 approved 2 pair(s), 2 now active; 1 not approved" in out
    assert "pair 999: not approved: no pair 999" in out
    with db.transaction() as s:
        assert {p.status for p in s.scalars(select(Pair))} == {"active"}
        assert len(s.scalars(select(ReviewDecision)).all()) == 4
    # nothing left to approve: a refusal for each, and a non-zero exit
    out = match(site, "approve", "rm-2026", *proposed, "--reviewer", "REV-3", code=1)
    assert out.count("only proposed pairs are reviewed") == 2


def test_a_reviewer_in_a_chain_is_refused_for_that_pair_only(site: Path, db: Database) -> None:
    match(site, "propose", "rm-2026")
    out = match(site, "approve", "rm-2026", "--all", "--reviewer", "JUN-A2")
    assert "JUN-A2 approved 1 pair(s)" in out and "1 not approved" in out
    assert "JUN-A2 cannot review pair" in out and "management chain" in out


def test_show_refuses_a_status_that_does_not_exist(site: Path) -> None:
    out = match(site, "show", "rm-2026", "--status", "bogus", code=2)
    assert "'bogus' is not one of" in out and "no bogus pairs" not in out
