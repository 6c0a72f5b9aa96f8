"""Programme rules and weights are checked where they are typed, every bad key named at once."""

from __future__ import annotations

from sqlalchemy import select

from rm_plugin.store.models import Programme


def test_create_names_every_unknown_rule_and_bad_weight_at_once_and_creates_nothing(world, site, rm) -> None:
    out = rm("programme", "create", "pilot", "--name", "Pilot", "--rule", "not_same_dept=true",
             "--rule", "shared_language=maybe", "--weight", "skills=abc", "--weight", "interests=-1",
             code=1)  # fmt: skip
    assert "rules.not_same_dept: unknown matching rule; known: not_same_department" in out
    assert "rules.shared_language: expected true or false, got 'maybe'" in out
    assert "weights.skills: expected a number >= 0, got 'abc'" in out
    assert "weights.interests: expected a number >= 0, got -1" in out
    with world.db.transaction() as s:
        assert s.scalar(select(Programme).where(Programme.slug == "pilot")) is None


def test_create_warns_of_past_dates_and_weights_no_built_in_term_uses(world, site, rm) -> None:
    out = rm("programme", "create", "old", "--name", "Old", "--starts", "2024-01-08", "--ends", "2024-06-28",
             "--rule", "not_same_department=true", "--weight", "same_location=2")  # fmt: skip
    assert "created programme old" in out
    assert "warning: programme old ended on 2024-06-28, before today" in out
    assert "warning: weights.same_location: not a built-in score term" in out
    with world.db.transaction() as s:
        created = s.scalar(select(Programme).where(Programme.slug == "old"))
        assert created.rules == {"not_same_department": True} and created.weights == {"same_location": 2}


def test_a_name_of_ten_kilobytes_is_refused(world, site, rm) -> None:
    out = rm("programme", "create", "long", "--name", "N" * 10_000, code=1)
    assert "name is 10000 characters long; at most 200 are allowed" in out
    assert "N" * 300 not in out


def test_set_checks_rules_weights_and_settings_together(world, site, rm) -> None:
    out = rm("programme", "set", "rm-2026", "--rule", "not_same_dept=true", "--weight", "skills=abc",
             "--setting", "cadence_days=0", "--setting", "admin_hr_id=NOBODY", code=1)  # fmt: skip
    for problem in (
        "rules.not_same_dept: unknown matching rule",
        "weights.skills: expected a number >= 0, got 'abc'",
        "setting cadence_days must be a whole number from 1 to 365, not '0'",
        "setting admin_hr_id: no person with HR id 'NOBODY'",
    ):
        assert problem in out
    rm("programme", "set", "rm-2026", "--rule", "shared_language=true", "--weight", "skills=4.5")
    rm("programme", "set", "rm-2026", "--rule", "min_overlap_hours=2", "--weight", "skills=")
    with world.db.transaction() as s:
        programme = s.scalar(select(Programme))
        assert programme.rules == {"shared_language": True, "min_overlap_hours": 2}
        assert programme.weights == {}


def test_signing_a_version_that_does_not_exist_says_so(world, site, rm) -> None:
    world.pair("SENIOR", "JUNIOR")
    rm("agreement", "show", "--as", "SENIOR")
    out = rm("agreement", "sign", "--as", "SENIOR", "--version", "5", code=1)
    assert "has no version 5; its current version is 1" in out and "replaced" not in out
