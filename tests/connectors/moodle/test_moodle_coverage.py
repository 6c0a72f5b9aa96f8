"""The config's [milestones] and [awards] against the programmes' milestones: shipped and checked."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from moodle_helpers import TOKEN, Expect, body

from rm_plugin.cli import build_cli
from rm_plugin.connectors.moodle.coverage import Gaps, gaps
from rm_plugin.domain.milestones import DEFAULT_AWARD, default_milestones
from rm_plugin.enrolment.programmes import live_programmes
from rm_plugin.site import Site
from rm_plugin.store import Database
from rm_plugin.store.models import Programme
from rm_plugin.unit_of_work import UnitOfWork

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("path", ["connectors/moodle.toml", "rm_plugin/site_template/connectors/moodle.toml"])
def test_the_example_config_covers_the_default_milestones_and_award(path: str) -> None:
    example = tomllib.loads((REPO / path).read_text(encoding="utf-8"))
    defaults = default_milestones()
    assert {m["key"] for m in defaults} <= set(example["milestones"])
    assert DEFAULT_AWARD in example["awards"]
    assert gaps(defaults, "moodle", example["milestones"], example["awards"]) == Gaps()


def test_gaps_count_only_what_is_sent_to_this_connection() -> None:
    definitions = [
        {
            "key": "signed",
            "rule": "agreement_signed",
            "records": [{"connection": "*", "action": "completion"}],
        },
        {
            "key": "hr_only",
            "rule": "meetings",
            "count": 2,
            "records": [{"connection": "workday", "action": "completion"}],
        },
        {"key": "reported", "rule": "reported", "records": []},
        {
            "key": "done",
            "rule": "completed",
            "records": [
                {"connection": "moodle", "action": "award", "award": "gold star"},
                {"connection": "workday", "action": "award", "award": "hr-badge"},
            ],
        },
    ]
    assert gaps(definitions, "moodle", {}, {}) == Gaps(milestones=("signed",), awards=("gold star",))
    assert gaps(definitions, "moodle", {"signed": 3}, {"gold star": {}}) == Gaps()


def add_programmes(db: Database) -> None:
    with db.transaction() as session:
        session.add_all(
            [
                # the defaults, tuned: four meetings and a site's own award
                Programme(
                    slug="rm-2026",
                    name="RM 2026",
                    status="open",
                    settings={"milestone_meetings": 4, "award": "champion"},
                ),
                Programme(
                    slug="rm-2025", name="RM 2025", status="closed", settings={"milestone_meetings": 2}
                ),
                Programme(
                    slug="rm-pilot",
                    name="Pilot",
                    status="running",
                    milestones=[
                        *default_milestones(meetings=6),
                        {
                            "key": "kickoff call",
                            "rule": "meetings",
                            "count": 1,
                            "records": [{"connection": "*", "action": "completion"}],
                        },
                    ],
                ),
            ]
        )


def test_check_names_each_programme_key_the_moodle_config_lacks(
    site_root: Path, monkeypatch: pytest.MonkeyPatch, expect: Expect
) -> None:
    path = site_root / "connectors" / "moodle.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("enabled = false", "enabled = true"), encoding="utf-8"
    )
    monkeypatch.setenv("MOODLE_TOKEN", TOKEN)
    site = Site.load(site_root)
    try:
        add_programmes(site.database)
    finally:
        site.close()
    info = body("site_info")
    info["functions"] = [f for f in info["functions"] if f["name"] != "enrol_manual_enrol_users"]
    expect("core_webservice_get_site_info", {}, info)
    result = CliRunner().invoke(build_cli(), ["--site", str(site_root), "check"])
    assert result.exit_code == 1
    gap_lines = [line for line in result.output.splitlines() if "programme '" in line]
    assert gap_lines == [
        "problem: moodle: programme 'rm-2026': milestone 'meetings_4' has no activity: add "
        "`meetings_4 = <course-module id or activity name>` under [milestones] in connectors/moodle.toml",
        "problem: moodle: programme 'rm-2026': award 'champion' has no route: add an [awards.champion] "
        "table with `route` and `badge` to connectors/moodle.toml",
        "problem: moodle: programme 'rm-pilot': milestone 'kickoff call' has no activity: add "
        '`"kickoff call" = <course-module id or activity name>` under [milestones] in connectors/moodle.toml',
    ]


def test_health_reports_programme_gaps_even_when_moodle_cannot_be_asked(
    make_connection, expect: Expect, db: Database
) -> None:
    add_programmes(db)
    expect("core_webservice_get_site_info", {}, body("invalidtoken"))
    with db.transaction() as session:
        programmes = live_programmes(UnitOfWork(session))
    report = make_connection(database=db).rm_check_health(connection="moodle", programmes=programmes)
    milestones = [p for p in report.problems if "has no activity" in p]
    awards = [p for p in report.problems if "has no route" in p]
    # the test config maps agreement_signed, first_meeting and final_retrospective only
    assert [p.split(":")[1].strip() for p in milestones] == [
        "milestone 'meetings_4' has no activity",
        "milestone 'midpoint_retrospective' has no activity",
        "milestone 'programme_completed' has no activity",
        "milestone 'meetings_6' has no activity",
        "milestone 'midpoint_retrospective' has no activity",
        "milestone 'programme_completed' has no activity",
        "milestone 'kickoff call' has no activity",
    ]
    assert [p.split(":")[1].strip() for p in awards] == [
        "award 'champion' has no route",
        "award 'reverse-mentoring' has no route",
    ]
    assert "invalidtoken" in report.problems[-1]
