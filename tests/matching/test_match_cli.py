"""The ``rm-plugin match`` commands against a fresh site, on both backends."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from matching_factory import small_org
from sqlalchemy import select

from rm_plugin.cli import build_cli
from rm_plugin.store import Database
from rm_plugin.store.models import OutboxItem


@pytest.fixture
def site(tmp_path: Path, db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "site"
    result = CliRunner().invoke(build_cli(), ["init", str(root)])
    assert result.exit_code == 0, result.output
    monkeypatch.setenv("RM_PLUGIN_DATABASE_URL", db_url)
    with db.transaction() as s:
        small_org(s)
    return root


def run(site: Path, *args: str) -> str:
    result = CliRunner().invoke(build_cli(), ["--site", str(site), "match", *args])
    assert result.exit_code == 0, result.output
    return result.output


def fails(site: Path, *args: str) -> str:
    result = CliRunner().invoke(build_cli(), ["--site", str(site), "match", *args])
    assert result.exit_code != 0
    return result.output


def test_propose_review_and_audit_from_the_command_line(site: Path, db: Database) -> None:
    out = run(site, "propose", "rm-2026")
    assert "2 pair(s) proposed" in out and "(objective most_pairs)" in out
    assert re.search(r"^mentee\s+capacity ran out\s+1\s+VP-A$", out, re.M)  # counted, not listed
    assert re.search(r"^mentor\s+not needed\s+1\s+JUN-A2$", out, re.M)
    pair_id = re.search(r"^(\d+)\s+SEN-A\s+JUN-B1", out, re.M).group(1)

    listing = run(site, "show", "rm-2026")
    assert "SEN-A (SEN-A)" in listing and "0/2" in listing and "skills 3" in listing
    assert re.search(rf"^{pair_id}\s.*\s0/2\s+ai, social\s+skills", listing, re.M)  # skills matched
    detail = run(site, "show", "rm-2026", "--pair", pair_id)
    assert "same_location" in detail and "rules passed: eligible_level, reversal" in detail
    assert "skills matched: ai (priority 3), social (priority 1)" in detail
    assert "may review: REV-1, REV-2, REV-3" in detail

    assert "cannot review" in fails(site, "approve", "rm-2026", pair_id, "--reviewer", "VP-A")
    assert "1 of 2 approvals" in run(site, "approve", "rm-2026", pair_id, "--reviewer", "REV-1")
    out = run(site, "approve", "rm-2026", pair_id, "--reviewer", "REV-2")
    assert "is active (approved by REV-1, REV-2); enrolment queued for files" in out
    with db.transaction() as s:
        assert s.scalars(select(OutboxItem.key)).all() == [f"enrol:{pair_id}:files"]

    other = re.search(r"^(\d+)\s+proposed\s+SEN-B", run(site, "show", "rm-2026"), re.M).group(1)
    assert "--reason" in fails(site, "reject", "rm-2026", other, "--reviewer", "REV-1")
    assert "rejected" in run(
        site, "reject", "rm-2026", other, "--reviewer", "REV-1", "--reason", "same project"
    )

    audit = run(site, "audit", "rm-2026")
    assert "department" in audit and "proposal rate" in audit


def test_propose_lists_everyone_with_all(site: Path) -> None:
    out = run(site, "propose", "rm-2026", "--all")
    assert re.search(
        r"^VP-A\s+mentee\s+capacity ran out: all 1 mentors who pass the rules are taken", out, re.M
    )
    assert re.search(r"^JUN-A2\s+mentor\s+not needed: all 1 mentees", out, re.M)


def test_pin_and_errors_are_readable(site: Path) -> None:
    assert "management chain" in fails(site, "pin", "rm-2026", "SEN-A", "JUN-A1")
    assert "pinned pair" in run(site, "pin", "rm-2026", "SEN-A", "JUN-B1")
    out = run(site, "propose", "rm-2026")
    assert "1 kept from before" in out
    assert "no programme 'nope'" in fails(site, "propose", "nope")
