"""`people sync` from a CSV with bad rows: good rows in, each bad row reported by line, nothing lost."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from rm_plugin.cli import build_cli
from rm_plugin.people.roster_import import sync_people
from rm_plugin.site import Site
from rm_plugin.store.models import Person

HEADER = (
    ",".join(
        [
            "hr_id",
            "email",
            "given_name",
            "family_name",
            "job_level",
            "manager_hr_id",
            "department",
            "hire_date",
            "termination_date",
            "time_zone",
        ]
    )
    + "\n"
)
GOOD = [
    "E1,ceo@example.com,Ada,Boss,10,,Exec,2010-01-04,,Europe/London",
    "E2,vp@example.com,Bo,Vee,8,E1,Sales,2012-05-01,,",
    "E3,dev@example.com,Cy,Dev,3,E2,Sales,2024-02-10,,America/New_York",
]
BAD = [
    "E4,,No,Email,3,E2,Sales,2024-01-01,,",  # line 5: missing email
    "E2,dup@example.com,Du,Plicate,3,E1,Sales,2024-01-01,,",  # line 6: duplicate HR id
    "E5,ghost@example.com,Gho,St,3,E99,Sales,2024-01-01,,",  # line 7: manager does not exist (kept)
    "E6,loop1@example.com,Lo,Op,5,E7,Sales,2020-01-01,,",  # line 8: cycle E6 -> E7 -> E6
    "E7,loop2@example.com,Lo,Op,5,E6,Sales,2020-01-01,,",  # line 9
    "E8,lvl@example.com,Le,Vel,ten,E2,Sales,2020-01-01,,",  # line 10: non-numeric level
    "E9,date@example.com,Da,Te,2,E2,Sales,31/12/2020,,",  # line 11: unknown date format
]


def write_roster(site_root: Path, rows: list[str]) -> None:
    (site_root / "people.csv").write_text(HEADER + "\n".join(rows) + "\n")
    (site_root / "connectors" / "csv.toml").write_text('type = "csv"\npath = "people.csv"\n')


def people(site: Site) -> dict[str, Person]:
    with site.database.transaction() as session:
        return {p.hr_id: p for p in session.scalars(select(Person))}


def test_bad_rows_are_reported_by_line_and_good_rows_go_in(site_root: Path) -> None:
    write_roster(site_root, GOOD + BAD)
    site = Site.load(site_root, load_entrypoints=False)
    report = sync_people(site)
    assert report.created == 4
    reasons = {p.where: p.reason for p in report.problems}
    assert reasons["line 5"] == "missing email"
    assert reasons["line 6"] == "duplicate HR id E2 (first seen at line 3); skipped"
    assert reasons["line 8"].startswith("management cycle") and "E6, E7" in reasons["line 8"]
    assert reasons["line 9"].startswith("management cycle")
    assert reasons["line 10"] == "job level 'ten' is not a whole number"
    assert reasons["line 11"] == "hire date '31/12/2020' does not match the date format(s) %Y-%m-%d"
    assert len(report.problems) == 6
    stored = people(site)
    assert set(stored) == {"E1", "E2", "E3", "E5"}
    # a manager missing from the roster skips nobody: the link is kept and reported once
    assert stored["E5"].manager_hr_id == "E99"
    assert [(b.hr_id, b.manager, b.kind) for b in report.broken_new] == [("E5", "E99", "manager_missing")]
    assert (
        "  manager E99 is not in the roster: E5 report to them; they are left out of matching"
        in "\n".join(report.lines())
    )
    assert stored["E2"].email == "vp@example.com"  # the first E2 row won, not the duplicate
    assert stored["E3"].manager_hr_id == "E2" and stored["E3"].time_zone == "America/New_York"
    site.close()


def test_rerunning_the_same_file_changes_nothing(site_root: Path) -> None:
    write_roster(site_root, GOOD)
    site = Site.load(site_root, load_entrypoints=False)
    sync_people(site)
    before = {k: (p.updated_at, p.email) for k, p in people(site).items()}
    again = sync_people(site)
    assert (again.created, again.updated, again.unchanged, again.left) == (0, 0, 3, 0)
    assert {k: (p.updated_at, p.email) for k, p in people(site).items()} == before
    site.close()


def test_a_person_missing_from_a_later_roster_is_marked_left_never_deleted(site_root: Path) -> None:
    write_roster(site_root, GOOD)
    site = Site.load(site_root, load_entrypoints=False)
    sync_people(site)
    write_roster(site_root, GOOD[:2])
    report = sync_people(site, today=dt.date(2026, 5, 1))
    assert report.left == 1
    gone = people(site)["E3"]
    assert gone.status == "left" and gone.termination_date == dt.date(2026, 5, 1)
    # coming back in a later roster makes them active again
    write_roster(site_root, GOOD)
    assert sync_people(site).updated == 1
    assert people(site)["E3"].status == "active"
    site.close()


def test_a_rejected_row_of_a_known_person_does_not_make_them_a_leaver(site_root: Path) -> None:
    write_roster(site_root, GOOD)
    site = Site.load(site_root, load_entrypoints=False)
    sync_people(site)
    broken = GOOD[2].replace("dev@example.com", "not-an-email")
    write_roster(site_root, [*GOOD[:2], broken])
    report = sync_people(site)
    assert report.left == 0
    assert [(p.hr_id, p.reason) for p in report.problems] == [
        ("E3", "email 'not-an-email' is not an email address")
    ]
    kept = people(site)["E3"]
    assert kept.status == "active" and kept.email == "dev@example.com"  # nothing lost, nothing changed
    # and an unknown manager is a broken link to report, not a departure
    write_roster(site_root, [*GOOD[:2], GOOD[2].replace(",E2,", ",E99,")])
    assert sync_people(site).left == 0
    assert people(site)["E3"].status == "active" and people(site)["E3"].manager_hr_id == "E99"
    site.close()


def test_changes_are_updates(site_root: Path) -> None:
    write_roster(site_root, GOOD)
    site = Site.load(site_root, load_entrypoints=False)
    sync_people(site)
    write_roster(site_root, [*GOOD[:2], GOOD[2].replace(",3,E2,", ",4,E2,")])
    report = sync_people(site)
    assert (report.updated, report.unchanged) == (1, 2)
    assert people(site)["E3"].job_level == 4
    site.close()


def test_cli_exits_non_zero_only_when_nothing_could_be_imported(site_root: Path) -> None:
    runner = CliRunner()
    cli = build_cli()
    write_roster(site_root, GOOD + BAD)
    result = runner.invoke(cli, ["--site", str(site_root), "people", "sync"])
    assert result.exit_code == 0, result.output
    assert "4 created" in result.output and "skipped: csv: line 5 (E4): missing email" in result.output
    write_roster(site_root, BAD[:1])
    result = runner.invoke(cli, ["--site", str(site_root), "people", "sync"])
    assert result.exit_code == 1
    assert "line 2 (E4): missing email" in result.output
    assert (
        "the roster has no usable record, so none of its 4 active people was marked as left" in result.output
    )
    site = Site.load(site_root, load_entrypoints=False)
    assert {p.status for p in people(site).values()} == {"active"}
    site.close()


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("E1,not-an-email,A,B,3,,X,2020-01-01,,", "email 'not-an-email' is not an email address"),
        (
            "E1,a@example.com,A,B,3,,X,2020-01-01,,Mars/Olympus",
            "time zone 'Mars/Olympus' is not an IANA time zone",
        ),
        (",a@example.com,A,B,3,,X,2020-01-01,,", "missing HR id"),
        ("E1,a@example.com,A,B,3,,X,2020-01-01,2021-13-01,", "termination date '2021-13-01' does not match"),
        ("E1,a@example.com,A,B,0,,X,2020-01-01,,", "job level 0 is outside 1-20"),
        ("E1,a@example.com,A,B,-5,,X,2020-01-01,,", "job level -5 is outside 1-20"),
    ],
)
def test_row_checks(tmp_path: Path, row: str, reason: str) -> None:
    from rm_plugin.connectors.csv.reader import read_roster

    path = tmp_path / "p.csv"
    path.write_text(HEADER + row + "\n")
    read = read_roster(path, source="csv", columns={}, date_formats=["%Y-%m-%d"])
    assert read.rows == [] and read.usable
    assert read.problems[0].reason.startswith(reason)


def sync_and_people(site_root: Path, rows: list[str], **kwargs: object) -> tuple[object, dict[str, Person]]:
    write_roster(site_root, rows)
    site = Site.load(site_root, load_entrypoints=False)
    try:
        report = sync_people(site, **kwargs)  # type: ignore[arg-type]
        return report, people(site)
    finally:
        site.close()


def test_an_unusable_file_or_header_is_not_a_roster_in_which_everyone_left(site_root: Path) -> None:
    """The source fails as a whole (its reason on one line) and nobody is marked as left."""
    sync_and_people(site_root, GOOD)
    (site_root / "people.csv").write_text("id,mail,job_level,manager_hr_id\nE1,ceo@example.com,10,\n")
    site = Site.load(site_root, load_entrypoints=False)
    report = sync_people(site)
    assert report.left == 0 and report.problems == [] and report.failed_sources == ["csv"]
    assert report.source_errors["csv"] == (
        "line 1: the header has no column 'hr_id' (hr_id, required); the header read was "
        "'id,mail,job_level,manager_hr_id'; map it under [columns] in connectors/csv.toml; "
        "line 1: the header has no column 'email' (email, required); the header read was "
        "'id,mail,job_level,manager_hr_id'; map it under [columns] in connectors/csv.toml"
    )
    (site_root / "people.csv").write_bytes(
        (HEADER + "E1,ceo@example.com,J\xf6rg,Boss,10,,Exec,2010-01-04,,\n").encode("latin-1")
    )
    report = sync_people(site)
    assert report.left == 0
    assert "not readable as utf-8-sig" in report.source_errors["csv"]
    assert "set `encoding`" in report.source_errors["csv"]
    (site_root / "people.csv").unlink()
    report = sync_people(site)
    assert report.left == 0 and "cannot read the roster" in report.source_errors["csv"]
    assert any(line.startswith("  source failed, nothing changed for it: csv: ") for line in report.lines())
    assert {p.status for p in people(site).values()} == {"active"}
    site.close()


def test_a_roster_without_its_manager_or_level_column_clears_nobody_s_chain(site_root: Path) -> None:
    """Without manager_hr_id every chain would be cleared and rule 2 unchecked; without
    job_level, every level. A column mapped under [columns] but absent is named the same way,
    and `check` reads the header and says so before any sync."""
    _, stored = sync_and_people(site_root, GOOD)
    before = {hr_id: (p.manager_hr_id, p.job_level) for hr_id, p in stored.items()}
    no_manager = [",".join(c for i, c in enumerate(r.split(",")) if i != 5) for r in GOOD]
    header = HEADER.replace("manager_hr_id,", "")
    (site_root / "people.csv").write_text(header + "\n".join(no_manager) + "\n")
    site = Site.load(site_root, load_entrypoints=False)
    report = sync_people(site)
    assert report.failed_sources == ["csv"]
    assert "no column 'manager_hr_id' (manager_hr_id, required)" in report.source_errors["csv"]
    after = {hr_id: (p.manager_hr_id, p.job_level) for hr_id, p in people(site).items()}
    assert after == before
    site.close()
    csv_toml = site_root / "connectors" / "csv.toml"
    csv_toml.write_text(csv_toml.read_text() + '\n[columns]\nmanager_hr_id = "Manager ID"\n')
    result = CliRunner().invoke(build_cli(), ["--site", str(site_root), "check"])
    assert result.exit_code == 1
    assert "no column 'Manager ID' (manager_hr_id, as mapped under [columns])" in result.output


def test_a_row_whose_manager_was_rejected(site_root: Path) -> None:
    # E2's own row is bad, E3 reports to E2: E2 is stored from an earlier sync, so E3 still goes in
    sync_and_people(site_root, GOOD)
    report, stored = sync_and_people(site_root, [GOOD[0], GOOD[1].replace("vp@example.com", ""), GOOD[2]])
    assert [(p.hr_id, p.reason) for p in report.problems] == [("E2", "missing email")]
    assert stored["E3"].status == "active" and report.left == 0


def test_a_row_whose_new_manager_was_rejected_is_kept_and_names_the_managers_problem(site_root: Path) -> None:
    report, stored = sync_and_people(site_root, [GOOD[0], GOOD[1].replace("vp@example.com", ""), GOOD[2]])
    assert [(p.hr_id, p.reason) for p in report.problems] == [("E2", "missing email")]
    assert set(stored) == {"E1", "E3"}
    (link,) = report.broken_new
    assert (link.hr_id, link.manager, link.detail) == ("E3", "E2", "was not stored (line 3: missing email)")


def test_a_manager_missing_from_a_later_roster_keeps_the_reports_and_is_reported_once(
    site_root: Path,
) -> None:
    sync_and_people(site_root, GOOD)
    later = [GOOD[0], GOOD[2].replace("Cy,Dev,3", "Cy,Dev,4")]  # E2 is gone; E3 still names E2
    report, stored = sync_and_people(site_root, later, today=dt.date(2026, 5, 1))
    assert report.left == 1 and report.updated == 1 and report.problems == []
    assert stored["E3"].job_level == 4 and stored["E3"].manager_hr_id == "E2"  # not skipped, not stale
    assert stored["E2"].status == "left"
    assert "  manager E2 has left (no longer in the roster): E3 still report to them" in report.lines()
    again, _ = sync_and_people(site_root, later)
    assert again.broken_new == [] and again.broken_open == 1
    assert not any("E3 still report" in line for line in again.lines())  # said once
    fixed, _ = sync_and_people(site_root, [GOOD[0], GOOD[2].replace(",E2,", ",E1,")])
    assert fixed.broken_fixed == 1 and fixed.broken_open == 0


def test_a_cycle_synced_into_an_empty_database_leaves_no_dangling_manager_unreported(site_root: Path) -> None:
    roster = [
        GOOD[0],
        "E6,loop1@example.com,Lo,Op,5,E7,Sales,2020-01-01,,",
        "E7,loop2@example.com,Lo,Op,5,E6,Sales,2020-01-01,,",
        "E10,rep@example.com,Re,Port,3,E6,Sales,2020-01-01,,",
    ]
    report, stored = sync_and_people(site_root, roster)
    assert {p.hr_id for p in report.problems} == {"E6", "E7"}
    assert stored["E10"].manager_hr_id == "E6"  # stored with the problem recorded
    (link,) = report.broken_new
    assert (link.hr_id, link.kind) == ("E10", "manager_missing")
    assert link.detail.startswith("was not stored (line 3: management cycle")
    result = CliRunner().invoke(build_cli(), ["--site", str(site_root), "people", "show", "E10"])
    assert result.exit_code == 0, result.output
    assert "chain: (top)" not in result.output
    assert "chain: broken at E6, who is not in the roster" in result.output


def test_a_duplicate_work_email_is_reported_with_its_line(site_root: Path) -> None:
    report, stored = sync_and_people(site_root, [*GOOD, "E4,DEV@example.com,Du,Pe,2,E2,Sales,2024-01-01,,"])
    assert [(p.where, p.reason) for p in report.problems] == [
        ("line 5", "work email DEV@example.com is also E3's (line 4); skipped")
    ]
    assert "E4" not in stored


def test_a_roster_missing_many_people_marks_nobody_until_accepted(site_root: Path) -> None:
    org = [GOOD[0]] + [f"E{i},p{i}@example.com,P,{i},3,E1,Sales,2020-01-01,," for i in range(10, 30)]
    sync_and_people(site_root, org)
    report, stored = sync_and_people(site_root, org[:10])  # 11 of 21 missing: a truncated export?
    assert report.left == 0
    assert "11 of 21 active people are missing from this full roster; none was marked as left" in str(
        report.problems[0]
    )
    assert all(p.status == "active" for p in stored.values())
    report, stored = sync_and_people(site_root, org[:10], accept_leavers=True)
    assert report.left == 11
    assert sum(p.status == "left" for p in stored.values()) == 11


def test_a_source_that_fails_stops_nothing_else_and_marks_nobody(site_root: Path, monkeypatch) -> None:
    import responses

    write_roster(site_root, GOOD)
    monkeypatch.setenv("BAMBOOHR_API_KEY", "k-test")
    bamboo = site_root / "connectors" / "bamboohr.toml"
    bamboo.write_text(bamboo.read_text().replace("enabled = false", "enabled = true"))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.GET, "https://acme.bamboohr.com/api/v1/meta/fields", status=401)
        mock.add(responses.POST, "https://acme.bamboohr.com/api/v1/reports/custom", status=401)
        site = Site.load(site_root, load_entrypoints=False)
        report = sync_people(site)
        site.close()
    assert report.created == 3  # the csv source went through
    assert report.failed_sources == ["bamboohr"]
    assert report.problems == []  # a failed source is not a skipped record
    reason = report.source_errors["bamboohr"]
    assert reason == "GET /api/v1/meta/fields failed: Unauthorized (HTTP 401)"  # said once, not doubled
    assert "k-test" not in reason
    assert report.lines()[:2] == [
        "people: 3 created, 0 updated, 0 unchanged, 0 marked as left; 0 record(s) skipped",
        f"  source failed, nothing changed for it: bamboohr: {reason}",
    ]


def test_the_cli_exits_zero_when_one_source_failed_and_another_imported(site_root: Path, monkeypatch) -> None:
    import responses

    write_roster(site_root, GOOD)
    monkeypatch.setenv("BAMBOOHR_API_KEY", "k-test")
    bamboo = site_root / "connectors" / "bamboohr.toml"
    bamboo.write_text(bamboo.read_text().replace("enabled = false", "enabled = true"))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(
            responses.GET, "https://acme.bamboohr.com/api/v1/meta/fields", status=401, body="Unauthorized"
        )
        result = CliRunner().invoke(build_cli(), ["--site", str(site_root), "people", "sync"])
        assert result.exit_code == 0, result.output
        assert "0 record(s) skipped" in result.output and "source failed" in result.output
        (site_root / "connectors" / "csv.toml").unlink()  # now the only source fails: nothing imported
        result = CliRunner().invoke(build_cli(), ["--site", str(site_root), "people", "sync"])
        assert result.exit_code == 1, result.output


def test_a_stray_quote_hides_no_one_and_makes_no_leaver(site_root: Path) -> None:
    sync_and_people(site_root, GOOD)
    broken = 'E9,"oops@example.com,Q,Uote,3,E2,Sales,2024-01-01,,'
    report, stored = sync_and_people(site_root, [GOOD[0], broken, GOOD[1], GOOD[2]])
    (problem,) = report.problems
    assert problem.where.startswith("lines 3-") and "an unterminated quote?" in problem.reason
    assert report.left == 0
    assert {p.status for p in stored.values()} == {"active"}


def test_a_semicolon_file_an_empty_file_and_a_bad_byte_each_say_what_is_wrong(site_root: Path) -> None:
    site_file = site_root / "people.csv"
    write_roster(site_root, GOOD)
    site_file.write_text(HEADER.replace(",", ";") + GOOD[0].replace(",", ";") + "\n")
    site = Site.load(site_root, load_entrypoints=False)
    try:
        why = sync_people(site).source_errors["csv"]
        assert "the header read was 'hr_id;email;given_name;" in why
        assert "is the file separated by ';'? set `delimiter` in connectors/csv.toml accordingly" in why
        site_file.write_text("")
        assert sync_people(site).source_errors["csv"].startswith("line 1: the file is empty")
        rows = [f"E{i},p{i}@example.com,P,{i},3,,Sales,2020-01-01,," for i in range(10, 400)]
        rows[300] = rows[300].replace(",P,", ",J\xf6rg,")  # line 302: the header is line 1
        site_file.write_bytes((HEADER + "\n".join(rows) + "\n").encode("latin-1"))
        why = sync_people(site).source_errors["csv"]
        assert why.startswith("line 302: ") and "byte 0xf6" in why
    finally:
        site.close()
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    template = (
        Path(__file__).parents[2] / "rm_plugin" / "site_template" / "connectors" / "csv.toml"
    ).read_text()
    assert "`encoding`" in readme and "encoding = " in template
