from __future__ import annotations

import datetime as dt

from rm_plugin.domain.seniority import SeniorityRule


def test_the_mentor_must_be_junior_by_the_gap() -> None:
    rule = SeniorityRule(min_level_gap=2)
    assert rule.reversal_holds(mentee_level=8, mentor_level=6)
    assert not rule.reversal_holds(mentee_level=7, mentor_level=6)
    assert not rule.reversal_holds(mentee_level=4, mentor_level=8)
    assert not rule.reversal_holds(mentee_level=None, mentor_level=3)


def test_tenure_breaks_ties_only_when_the_rule_allows_it() -> None:
    early, late = dt.date(2010, 1, 1), dt.date(2022, 1, 1)
    assert not SeniorityRule(min_level_gap=0).reversal_holds(5, 5, early, late)
    tie = SeniorityRule(min_level_gap=0, tenure_tiebreak=True)
    assert tie.reversal_holds(5, 5, mentee_hired=early, mentor_hired=late)
    assert not tie.reversal_holds(5, 5, mentee_hired=late, mentor_hired=early)


def test_eligibility_reasons() -> None:
    rule = SeniorityRule(min_level_gap=2, mentor_max_level=4, mentee_min_level=7)
    assert rule.why_not_mentor(3, top_level=10) is None
    assert "above the programme's mentor maximum" in (rule.why_not_mentor(5, top_level=10) or "")
    assert "nobody is 2 or more levels above" in (SeniorityRule().why_not_mentor(9, top_level=10) or "")
    assert rule.why_not_mentee(8, bottom_level=1) is None
    assert "below the programme's mentee minimum" in (rule.why_not_mentee(6, bottom_level=1) or "")
