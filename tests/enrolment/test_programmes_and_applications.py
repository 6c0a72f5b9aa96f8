"""Creating programmes and importing applications; bad rows are reported by line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from rm_plugin.cli import build_cli
from rm_plugin.enrolment.applications import import_applications
from rm_plugin.enrolment.programmes import ProgrammeError, create_programme, get_programme
from rm_plugin.store import Database
from rm_plugin.store.models import Application, AuditEntry, Person

DEFAULTS = {"min_level_gap": 2, "reviewers_required": 2, "cadence_days": 14, "mentor_capacity": 1}


def seed_people(session) -> None:
    session.add_all(
        [
            Person(hr_id="S1", email="s1@x.com", job_level=8),
            Person(hr_id="J1", email="j1@x.com", job_level=2),
            Person(hr_id="J2", email="j2@x.com", job_level=3),
            Person(hr_id="L1", email="l1@x.com", job_level=2, status="left"),
        ]
    )


def test_programme_defaults_and_overrides(db: Database) -> None:
    with db.transaction() as s:
        p = create_programme(s, slug="rm-1", name="One", defaults=DEFAULTS, reviewers_required=3)
        assert (p.min_level_gap, p.reviewers_required, p.cadence_days) == (2, 3, 14)
        assert s.scalars(select(AuditEntry.action)).all() == ["programme.create"]


def test_programme_errors_are_all_named(db: Database) -> None:
    with db.transaction() as s:
        create_programme(s, slug="taken", name="T", defaults=DEFAULTS)
    with db.transaction() as s, pytest.raises(ProgrammeError) as caught:
        create_programme(
            s,
            slug="taken",
            name=" ",
            defaults=DEFAULTS,
            enrolment="closed",
            starts_on=dt.date(2026, 5, 1),
            ends_on=dt.date(2026, 4, 1),
        )
    message = str(caught.value)
    for part in ("already exists", "name must not be empty", "enrolment must be", "must be after start"):
        assert part in message
    with db.transaction() as s, pytest.raises(ProgrammeError, match="no programme 'nope' \\(known: taken\\)"):
        get_programme(s, "nope")


@pytest.mark.parametrize("slug", ["pilot\n", "Pilot", "p", "-pilot", "pilot 2"])
def test_a_slug_is_refused_unless_it_is_all_lowercase_letters_digits_and_dashes(
    db: Database, slug: str
) -> None:
    """A slug goes into URLs, file names and download headers: a trailing newline is no slug."""
    with db.transaction() as s, pytest.raises(ProgrammeError, match="must be 2-63 lowercase"):
        create_programme(s, slug=slug, name="Pilot", defaults=DEFAULTS)


def test_applications_import_reports_bad_rows_and_updates_on_rerun(db: Database, tmp_path: Path) -> None:
    csv = tmp_path / "apps.csv"
    csv.write_text(
        "hr_id,role,skills_offered,skills_wanted,availability,meeting_mode,capacity,consent,demographics\n"
        "S1,mentee,,generative ai:3;social media:1,mon 09:00-10:00,remote,,yes,generation=gen x\n"  # 2 ok
        "J1,mentor,generative ai;social media,,tue 14:00-15:30,either,2,yes,\n"  # 3 ok
        "J2,boss,generative ai,,,,,yes,\n"  # 4 bad role
        "ZZ,mentor,generative ai,,,,,yes,\n"  # 5 unknown person
        "L1,mentor,generative ai,,,,,yes,\n"  # 6 left
        "J2,mentor,generative ai,,mon 9-10,,,yes,\n"  # 7 bad availability
        "J2,mentor,generative ai,,,,,no,\n"  # 8 no consent
        "S1,mentee,,ai:7,,,,yes,\n"  # 9 bad priority (and would be a duplicate)
        "J1,mentor,generative ai,,,,,yes,\n"  # 10 duplicate
        "J2,mentor,,,,,,yes,\n"  # 11 mentor offering nothing
    )
    with db.transaction() as s:
        seed_people(s)
        p = create_programme(s, slug="rm-1", name="One", defaults=DEFAULTS)
        report = import_applications(s, p, csv)
    assert report.created == 2
    reasons = {prob.where: prob.reason for prob in report.problems}
    assert reasons == {
        "line 4": "role 'boss' must be mentor (the junior) or mentee (the senior)",
        "line 5": "no person with HR id ZZ (sync people first)",
        "line 6": "L1 has left the organisation",
        "line 7": "availability 'mon 9-10' must look like 'mon 09:00-11:00'",
        "line 8": "no consent to process the application; not imported",
        "line 9": "skill priority in 'ai:7' must be 1, 2 or 3",
        "line 10": "duplicate application as mentor (first at line 3)",
        "line 11": "a mentor must offer at least one skill",
    }
    with db.transaction() as s:
        apps = {a.role: a for a in s.scalars(select(Application))}
        assert apps["mentee"].skills_wanted == {"generative ai": 3, "social media": 1}
        assert apps["mentee"].demographics == {"generation": "gen x"}
        assert apps["mentor"].availability == [{"day": "tue", "start": "14:00", "end": "15:30"}]
        assert apps["mentor"].capacity == 2
    csv.write_text("hr_id,role,skills_offered\nJ1,mentor,accessibility\n")
    with db.transaction() as s:
        again = import_applications(s, get_programme(s, "rm-1"), csv)
    assert (again.created, again.updated) == (0, 1)


def test_cli_programme_and_sample_applications(site_root: Path) -> None:
    cli = build_cli()
    runner = CliRunner()
    site = ["--site", str(site_root)]
    assert runner.invoke(cli, [*site, "people", "sync"]).exit_code == 0
    result = runner.invoke(
        cli,
        [
            *site,
            "programme",
            "create",
            "rm-x",
            "--name",
            "X",
            "--rule",
            "not_same_department=true",
            "--reviewers",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, [*site, "applications", "import", "rm-x", "--sample"])
    assert result.exit_code == 0 and "96 created" in result.output
    result = runner.invoke(cli, [*site, "programme", "show", "rm-x"])
    assert "reviewers per pair: 3" in result.output
    assert "eligible under the seniority rule: 36 mentee(s), 60 mentor(s)" in result.output
    assert "rules: {'not_same_department': True}" in result.output
    result = runner.invoke(cli, [*site, "programme", "create", "rm-x", "--name", "again"])
    assert result.exit_code != 0 and "already exists" in result.output


def test_an_invite_only_programme_takes_applications_from_invited_people_only(
    db: Database, tmp_path: Path
) -> None:
    from rm_plugin.store.models import Invitation

    csv = tmp_path / "apps.csv"
    csv.write_text("hr_id,role,skills_offered\nJ1,mentor,generative ai\nJ2,mentor,accessibility\n")
    with db.transaction() as s:
        seed_people(s)
        p = create_programme(s, slug="rm-inv", name="Invite only", defaults=DEFAULTS, enrolment="invite")
        j1 = s.scalars(select(Person).where(Person.hr_id == "J1")).one()
        s.add(Invitation(programme_id=p.id, person_id=j1.id))
        s.flush()
        report = import_applications(s, p, csv)
    assert report.created == 1
    assert [(prob.where, prob.reason) for prob in report.problems] == [
        (
            "line 3",
            "J2 was not invited to this invite-only programme "
            "(invite them first with `rm-plugin programme invite`)",
        )
    ]


def test_an_unterminated_quote_or_wrong_encoding_is_named_not_swallowed(db: Database, tmp_path: Path) -> None:
    csv = tmp_path / "apps.csv"
    csv.write_text(
        "hr_id,role,skills_offered\n"
        'J1,mentor,"generative ai\n'  # the quote never closes: the next lines are swallowed
        "J2,mentor,accessibility\n"
    )
    with db.transaction() as s:
        seed_people(s)
        p = create_programme(s, slug="rm-q", name="Q", defaults=DEFAULTS)
        report = import_applications(s, p, csv)
        assert report.created == 0
        (problem,) = report.problems
        assert problem.where == "lines 2-3"
        assert "a quoted field runs over lines 2-3 (an unterminated quote?)" in problem.reason
        csv.write_bytes("hr_id,role,skills_offered\nJ1,mentor,caf\u00e9\n".encode("utf-16"))
        report = import_applications(s, p, csv)
        assert report.problems[0].where == "file" and "save the file as UTF-8" in report.problems[0].reason
        csv.write_text("hr_id,role,skills_offered\nJ1,mentor,ai,extra\n")
        report = import_applications(s, p, csv)
        assert report.problems[0].reason == "has 4 fields, the header has 3"


def test_what_matching_would_not_use_is_named_by_line_not_dropped_silently(
    db: Database, tmp_path: Path
) -> None:
    csv = tmp_path / "apps.csv"
    csv.write_text(
        "hr_id,role,skills_offered,skills_wanted,interests,availability,capacity\n"
        'S1,mentee,video,"ai:3, sql",chess|film,mon 09:00-10:00,2\n'  # line 2: four things to say
        "J1,mentor,ai;sql,design:2,,,\n"  # line 3: a mentor's skills_wanted
    )
    with db.transaction() as s:
        seed_people(s)
        p = create_programme(s, slug="rm-1", name="One", defaults=DEFAULTS)
        report = import_applications(s, p, csv)
    assert (report.created, report.problems) == (2, [])
    warnings = [(w.where, w.reason) for w in report.warnings]
    assert warnings == [
        ("line 2", "skills_wanted: ',' read as separating 2 items; separate them with ';'"),
        ("line 2", "interests: '|' read as separating 2 items; separate them with ';'"),
        ("line 2", "skills_wanted: 'sql' has no priority; read as 2 (write skill:1, :2 or :3)"),
        (
            "line 2",
            "skills_offered is read for mentors only and was ignored on this mentee row "
            "(what a senior can teach back goes in topics_offered)",
        ),
        (
            "line 2",
            "capacity is read for mentors only (mentees per mentor) and was ignored on this mentee row",
        ),
        (
            "line 3",
            "skills_wanted is read for mentees only and was ignored on this mentor row "
            "(what a junior wants to learn goes in topics_wanted)",
        ),
    ]
    assert "  warning: " in "\n".join(report.lines()) and "6 warning(s)" in report.lines()[0]
    with db.transaction() as s:
        apps = {a.role: a for a in s.scalars(select(Application))}
        mentee, mentor = apps["mentee"], apps["mentor"]
        assert mentee.skills_wanted == {"ai": 3, "sql": 2} and mentee.interests == ["chess", "film"]
        assert (mentee.skills_offered, mentee.capacity) == ([], None)
        assert (mentor.skills_offered, mentor.skills_wanted) == (["ai", "sql"], {})
