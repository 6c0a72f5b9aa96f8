"""Retrospective answers from a file or options: every shape problem named, nothing saved."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from rm_plugin.store.models import SurveyResponse


def signed_pair(world, rm) -> None:
    world.pair("SENIOR", "JUNIOR")
    rm("agreement", "show", "--as", "SENIOR")  # drafts it
    rm("agreement", "sign", "--as", "SENIOR")
    rm("agreement", "sign", "--as", "JUNIOR")


def responses(world) -> int:
    with world.db.transaction() as s:
        return s.scalar(select(func.count()).select_from(SurveyResponse))


GOOD = {
    "went_well": "Honest talks",
    "to_improve": "Meet more often",
    "actions": "Book the room",
    "learning_gained": 4,
    "relationship_quality": 5,
    "skill_confidence": {"generative AI": {"before": 2, "after": 4}, "TikTok": {"before": 1, "after": 3}},
}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ({**GOOD, "skill_confidence": {"generative AI": "2:5", "TikTok": {"before": 1, "after": 3}}},
         ["skill_confidence.generative AI must be {before: 1-5, after: 1-5}"]),
        ({**GOOD, "skill_confidence": {"generative AI": [2, 5], "TikTok": {"before": 1, "after": 3}}},
         ["skill_confidence.generative AI must be {before: 1-5, after: 1-5}"]),
        ({**GOOD, "skill_confidence": ["generative AI"]}, ["skill_confidence must map each goal skill"]),
        ({**GOOD, "learning_gained": "4", "went_well": 3},
         ["learning_gained must be a whole number", "went_well must be text"]),
        ([GOOD], ["must be one JSON object", "not a list"]),
    ],
)  # fmt: skip
def test_a_badly_shaped_answers_file_is_refused_naming_each_key(world, site, rm, tmp_path, content, expected):
    signed_pair(world, rm)
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(content), encoding="utf-8")
    out = rm("survey", "submit", "--as", "SENIOR", "final", "--from-file", str(answers), code=1)
    assert "Traceback" not in out and all(e in out for e in expected), out
    assert responses(world) == 0


def test_a_good_answers_file_is_saved(world, site, rm, tmp_path) -> None:
    signed_pair(world, rm)
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(GOOD), encoding="utf-8")
    assert "final retrospective" in rm(
        "survey", "submit", "--as", "SENIOR", "final", "--from-file", str(answers)
    )
    assert responses(world) == 1


def test_errors_name_the_option_a_bad_value_came_from(world, site, rm) -> None:
    signed_pair(world, rm)
    out = rm(
        "survey", "submit", "--as", "SENIOR", "midpoint", "--learning", "7", "--relationship", "5",
        "--skill", "generative AI=0:4", "--skill", "TikTok=1:3", code=1,
    )  # fmt: skip
    assert "--learning must be a whole number from 1 to 5" in out
    assert "--skill 'generative AI' before must be" in out
    out = rm(
        "survey", "submit", "--as", "SENIOR", "midpoint", "--learning", "4", "--relationship", "5",
        "--skill", "COBOL=1:2", code=1,
    )  # fmt: skip
    assert "--skill must cover exactly the agreement's goal skills" in out and "not a goal ['COBOL']" in out
    assert responses(world) == 0
