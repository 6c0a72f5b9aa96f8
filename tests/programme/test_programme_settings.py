"""``rm-plugin programme set``: settings and milestones changed by an admin, every value checked."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from rm_plugin.cli.programme_settings_cmds import set_command
from rm_plugin.domain.milestones import default_milestones
from rm_plugin.programme import meetings
from rm_plugin.store.models import MilestoneReached, Programme

TOML = """\
[[milestones]]
key = "orientation_completed"
rule = "reported"

[[milestones]]
key = "first_meeting"
rule = "meetings"
count = 1
requires = ["orientation_completed"]
records = [{ connection = "*", action = "completion" }]

[[milestones]]
key = "programme_completed"
rule = "completed"
requires = ["first_meeting"]
records = [
  { connection = "*", action = "completion" },
  { connection = "*", action = "award", award = "rm-graduate" },
]
"""


@pytest.fixture
def rm_set(attach, rm):
    attach(set_command)

    def run(*args: str, code: int = 0) -> str:
        return rm("programme", "set", "rm-2026", *args, code=code)

    return run


def stored(world) -> tuple[dict, list[dict]]:
    with world.db.transaction() as s:
        programme = s.scalar(select(Programme))
        return dict(programme.settings), list(programme.milestones)


def test_settings_are_checked_and_stored_typed(world, rm_set) -> None:
    out = rm_set("--setting", "reminder_days=0", "--setting", "meeting_minutes=60", "--setting", "award=gold")
    assert '"reminder_days": 0' in out
    settings, _ = stored(world)
    assert (
        settings["reminder_days"] == 0 and settings["meeting_minutes"] == 60 and settings["award"] == "gold"
    )


@pytest.mark.parametrize(
    ("args", "messages"),
    [
        (["--setting", "colour=blue"], ["unknown setting 'colour'"]),
        (
            ["--setting", "meeting_minutes=0", "--setting", "reminder_days=soon"],
            ["meeting_minutes must be a whole number from 1 to 480, not '0'", "reminder_days must be"],
        ),
        (["--setting", "award="], ["award must be a non-empty name"]),
        (["--setting", "milestone_meetings=true"], ["milestone_meetings must be a whole number"]),
    ],
)
def test_bad_settings_are_refused_naming_each_and_nothing_changes(world, rm_set, args, messages) -> None:
    before = stored(world)
    out = rm_set("--setting", "reminder_days=3", *args, code=1)
    for message in messages:
        assert message in out
    assert stored(world) == before


def test_a_setting_that_shapes_default_milestones_rebuilds_them_and_rechecks_pairs(
    world, ctx, rm_set
) -> None:
    with world.db.transaction() as s:
        programme = s.scalar(select(Programme))
        programme.settings = {**programme.settings, "milestone_meetings": 3}
    pair_id = world.pair("SENIOR", "JUNIOR")
    world.sign(ctx, pair_id)
    for day in (3, 10):
        with world.db.transaction() as s:
            held = dt.date(2026, 3, day)
            m = meetings.log_meeting(
                s, ctx, pair_id, "SENIOR", held_on=held, minutes=30, mode="video", today=held
            )
            meetings.confirm_meeting(s, ctx, m.id, "JUNIOR", held)
    out = rm_set("--setting", "milestone_meetings=2", "--setting", "orientation_course=LMS-101")
    assert "(rebuilt from the settings)" in out and "meetings_2" in out and "orientation_completed" in out
    assert "1 milestone(s) newly reached" in out
    _, milestones = stored(world)
    assert milestones == default_milestones(meetings=2, orientation=True)
    with world.db.transaction() as s:
        reached = set(s.scalars(select(MilestoneReached.milestone)))
    assert reached == {"agreement_signed", "first_meeting", "meetings_2"}
    rm_set("--setting", "orientation_course=")
    settings, milestones = stored(world)
    assert "orientation_course" not in settings
    assert milestones == default_milestones(meetings=2, orientation=False)


def test_customised_milestones_are_kept_with_a_note(world, rm_set, tmp_path) -> None:
    path = tmp_path / "milestones.toml"
    path.write_text(TOML)
    rm_set("--milestones", str(path))
    out = rm_set("--setting", "milestone_meetings=4")
    assert "note: the milestones were customised" in out
    _, milestones = stored(world)
    assert [m["key"] for m in milestones] == ["orientation_completed", "first_meeting", "programme_completed"]


@pytest.mark.parametrize("suffix", [".toml", ".json", ".json-object"])
def test_a_milestone_file_replaces_the_list(world, rm_set, tmp_path, suffix) -> None:
    import tomllib

    wanted = tomllib.loads(TOML)["milestones"]
    if suffix == ".toml":
        path = tmp_path / "m.toml"
        path.write_text(TOML)
    else:
        path = tmp_path / "m.json"
        path.write_text(json.dumps(wanted if suffix == ".json" else {"milestones": wanted}))
    out = rm_set("--milestones", str(path))
    assert "milestones: orientation_completed, first_meeting, programme_completed" in out
    assert stored(world)[1] == wanted


def test_a_bad_milestone_file_is_refused_naming_the_problem(world, rm_set, tmp_path) -> None:
    before = stored(world)
    bad = tmp_path / "bad.toml"
    bad.write_text(TOML.replace('requires = ["first_meeting"]', 'requires = ["final_party"]').replace(
        'count = 1', 'count = 0'
    ))  # fmt: skip
    out = rm_set("--milestones", str(bad), code=1)
    assert "milestones[1] (first_meeting): rule 'meetings' needs a 'count' of at least 1" in out
    assert "milestones[2] (programme_completed): requires 'final_party'" in out
    typo = tmp_path / "typo.json"
    typo.write_text(json.dumps([{"key": "a", "rule": "agreement_signed", "require": ["x"]}]))
    assert "unknown field(s) ['require']" in rm_set("--milestones", str(typo), code=1)
    broken = tmp_path / "broken.toml"
    broken.write_text("[[milestones]\nkey = 1")
    assert "broken.toml: not valid TOML" in rm_set("--milestones", str(broken), code=1)
    assert "must be a table/object" in rm_set("--milestones", str(_write(tmp_path, "[1, 2]")), code=1)
    assert "nothing to change" in rm_set(code=2)
    assert stored(world) == before


def test_records_to_a_connection_that_is_not_enabled_are_warned_about(world, rm_set, tmp_path) -> None:
    records = [{"connection": "moodle", "action": "completion"}]
    path = _write(tmp_path, json.dumps([{"key": "a", "rule": "agreement_signed", "records": records}]))
    out = rm_set("--milestones", str(path))
    assert "connection 'moodle', which is not an enabled progress connection" in out
    assert "wait until it is" not in out
    assert "parks its rows with the reason" in out and "sync retry --connection moodle" in out


def _write(tmp_path, text: str):
    path = tmp_path / "list.json"
    path.write_text(text)
    return path


def test_the_readme_milestone_example_is_valid() -> None:
    import re
    import tomllib
    from pathlib import Path

    from rm_plugin.domain.milestones import check_milestones

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## A programme's life") :]
    example = re.search(r"```toml\n(.*?)```", section, re.S)
    assert example is not None
    assert check_milestones(tomllib.loads(example.group(1))["milestones"]) == []


def test_a_review_panel_names_active_people_and_an_empty_one_removes_it(world, rm_set) -> None:
    with world.db.transaction() as s:
        from rm_plugin.store.models import Person

        s.scalar(select(Person).where(Person.hr_id == "JUNIOR2")).status = "left"
    out = rm_set("--setting", "reviewers=ADMIN, NOBODY JUNIOR2", code=1)
    assert "no person with HR id 'NOBODY'" in out and "JUNIOR2 is left, not an active person" in out
    assert "reviewers" not in stored(world)[0]
    rm_set("--setting", "reviewers=ADMIN,SENIOR ADMIN")
    assert stored(world)[0]["reviewers"] == ["ADMIN", "SENIOR"]
    rm_set("--setting", "reviewers=")
    assert "reviewers" not in stored(world)[0]
