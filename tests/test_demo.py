"""The demo runs to the end on the embedded defaults and says what it did."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from rm_plugin.cli import build_cli


def test_demo_runs_in_a_named_site_and_keeps_it(tmp_path: Path) -> None:
    target = tmp_path / "demo-site"
    result = CliRunner().invoke(build_cli(), ["demo", str(target)])
    assert result.exit_code == 0, result.output
    assert "305 created" in result.output
    assert "eligible under the seniority rule: 36 mentee(s), 60 mentor(s)" in result.output
    assert "36 pair(s) proposed" in result.output
    assert "36 pair(s) active; 0 could not be reviewed" in result.output
    assert "agreements signed: 36" in result.output
    assert "0 to retry later, 0 parked" in result.output
    assert "rerun: 0 delivered, 0 already there" in result.output
    assert "demo finished" in result.output
    assert "story 1 of pair 1 published" in result.output
    report = (target / "out" / "report-rm-2026.html").read_text(encoding="utf-8")
    assert "Reverse mentoring 2026" in report and report.count("<svg") >= 8
    assert "out/report-rm-2026.html" in result.output and "out/newsletter-rm-2026.html" in result.output
    newsletter = (target / "out" / "newsletter-rm-2026.md").read_text(encoding="utf-8")
    assert newsletter.count("### What we learned") == 3
    assert "credential(s) issued, signed as VC-JWT" in result.output
    assert "/badges/credentials/" in result.output
    assert (target / "rm-plugin.sqlite3").exists()
    # it says where its files are, what the outbox and the files host are, and its counts add up
    assert f"the demo site is kept in {target.resolve()}" in result.output
    assert f"what the files host received: {target.resolve() / 'out' / 'files-host'}" in result.output
    assert "The outbox is where every fact a host must hear" in result.output
    assert "The files host stands in for Moodle" in result.output
    queued = int(re.search(r"(\d+) enrolment\(s\) queued in the outbox", result.output)[1])
    added = int(re.search(r"outbox rows added: (\d+)", result.output)[1])
    pending = re.search(
        r"(\d+) outbox row\(s\) pending \((\d+) from step 6 \+ (\d+) from step 7\)", result.output
    )
    assert pending is not None and (int(pending[2]), int(pending[3])) == (queued, added)
    assert int(pending[1]) == queued + added
    # every row is delivered: each connection is handed only the actions it takes (the badges
    # issuer gets awards, never an enrolment or a completion it would have to decline)
    assert f"sync: {queued + added} delivered, 0 already there, 0 to retry later, 0 parked" in result.output
    completions = (target / "out" / "files-host" / "completions.jsonl").read_text().splitlines()
    assert completions and len(completions) == len(set(completions))
    # a second run on the same site reuses it: nothing new is created
    again = CliRunner().invoke(build_cli(), ["demo", str(target)])
    assert again.exit_code == 0, again.output
    assert "0 created, 0 updated, 305 unchanged" in again.output
    assert "36 kept from before" in again.output
    assert "already simulated by an earlier run" in again.output
    assert "sync: 0 delivered" in again.output
    assert "already told by an earlier run" in again.output


def test_demo_without_a_directory_says_its_site_is_temporary_and_removes_it() -> None:
    result = CliRunner().invoke(build_cli(), ["demo"])
    assert result.exit_code == 0, result.output
    site = re.search(r"site: (\S+), a temporary site removed when the demo ends", result.output)
    assert site is not None and not Path(site[1]).exists()
    assert "`rm-plugin demo DIR` keeps one in DIR" in result.output
