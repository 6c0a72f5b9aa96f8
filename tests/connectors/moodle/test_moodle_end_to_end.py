"""A site with Moodle enabled, end to end: outbox rows -> ``run_sync`` -> Moodle calls -> receipts.

Everything goes through public interfaces: the site's config file, the models, the outbox's
``enqueue``, the sync engine and the ``check`` command. Moodle answers with 4.4-shaped bodies and
every request must carry exactly the form fields listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import responses
from click.testing import CliRunner
from conftest import TOKEN, Expect, body
from sqlalchemy import select

from rm_plugin.cli import build_cli
from rm_plugin.outbox import enqueue
from rm_plugin.site import Site
from rm_plugin.store.models import OutboxItem, Pair, Person, Programme, StoredReceipt
from rm_plugin.sync.worker import run_sync

CONFIG = """\
type = "moodle"
enabled = true
url = "https://moodle.example.org"
token = "${MOODLE_TOKEN}"
course = "rm-2026"
cohorts = ["rm-participants"]
concurrency = 1

[milestones]
agreement_signed = 310
first_meeting = "First meeting"
final_retrospective = 312

[awards.reverse_mentor]
route = "cohort"
badge = "Reverse mentor"
cohort = "rm-badge-mentor"
"""
WRITES = {
    "enrol_manual_enrol_users",
    "core_cohort_add_cohort_members",
    "core_group_create_groups",
    "core_group_add_group_members",
    "core_completion_override_activity_completion_status",
}


@pytest.fixture
def moodle_site(site_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (site_root / "connectors" / "moodle.toml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("MOODLE_TOKEN", TOKEN)
    return site_root


@pytest.fixture
def site(moodle_site: Path) -> Iterator[Site]:
    loaded = Site.load(moodle_site)
    yield loaded
    loaded.close()


def make_active_pair(site: Site) -> int:
    """People, a programme and an approved pair, with its enrolment, a milestone and a badge queued."""
    with site.database.transaction() as session:
        senior = Person(hr_id="E100", email="ada.senior@acme.example", given_name="Ada", job_level=9)
        junior = Person(hr_id="E200", email="bo.junior@acme.example", given_name="Bo", job_level=3)
        programme = Programme(slug="rm-2026", name="Reverse mentoring 2026", starts_on=dt.date(2026, 1, 5))
        session.add_all([senior, junior, programme])
        session.flush()
        pair = Pair(
            programme_id=programme.id,
            mentee_id=senior.id,
            mentor_id=junior.id,
            status="active",
            starts_on=dt.date(2026, 1, 5),
            ends_on=dt.date(2026, 7, 3),
        )
        session.add(pair)
        session.flush()
        pair_id = pair.id
        people = {"programme": "rm-2026", "pair_id": pair_id}
        enqueue(
            session,
            key=f"enrol:{pair_id}",
            connection="moodle",
            action="enrol",
            payload=people | {"mentee": "E100", "mentor": "E200", "start": "2026-01-05", "end": "2026-07-03"},
        )
        enqueue(
            session,
            key=f"completion:{pair_id}:first_meeting:E100",
            connection="moodle",
            action="completion",
            payload=people | {"milestone": "first_meeting", "person": "E100", "reached_on": "2026-01-12"},
        )
        enqueue(
            session,
            key=f"award:{pair_id}:reverse_mentor:E100",
            connection="moodle",
            action="award",
            payload=people | {"award": "reverse_mentor", "person": "E100"},
        )
    return pair_id


def functions_called(mock: responses.RequestsMock) -> list[str]:
    """The web-service functions of every request sent so far, in order."""
    names = []
    for call in mock.calls:
        raw = call.request.body or ""
        text = raw.decode() if isinstance(raw, bytes) else raw
        names.append(parse_qs(text)["wsfunction"][0])
    return names


def expect_first_run(expect: Expect, pair_id: int) -> None:
    expect("core_course_get_courses_by_field", {"field": "idnumber", "value": "rm-2026"}, body("courses"))
    expect(
        "core_course_get_contents",
        {"courseid": "12", "options[0][name]": "excludecontents", "options[0][value]": "1"},
        body("contents"),
    )
    users = [u for u in body("users") if u["idnumber"] in ("E100", "E200")]
    expect(
        "core_user_get_users_by_field", {"field": "idnumber", "values[0]": "E100", "values[1]": "E200"}, users
    )
    start = "1767571200"  # 2026-01-05T00:00:00Z
    expect(
        "enrol_manual_enrol_users",
        {
            "enrolments[0][roleid]": "5",
            "enrolments[0][userid]": "41",
            "enrolments[0][courseid]": "12",
            "enrolments[0][timestart]": start,
            "enrolments[1][roleid]": "5",
            "enrolments[1][userid]": "57",
            "enrolments[1][courseid]": "12",
            "enrolments[1][timestart]": start,
        },
        None,
    )
    expect(
        "core_cohort_add_cohort_members",
        {
            "members[0][cohorttype][type]": "idnumber",
            "members[0][cohorttype][value]": "rm-participants",
            "members[0][usertype][type]": "id",
            "members[0][usertype][value]": "41",
            "members[1][cohorttype][type]": "idnumber",
            "members[1][cohorttype][value]": "rm-participants",
            "members[1][usertype][type]": "id",
            "members[1][usertype][value]": "57",
        },
        {"warnings": []},
    )
    expect("core_group_get_course_groups", {"courseid": "12"}, body("course_groups"))
    created = body("group_created")
    created[0] |= {"name": f"Reverse mentoring pair {pair_id}", "idnumber": f"rm-pair-{pair_id}"}
    expect(
        "core_group_create_groups",
        {
            "groups[0][courseid]": "12",
            "groups[0][name]": f"Reverse mentoring pair {pair_id}",
            "groups[0][description]": (
                "The two members of one reverse-mentoring pair, for their own calendar events."
            ),
            "groups[0][descriptionformat]": "2",
            "groups[0][idnumber]": f"rm-pair-{pair_id}",
            "groups[0][visibility]": "1",
        },
        created,
    )
    expect(
        "core_group_add_group_members",
        {
            "members[0][groupid]": "45",
            "members[0][userid]": "41",
            "members[1][groupid]": "45",
            "members[1][userid]": "57",
        },
        None,
    )
    expect(
        "core_completion_override_activity_completion_status",
        {"userid": "41", "cmid": "311", "newstate": "1"},
        body("override"),
    )
    # the award: no badge yet, join the badge's cohort, then Moodle has issued it
    expect("core_badges_get_user_badges", {"userid": "41"}, body("badges_none"))
    expect(
        "core_cohort_add_cohort_members",
        {
            "members[0][cohorttype][type]": "idnumber",
            "members[0][cohorttype][value]": "rm-badge-mentor",
            "members[0][usertype][type]": "id",
            "members[0][usertype][value]": "41",
        },
        {"warnings": []},
    )
    expect("core_badges_get_user_badges", {"userid": "41"}, body("badges_one"))


def test_sync_delivers_enrolment_milestone_and_badge_then_a_rerun_writes_nothing(
    site: Site, expect: Expect, mock: responses.RequestsMock
) -> None:
    pair_id = make_active_pair(site)
    expect_first_run(expect, pair_id)

    summary = run_sync(site)

    assert (summary.delivered, summary.skipped, summary.retry_later, summary.parked) == (3, 0, 0, 0), str(
        summary
    )
    with site.database.transaction() as session:
        statuses = set(session.scalars(select(OutboxItem.status)))
        receipts = {r.key: (r.host_ref, r.data) for r in session.scalars(select(StoredReceipt))}
    assert statuses == {"done"}
    assert receipts[f"enrol:{pair_id}"][0] == "course 12"
    assert receipts[f"enrol:{pair_id}"][1]["group_id"] == 45
    assert receipts[f"completion:{pair_id}:first_meeting:E100"][0] == "cm 311 user 41"
    assertion = "https://moodle.example.org/badges/assertion.php?b=5f1d0c3a9e2b4d6f8a7c1e3b5d7f9a0c2e4b6d8f"
    award_ref, award_data = receipts[f"award:{pair_id}:reverse_mentor:E100"]
    assert award_ref == assertion and award_data["assertion"] == assertion
    assert [name for name in functions_called(mock) if name in WRITES] == [
        "enrol_manual_enrol_users",
        "core_cohort_add_cohort_members",
        "core_group_create_groups",
        "core_group_add_group_members",
        "core_completion_override_activity_completion_status",
        "core_cohort_add_cohort_members",
    ]
    assert not any(TOKEN in str(record) for record in receipts.values())

    calls_before = len(mock.calls)
    again = run_sync(site)

    assert again.handled == 0
    assert len(mock.calls) == calls_before  # no call at all, so no write call


def test_check_names_the_missing_functions_then_passes_when_complete(
    moodle_site: Path, expect: Expect
) -> None:
    lacking = body("site_info")
    gone = {"core_group_create_groups", "core_message_get_messages"}
    lacking["functions"] = [f for f in lacking["functions"] if f["name"] not in gone]
    expect("core_webservice_get_site_info", {}, lacking)

    result = CliRunner().invoke(build_cli(), ["--site", str(moodle_site), "check"])

    assert result.exit_code == 1, result.output
    assert (
        "problem: moodle: the token's external service lacks 2 function(s): "
        "core_group_create_groups, core_message_get_messages (Site administration › Server › "
        "Web services › External services › Functions; `rm-plugin moodle functions` lists them all)"
    ) in result.output
    assert TOKEN not in result.output

    expect("core_webservice_get_site_info", {}, body("site_info"))
    expect("core_course_get_courses_by_field", {"field": "idnumber", "value": "rm-2026"}, body("courses"))
    expect(
        "core_course_get_contents",
        {"courseid": "12", "options[0][name]": "excludecontents", "options[0][value]": "1"},
        body("contents"),
    )
    # the read-only probes: accounts (the guest account), groups, calendar, completion override
    expect("core_user_get_users_by_field", {"field": "id", "values[0]": "1"}, body("guest"))
    expect("core_group_get_course_groups", {"courseid": "12"}, body("course_groups"))
    expect("core_calendar_get_calendar_access_information", {"courseid": "12"}, body("calendar_access"))
    expect("core_calendar_get_calendar_access_information", {"courseid": "0"}, body("calendar_access"))
    expect(
        "core_completion_override_activity_completion_status",
        {"userid": "3", "cmid": "310", "newstate": "0"},
        {"cmid": 310, "userid": 3, "state": 0, "timecompleted": 0, "tracking": 1},
    )
    result = CliRunner().invoke(build_cli(), ["--site", str(moodle_site), "check"])

    assert result.exit_code == 0, result.output
    assert (
        "moodle" in result.output
        and "Acme Learning, Moodle 4.4.3+ (Build: 20240920), as rm-integration" in (result.output)
    )
    assert "problem:" not in result.output
