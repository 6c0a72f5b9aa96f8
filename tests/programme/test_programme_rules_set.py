"""``programme set`` changes the programme's own rules too (admin, cadence, enrolment, levels)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from rm_plugin.cli.programme_settings_cmds import set_command
from rm_plugin.programme.settings import COLUMNS
from rm_plugin.store.models import AuditEntry, Person, Programme

RULES = tuple(COLUMNS)


@pytest.fixture
def rm_set(attach, rm):
    attach(set_command)

    def run(*args: str, code: int = 0) -> str:
        return rm("programme", "set", "rm-2026", *args, code=code)

    return run


def rules(world) -> dict:
    with world.db.transaction() as s:
        programme = s.scalar(select(Programme))
        return {key: getattr(programme, key) for key in RULES}


def test_every_rule_the_readme_names_can_be_changed_and_is_audited(world, rm_set) -> None:
    rm_set(
        "--setting", "admin_hr_id=OTHER", "--setting", "cadence_days=21", "--setting", "enrolment=open",
        "--setting", "reviewers_required=3", "--setting", "mentor_capacity=2", "--setting", "min_level_gap=3",
        "--setting", "mentor_max_level=4", "--setting", "mentee_min_level=7",
        "--setting", "ends_on=2027-06-30", "--setting", "name=Reverse mentoring, second round",
        "--setting", "objectives=digital-skills, dei", "--setting", "starts_on=2026-02-01",
        "--setting", "tenure_tiebreak=yes", "--setting", "allow_mutual=true",
    )  # fmt: skip
    assert rules(world) == {
        "name": "Reverse mentoring, second round",
        "objectives": ["digital-skills", "dei"],
        "starts_on": dt.date(2026, 2, 1),
        "tenure_tiebreak": True,
        "allow_mutual": True,
        "admin_hr_id": "OTHER",
        "cadence_days": 21,
        "enrolment": "open",
        "reviewers_required": 3,
        "mentor_capacity": 2,
        "min_level_gap": 3,
        "mentor_max_level": 4,
        "mentee_min_level": 7,
        "ends_on": dt.date(2027, 6, 30),
    }
    with world.db.transaction() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "programme.settings_changed")).one()
        assert entry.detail["columns"]["admin_hr_id"] == ["ADMIN", "OTHER"]
        assert entry.detail["columns"]["cadence_days"] == [14, 21]
    rm_set("--setting", "mentor_max_level=")
    assert rules(world)["mentor_max_level"] is None


@pytest.mark.parametrize(
    ("args", "messages"),
    [
        (["admin_hr_id=NOBODY"], ["admin_hr_id: no person with HR id 'NOBODY'"]),
        (["admin_hr_id=LEAVER"], ["admin_hr_id: LEAVER is left, not an active person"]),
        (["enrolment=closed"], ["setting enrolment must be open or invite, not 'closed'"]),
        (["cadence_days=0", "reviewers_required=11"],
         ["cadence_days must be a whole number from 1 to 365", "reviewers_required must be a whole number from 1 to 10"]),  # noqa: E501
        (["mentor_capacity=x", "min_level_gap=-1", "mentee_min_level=high"],
         ["mentor_capacity must be", "min_level_gap must be", "mentee_min_level must be a job level"]),
    ],
)  # fmt: skip
def test_bad_rules_are_refused_naming_the_key_and_nothing_changes(world, rm_set, args, messages) -> None:
    world.person("LEAVER", 5)
    with world.db.transaction() as s:
        s.scalar(select(Person).where(Person.hr_id == "LEAVER")).status = "left"
    before = rules(world)
    out = rm_set("--setting", "cadence_days=30", *[a for arg in args for a in ("--setting", arg)], code=1)
    for message in messages:
        assert message in out
    assert rules(world) == before
