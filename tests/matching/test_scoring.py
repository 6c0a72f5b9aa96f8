"""The score terms: what each measures, and which appear only when a programme asks for them."""

from __future__ import annotations

import pytest
from matching_factory import small_org

from rm_plugin import hookimpl
from rm_plugin.domain.records import ProgrammeInfo
from rm_plugin.domain.seniority import SeniorityRule
from rm_plugin.matching.applicants import Applicant, MatchSettings, SettingsError
from rm_plugin.matching.engine import HookResultError, run
from rm_plugin.matching.review import approve_proposals
from rm_plugin.matching.service import propose
from rm_plugin.plugins import make_plugin_manager, register
from rm_plugin.store import Database

PROGRAMME = ProgrammeInfo(id=1, slug="p", name="P", starts_on=None, ends_on=None)


def senior(**fields) -> Applicant:
    return Applicant("S", "mentee", 8, **fields)


def junior(hr_id: str = "J", **fields) -> Applicant:
    return Applicant(hr_id, "mentor", 2, **fields)


def only(outcome):
    (proposal,) = outcome.proposals
    return {term: parts["value"] for term, parts in proposal.breakdown.items()}


def test_skill_coverage_is_weighted_by_the_mentees_priority() -> None:
    values = only(
        run([senior(skills_wanted={"ai": 3, "video": 1})], [junior(skills_offered=("ai",))], MatchSettings())
    )
    assert values["skills"] == 0.75


def test_interests_style_mode_and_department_terms() -> None:
    e = senior(
        interests=("chess", "film"),
        learning_style="visual",
        meeting_mode="in_person",
        location="Oslo",
        department="Sales",
    )
    m = junior(
        interests=("film",),
        learning_style="visual",
        meeting_mode="in_person",
        location="Rome",
        department="Tech",
    )
    values = only(run([e], [m], MatchSettings()))
    assert values["interests"] == 0.5
    assert values["learning_style"] == 1.0
    assert values["meeting_mode"] == 0.0  # both want to meet in person, in different places
    assert values["cross_department"] == 1.0


def test_the_reciprocal_term_needs_a_mutual_programme() -> None:
    e, m = senior(topics_offered=("strategy", "history")), junior(topics_wanted=("strategy",))
    assert "reciprocal" not in only(run([e], [m], MatchSettings()))
    assert only(run([e], [m], MatchSettings(allow_mutual=True)))["reciprocal"] == 1.0


def test_demographic_terms_need_an_objective_and_never_reach_plugins() -> None:
    seen = []

    class Spy:
        @hookimpl
        def rm_match_score_terms(self, programme, pairs):
            seen.extend(pairs)
            return {"spy": [0.0] * len(pairs)}

    pm = make_plugin_manager(None, load_entrypoints=False)
    register(pm, Spy(), "test:spy", "test")
    e, m = senior(demographics={"gender": "f"}), junior(demographics={"gender": "m"})
    plain = MatchSettings.from_programme(
        rules={},
        weights={},
        seniority=SeniorityRule(),
        allow_mutual=False,
        objectives=["digital"],
        week_of=None,
    )
    dei = MatchSettings.from_programme(
        rules={}, weights={}, seniority=SeniorityRule(), allow_mutual=False, objectives=["DEI"], week_of=None
    )
    assert "diverse_pair" not in only(run([e], [m], plain, pm=pm, programme=PROGRAMME))
    assert only(run([e], [m], dei, pm=pm, programme=PROGRAMME))["diverse_pair"] == 1.0
    assert seen and all(not hasattr(view, "demographics") for pair in seen for view in pair)


def test_weights_change_the_choice() -> None:
    e = senior(skills_wanted={"ai": 1}, interests=("chess",))
    skilled, friendly = junior("J1", skills_offered=("ai",)), junior("J2", interests=("chess",))
    assert run([e], [skilled, friendly], MatchSettings()).proposals[0].mentor.hr_id == "J1"
    heavy = MatchSettings(weights={"skills": 1.0, "interests": 5.0})
    assert run([e], [skilled, friendly], heavy).proposals[0].mentor.hr_id == "J2"


@pytest.mark.parametrize(
    ("rules", "weights", "message"),
    [
        ({"min_overlap_hours": -1}, {}, "rules.min_overlap_hours: expected a number of hours >= 0"),
        ({"shared_language": "yes"}, {}, "rules.shared_language: expected true or false"),
        ({}, {"skills": "lots"}, "weights.skills: expected a number >= 0"),
    ],
)
def test_bad_settings_are_named(rules, weights, message) -> None:
    with pytest.raises(SettingsError, match=message):
        MatchSettings.from_programme(
            rules=rules,
            weights=weights,
            seniority=SeniorityRule(),
            allow_mutual=False,
            objectives=[],
            week_of=None,
        )


def test_a_plugin_term_with_bad_values_is_refused() -> None:
    class Bad:
        @hookimpl
        def rm_match_score_terms(self, programme, pairs):
            return {"skills": [1.0] * len(pairs)}

    pm = make_plugin_manager(None, load_entrypoints=False)
    register(pm, Bad(), "test:bad", "test")
    with pytest.raises(HookResultError, match="score term 'skills' is already used by a built-in term"):
        run([senior()], [junior()], MatchSettings(), pm=pm, programme=PROGRAMME)


def test_the_demo_panel_approves_every_pair_with_reviewers_allowed_to(db: Database) -> None:
    with db.transaction() as s:
        small_org(s)
    propose(db, None, "rm-2026")
    result = approve_proposals(db, "rm-2026", ["CEO", "REV-1", "REV-2"], progress_connections=["files"])
    assert [o.status for o in result.approved] == ["active", "active"]
    assert all(o.approved_by == ("REV-1", "REV-2") for o in result.approved)
    assert result.skipped == ()
