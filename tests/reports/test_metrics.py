"""The report's figures on a small hand-made programme, each checked against an answer worked out here."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from report_factory import START, at

from rm_plugin.reports import intervals, metrics

AS_OF = dt.date(2026, 7, 1)


def wilson_here(x: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson's interval written out from its definition, to check the report's against."""
    p = x / n
    denominator = 1 + z**2 / n
    centre = p + z**2 / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return (centre - spread) / denominator, (centre + spread) / denominator


def test_intervals_match_newcombes_published_examples() -> None:
    """Newcombe (1998), Statistics in Medicine 17:873-890: 81/263 has the Wilson interval
    0.2553-0.3662; 56/70 - 48/80 has the hybrid score interval 0.0524-0.3339, and 9/10 - 3/10
    has 0.1705-0.8090."""
    single = intervals.wilson(81, 263)
    assert (round(single.low, 4), round(single.high, 4)) == (0.2553, 0.3662)
    first = intervals.newcombe(intervals.wilson(56, 70), intervals.wilson(48, 80))
    assert (round(first.low, 4), round(first.high, 4)) == (0.0524, 0.3339)
    second = intervals.newcombe(intervals.wilson(9, 10), intervals.wilson(3, 10))
    assert (round(second.low, 4), round(second.high, 4)) == (0.1705, 0.8090)
    everyone = intervals.wilson(12, 12)
    assert everyone.high == 1.0 and 0.7 < everyone.low < 0.8  # never past 100%, never zero width


@pytest.fixture
def programme(org):  # type: ignore[no-untyped-def]
    """Six mentee and eight mentor applicants; four approved pairs (one closed, one too young to
    judge), one rejected, one still proposed."""
    for i, level in enumerate((9, 8, 8, 7, 9, 10), start=1):
        org.person(f"M{i}", level)
    for i in range(1, 9):
        org.person(f"J{i}", 2)
    applied = {
        "M1": dt.date(2026, 1, 2), "J1": dt.date(2025, 12, 20),
        "M2": dt.date(2025, 12, 28), "J2": dt.date(2026, 1, 3),
        "M3": dt.date(2026, 1, 1), "J3": dt.date(2026, 1, 1),
        "M4": dt.date(2026, 6, 1), "J4": dt.date(2026, 6, 2),
        "M5": dt.date(2026, 1, 1), "J5": dt.date(2026, 1, 1),
        "M6": dt.date(2026, 1, 1), "J6": dt.date(2026, 1, 1),
        "J7": dt.date(2026, 1, 1), "J8": dt.date(2026, 1, 1),
    }  # fmt: skip
    for hr_id, day in applied.items():
        org.apply(hr_id, "mentee" if hr_id.startswith("M") else "mentor", day)
    ids = {
        "P1": org.pair("M1", "J1", activated=dt.date(2026, 1, 12)),
        "P2": org.pair("M2", "J2", activated=dt.date(2026, 1, 20)),
        "P3": org.pair("M3", "J3", activated=dt.date(2026, 1, 12)),
        "P4": org.pair("M4", "J4", activated=dt.date(2026, 6, 25)),
        "P5": org.pair("M5", "J5", status="rejected"),
        "P6": org.pair("M6", "J6", status="proposed"),
    }
    org.close(ids["P3"], dt.date(2026, 3, 1))
    org.agreement(
        ids["P1"],
        [(1, "M1", at(dt.date(2026, 1, 14), 10)), (1, "J1", at(dt.date(2026, 1, 15), 9))],
        cadence=7,
    )
    org.agreement(
        ids["P2"],
        [
            (1, "M2", at(dt.date(2026, 1, 22))),
            (2, "M2", at(dt.date(2026, 1, 30))),
            (2, "J2", at(dt.date(2026, 2, 2))),
        ],
    )
    org.agreement(
        ids["P3"], [(1, "M3", at(dt.date(2026, 1, 12), 9)), (1, "J3", at(dt.date(2026, 1, 12), 15))]
    )
    meetings = {
        "P1": [dt.date(2026, 1, 13) + dt.timedelta(days=14 * k) for k in range(13)],  # to 2026-06-30
        "P2": [dt.date(2026, m, 1) for m in range(2, 7)],
        "P3": [dt.date(2026, 1, 20), dt.date(2026, 2, 3), dt.date(2026, 2, 17), dt.date(2026, 3, 10)],
    }
    for key, days in meetings.items():
        org.meetings(ids[key], days)
    return ids, meetings


def test_match_rate_and_the_time_to_match_and_to_sign(org, programme, db) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        report = metrics.build(s, "rm-2026", AS_OF)
    r = report.recruitment
    assert r.applications == {"mentee": 6, "mentor": 8}
    assert r.matched == {"mentee": 4, "mentor": 4}
    assert r.match_rate("mentee") == pytest.approx(4 / 6) and r.match_rate("mentor") == pytest.approx(4 / 8)
    assert r.pairs == {"proposed": 1, "active": 3, "closed": 1, "rejected": 1, "withdrawn": 0}
    # from the later application to activation: P1 Jan 2 -> Jan 12, P2 Jan 3 -> Jan 20, P3 Jan 1 -> Jan 12,
    # P4 Jun 2 -> Jun 25
    assert report.time_to_match.days == tuple(sorted((10, 17, 11, 23)))
    assert report.time_to_match.median == 14
    # both signed one version: P1 on Jan 15 (3 days), P2 v2 on Feb 2 (13 days), P3 the same day (0)
    assert report.time_to_agreement.days == (0, 3, 13)
    assert report.time_to_agreement.median == 3


def test_meetings_against_the_cadence(org, programme, db) -> None:  # type: ignore[no-untyped-def]
    ids, meetings = programme
    with db.transaction() as s:
        cadence = metrics.build(s, "rm-2026", AS_OF).cadence
    # window: the later of the programme start and activation, to today (or the pair's close)
    windows = {
        "P1": (dt.date(2026, 1, 12), AS_OF, 7),  # the agreement says every 7 days
        "P2": (dt.date(2026, 1, 20), AS_OF, 14),
        "P3": (dt.date(2026, 1, 12), dt.date(2026, 3, 1), 14),  # closed on 1 March
    }
    held = {k: sum(1 for d in meetings[k] if windows[k][0] <= d <= windows[k][1]) for k in windows}
    assert held == {"P1": 13, "P2": 5, "P3": 3}  # P3's meeting after its close does not count
    days = {k: (end - start).days for k, (start, end, _) in windows.items()}
    expected = sum(days[k] / windows[k][2] for k in windows)
    pair_months = sum(days.values()) / (365.25 / 12)
    assert cadence.too_early == 1  # P4 started six days ago, under one cadence
    assert {p.pair_id: p.meetings for p in cadence.pairs} == {ids[k]: held[k] for k in held}
    assert cadence.meetings == 21
    assert cadence.ratio == pytest.approx(21 / expected)
    assert cadence.per_pair_month == pytest.approx(21 / pair_months)
    assert cadence.expected_per_pair_month == pytest.approx(expected / pair_months)
    ratios = {k: held[k] / (days[k] / windows[k][2]) for k in held}
    assert ratios["P3"] == pytest.approx(3 / (48 / 14))
    assert cadence.bands() == {
        "under half": sum(r < 0.5 for r in ratios.values()),
        "half to 80%": sum(0.5 <= r < 0.8 for r in ratios.values()),
        "80% to 99%": sum(0.8 <= r < 1.0 for r in ratios.values()),
        "on cadence or more": sum(r >= 1.0 for r in ratios.values()),
    }
    february = next(m for m in cadence.monthly if m.month == "2026-02")
    assert february.held == 2 + 1 + 2  # P1 Feb 10 and 24, P2 Feb 1, P3 Feb 3 and 17
    assert february.expected == pytest.approx(28 / 7 + 28 / 14 + 28 / 14)
    assert sum(m.held for m in cadence.monthly) == 21


def test_completion_executives_and_at_risk(org, programme, db) -> None:  # type: ignore[no-untyped-def]
    ids, _ = programme
    org.reach(ids["P1"], "programme_completed", ["M1", "J1"], dt.date(2026, 6, 30))
    org.reach(ids["P2"], "programme_completed", ["M2"], dt.date(2026, 6, 30))  # one member is not completion
    org.reach(ids["P2"], "first_meeting", ["M2", "J2"], dt.date(2026, 2, 1))
    with db.transaction() as s:
        report = metrics.build(s, "rm-2026", AS_OF)
    c = report.completion
    assert (c.approved_pairs, c.closed_pairs, c.completed_pairs) == (4, 1, 1)
    assert c.rate == pytest.approx(1 / 4)
    assert {m.key: (m.pairs, m.people) for m in c.milestones}["programme_completed"] == (2, 3)
    seniority = report.seniority
    # the organisation's top level is 10 (M6): executives are levels 8 and up
    assert seniority.executive_level == 8
    levels = {row.level: row for row in seniority.levels}
    assert (levels[9].organisation, levels[9].applied, levels[9].matched) == (2, 2, 1)
    assert seniority.executives == 5 and seniority.executive_mentees == 3  # M1 (9), M2 (8), M3 (8)
    # P2 last met on 1 June: 30 days is over 2 of its 14-day cadences; P1 met on 30 June
    assert [risk.pair_id for risk in report.at_risk.not_meeting] == [ids["P2"]]
    assert report.at_risk.not_signed == ()  # P4's agreement has waited six days of the seven allowed
    assert report.at_risk.bands()["2 to 3 cadences"] == 1


def test_retention_at_six_and_twelve_months_with_wilson_and_newcombe(org, db) -> None:  # type: ignore[no-untyped-def]
    left = {"P1a": dt.date(2026, 3, 1), "P2b": dt.date(2026, 10, 1)}
    for i in range(6):
        for side, level in (("a", 9), ("b", 2)):
            hr_id = f"P{i}{side}"
            org.person(
                hr_id, level, termination_date=left.get(hr_id), status="left" if hr_id in left else "active"
            )
        org.pair(f"P{i}a", f"P{i}b", activated=dt.date(2026, 1, 10))
    org.person("R1", 9)
    org.person("R2", 2)
    org.pair("R1", "R2", status="rejected")  # a rejected pair's people are not participants
    others_left = [dt.date(2026, 2, 1), dt.date(2026, 4, 1), dt.date(2026, 7, 4), dt.date(2026, 8, 1),
                   dt.date(2027, 1, 4)]  # fmt: skip
    for i in range(18):
        day = others_left[i] if i < len(others_left) else None
        org.person(f"O{i}", 4, termination_date=day, status="left" if day else "active")
    org.person("NEW", 3, hire_date=dt.date(2026, 2, 1))  # joined after the start: not in either group
    org.person("GONE", 3, termination_date=dt.date(2025, 12, 1), status="left")  # gone before it
    org.person("UNDATED", 3, status="left")  # a leaver with no date cannot be placed
    org.person("ERASED", 3, status="erased", hire_date=None)  # erasure took the dates too
    with db.transaction() as s:
        retention = metrics.build(s, "rm-2026", dt.date(2027, 2, 1)).retention
    assert retention.since == START and retention.undated_leavers == 2
    six, twelve = retention.horizons
    assert (six.measured_on, twelve.measured_on) == (dt.date(2026, 7, 5), dt.date(2027, 1, 5))
    # others: ADMIN, R1, R2 and O0-O17 = 21 people employed on 5 January 2026
    expected = {
        6: ((11, 12), (21 - 3, 21)),  # P1a left in March; O0-O2 before 5 July (O2 on the 4th)
        12: ((10, 12), (21 - 5, 21)),  # P2b in October; O3 and O4 by 4 January 2027
    }
    for horizon in (six, twelve):
        (p_x, p_n), (o_x, o_n) = expected[horizon.months]
        assert (horizon.participants.stayed, horizon.participants.people) == (p_x, p_n)
        assert (horizon.others.stayed, horizon.others.people) == (o_x, o_n)
        p_low, p_high = wilson_here(p_x, p_n)
        o_low, o_high = wilson_here(o_x, o_n)
        assert horizon.participants.share.low == pytest.approx(p_low)
        assert horizon.participants.share.high == pytest.approx(p_high)
        assert horizon.others.share.low == pytest.approx(o_low)
        d = p_x / p_n - o_x / o_n
        assert horizon.difference.value == pytest.approx(d)
        assert horizon.difference.low == pytest.approx(
            d - math.sqrt((p_x / p_n - p_low) ** 2 + (o_high - o_x / o_n) ** 2)
        )
        assert horizon.difference.high == pytest.approx(
            d + math.sqrt((p_high - p_x / p_n) ** 2 + (o_x / o_n - o_low) ** 2)
        )


def test_retention_not_yet_measured_shows_no_figure(org, db) -> None:  # type: ignore[no-untyped-def]
    for i in range(3):
        org.person(f"A{i}", 9)
        org.person(f"B{i}", 2)
        org.pair(f"A{i}", f"B{i}", activated=dt.date(2026, 1, 10))
    with db.transaction() as s:
        retention = metrics.build(s, "rm-2026", dt.date(2026, 7, 4)).retention
    six = retention.horizons[0]
    assert not six.ready and six.participants.share is None and six.difference is None
    assert six.participants.people == 6 and six.participants.stayed is None


def test_as_of_after_today_is_refused(org, work_on) -> None:  # type: ignore[no-untyped-def]
    from rm_plugin.errors import ProgrammeError

    with work_on(dt.date(2026, 5, 1)) as work, pytest.raises(ProgrammeError, match="after today"):
        metrics.programme_report(work, "rm-2026", dt.date(2026, 6, 1))


def test_a_programme_with_nothing_yet_still_has_a_report(org, db) -> None:  # type: ignore[no-untyped-def]
    from rm_plugin.exports.renderer import Renderer
    from rm_plugin.reports import render

    with db.transaction() as s:
        report = metrics.build(s, "rm-2026", AS_OF)
    assert report.recruitment.match_rate("mentee") is None and report.cadence.ratio is None
    assert report.completion.rate is None and report.time_to_match.median is None
    html = render.document(Renderer(), report)
    assert "0 mentee application(s), 0 matched (n/a)" in html and "Nothing to show yet." in html


def test_the_programme_says_which_levels_are_executive(org, programme, db) -> None:  # type: ignore[no-untyped-def]
    from rm_plugin.errors import ProgrammeError
    from rm_plugin.programme.settings import parse_settings
    from rm_plugin.store.models import Programme

    assert parse_settings({"executive_level": "9"}) == {"executive_level": 9}
    with pytest.raises(ProgrammeError, match="executive_level"):
        parse_settings({"executive_level": "high"})
    with db.transaction() as s:
        s.query(Programme).one().settings = {"executive_level": 9}
    with db.transaction() as s:
        seniority = metrics.build(s, "rm-2026", AS_OF).seniority
    assert seniority.executive_level == 9
    assert (seniority.executives, seniority.executive_mentees) == (3, 1)  # M1, M5 (9), M6 (10); M1 matched
