"""What the report may show: small groups show no aggregate, and no export carries a note, a survey
comment or an opt-in demographic value, wherever one is planted."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from click.testing import CliRunner
from report_factory import SLUG

from rm_plugin.cli import build_cli
from rm_plugin.exports.renderer import Renderer
from rm_plugin.reports import export as report_export
from rm_plugin.reports import metrics, render, reversion
from rm_plugin.site import Site
from rm_plugin.unit_of_work import unit_of_work

AS_OF = dt.date(2026, 7, 1)
PLANTED = "PLANTED"


def pairs_with_answers(org, count: int, *, plant: bool = False) -> list[int]:  # type: ignore[no-untyped-def]
    """``count`` active pairs, each with two meetings, both members' pulses, and final retrospectives."""
    made = []
    for i in range(count):
        mentee, mentor = f"S{i}", f"J{i}"
        org.person(mentee, 9, title="Director" if i == 0 else "")
        org.person(mentor, 2)
        extra = (
            {"demographics": {"gender": f"{PLANTED}-DEMOGRAPHIC"}, "goals": f"{PLANTED}-GOAL"}
            if plant
            else {}
        )
        org.apply(mentee, "mentee", dt.date(2026, 1, 1), **extra)
        org.apply(mentor, "mentor", dt.date(2026, 1, 1), **extra)
        pair = org.pair(mentee, mentor, activated=dt.date(2026, 1, 6))
        meetings = org.meetings(pair, [dt.date(2026, 2, 2), dt.date(2026, 2, 16)], note=f"{PLANTED}-NOTE")
        for meeting in meetings:
            for who, rating in ((mentee, 4), (mentor, 5)):
                org.answer(
                    pair, who, "pulse",
                    {"rating": rating, "comment": f"{PLANTED}-COMMENT", "teaching": "mentor"}, meeting,
                )  # fmt: skip
        for who in (mentee, mentor):
            org.answer(
                pair,
                who,
                "final",
                {
                    "went_well": f"{PLANTED}-WENT-WELL",
                    "to_improve": f"{PLANTED}-TO-IMPROVE",
                    "actions": f"{PLANTED}-ACTIONS",
                    "learning_gained": 4,
                    "relationship_quality": 5,
                    "skill_confidence": {"generative AI": {"before": 2, "after": 4}},
                },
            )
        made.append(pair)
    return made


def test_groups_under_five_people_show_no_aggregate(org, db) -> None:  # type: ignore[no-untyped-def]
    pairs_with_answers(org, 2)  # 4 people in 2 pairs
    with db.transaction() as s:
        report = metrics.build(s, SLUG, AS_OF)
    assert all(survey.figures is None for survey in report.surveys)
    assert report.skills.skills == ()
    assert report.retention.horizons[0].participants.people == 4
    assert report.retention.horizons[0].participants.share is None
    html = render.body(Renderer(), report)
    assert "Pulse figures are withheld" in html and "Meetings were rated" not in html
    assert 'id="rm-table-pulse"' not in html and 'id="chart-pulse"' not in html
    assert "too small to show" in html or "not measured yet" in html
    assert "No skill was rated by enough people" in html

    org.person("S9", 9)
    org.person("J9", 2)
    third = org.pair("S9", "J9", activated=dt.date(2026, 1, 6))
    (meeting,) = org.meetings(third, [dt.date(2026, 3, 2)])
    org.answer(third, "S9", "pulse", {"rating": 1, "comment": ""}, meeting)
    with db.transaction() as s:
        pulse = metrics.build(s, SLUG, AS_OF).surveys[0]
    assert pulse.kind == "pulse" and pulse.figures is not None and pulse.figures["people"] == 5


def test_no_export_carries_notes_comments_or_demographic_data(
    org, db, site_root: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    pairs = pairs_with_answers(org, 6, plant=True)
    runner = CliRunner()
    out = tmp_path / "out"

    def rm(*args: str) -> str:
        result = runner.invoke(build_cli(), ["--site", str(site_root), *args])
        assert result.exit_code == 0, result.output
        return result.output

    for fmt in ("html", "csv", "json"):
        rm("report", SLUG, "--format", fmt, "--out", str(out), "--as-of", "2026-07-01")
    rm(
        "stories",
        "draft",
        SLUG,
        "--as",
        "S0",
        "--title",
        "What we learned",
        "--learned",
        "Boards, not decks.",
    )
    rm("stories", "consent", SLUG, "--as", "S0", "--show", "name")
    rm("stories", "consent", SLUG, "--as", "J0", "--show", "anonymous")
    rm("stories", "publish", SLUG, "--as", "ADMIN", "--story", "1")
    rm("stories", "export", SLUG, "--out", str(out))
    written = sorted(p for p in out.rglob("*") if p.is_file())
    names = {p.name for p in written}
    assert {"report-rm-2026.html", "report-rm-2026.json", "pairs.csv", "milestones_reached.csv"} <= names
    assert {"newsletter-rm-2026.html", "newsletter-rm-2026.md", "intranet-rm-2026.html"} <= names
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert PLANTED not in text, f"{path.name} carries planted private text"
        if path.name.startswith(("newsletter", "intranet")):
            assert "J0 Test" not in text, f"{path.name} names the mentor who chose to stay anonymous"
        else:
            assert "S1 Test" not in text, f"{path.name}: the report's exports name nobody"
    document = json.loads((out / "report-rm-2026.json").read_text(encoding="utf-8"))
    assert document["tables"]["fairness_opt_in"]["rows"] == [{"attribute": "gender", "groups_flagged": 0}]
    assert len(document["tables"]["pairs"]["rows"]) == len(pairs)
    assert document["tables"]["recruitment"]["rows"][0] == {
        "role": "mentee", "applications": 6, "matched": 6, "match_rate": 1.0,
    }  # fmt: skip
    newsletter = (out / "newsletter-rm-2026.md").read_text(encoding="utf-8")
    assert "S0 Test, Director (mentee)" in newsletter and "a mentor who chose not to be named" in newsletter


def test_charts_are_inline_svg_without_styles_scripts_or_shared_ids(org, db) -> None:  # type: ignore[no-untyped-def]
    pairs_with_answers(org, 3)
    with db.transaction() as s:
        report = metrics.build(s, SLUG, AS_OF)
    renderer = Renderer()
    body = render.body(renderer, report)
    svgs = re.findall(r"<svg\b.*?</svg>", body, flags=re.S)
    assert len(svgs) >= 8
    for svg in svgs:
        assert 'style="' not in svg and "<style" not in svg and "<script" not in svg
        assert 'role="img"' in svg and "<title " in svg and "<desc " in svg
        title = re.search(r'<title id="chart-([a-z_-]+)-title">([^<]*)</title>', svg)
        assert title and title.group(2).endswith(f": {title.group(1)}"), "a chart's name is its section's"
        assert not re.search(r"(?:href|src)=\"https?:", svg)
    ids = re.findall(r'\bid="([^"]+)"', body)
    assert len(ids) == len(set(ids)), "two elements share an id"
    assert "<style" not in body and "<script" not in body  # the dashboard's CSP allows neither inline
    assert body.count("<figure") <= body.count("<table")
    document = render.document(renderer, report)
    assert document.startswith("<!DOCTYPE html>") and "@media print" in document
    assert not re.search(r"(?:href|src)=\"(?:https?:)?//", document)  # nothing fetched to view it
    assert "@media print" in render.stylesheet(renderer)


def test_role_reversion_is_a_flag_and_a_count(org, db) -> None:  # type: ignore[no-untyped-def]
    org.person("SEN", 9, given_name="Sam", family_name="Senior")
    org.person("JUN", 2, given_name="Jo", family_name="Junior")
    org.person("SEN2", 9)
    org.person("JUN2", 2)
    reverted = org.pair("SEN", "JUN", activated=dt.date(2026, 1, 6))
    fine = org.pair("SEN2", "JUN2", activated=dt.date(2026, 1, 6))
    days = [dt.date(2026, 2, d) for d in (2, 9, 16, 23, 27)]
    # oldest first; only the latest four answered meetings count
    answers = {
        reverted: [("mentee", "mentee"), ("mentor", "even"), ("mentee", "even"), ("even", "mentee"),
                   ("mentee", "mentee")],
        fine: [("mentee", "mentee"), ("mentee", "mentee"), ("mentee", "mentor"), ("mentor", "even"),
               ("even", "mentor")],
    }  # fmt: skip
    members = {reverted: ("SEN", "JUN"), fine: ("SEN2", "JUN2")}
    for pair, pair_answers in answers.items():
        for meeting, given in zip(org.meetings(pair, days), pair_answers, strict=True):
            for who, teaching in zip(members[pair], given, strict=True):
                org.answer(pair, who, "pulse", {"rating": 4, "comment": "", "teaching": teaching}, meeting)
    with db.transaction() as s:
        from rm_plugin.store.models import Programme

        programme = s.query(Programme).one()
        counts = {c.pair_id: (c.considered, c.senior_led, c.flagged) for c in reversion.counts(s, programme)}
    assert counts[reverted] == (4, 3, True)  # Feb 9 (mentor/even) is the only one not senior-led
    assert counts[fine] == (4, 2, False)  # two of four is not more than half
    from rm_plugin.unit_of_work import ProgrammeContext

    with db.transaction() as s:
        watch = reversion.watch(s, ProgrammeContext(renderer=Renderer()), SLUG)
    assert watch.pairs_answering == 2
    (flag,) = watch.flags
    assert (flag.pair_id, flag.senior_led, flag.considered) == (reverted, 3, 4)
    assert "Sam Senior did most of the teaching in 3 of the last 4 meetings" in flag.conversation
    assert "Jo Junior" in flag.conversation
    with db.transaction() as s:
        assert metrics.build(s, SLUG, AS_OF).reversion == metrics.Reversion(2, 1)


def test_report_says_each_step_on_a_terminal_and_only_its_result_when_piped(
    org, db, site_root: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    pairs_with_answers(org, 2)
    args = ["--site", str(site_root), "report", SLUG, "--out", str(tmp_path), "--as-of", "2026-07-01"]
    piped = CliRunner().invoke(build_cli(), args)
    assert piped.exit_code == 0, piped.output
    # `output` is what a terminal would show, both streams (click 8.1 keeps no separate stderr)
    assert piped.output == f"{tmp_path / f'report-{SLUG}.html'}\n"

    site = Site.load(site_root)
    steps: list[str] = []
    try:
        with unit_of_work(site) as work:
            report_export.write_report(work, SLUG, tmp_path, "json", AS_OF, steps.append)
    finally:
        site.close()
    assert steps == [f"computing the figures of {SLUG}", "writing the json report"]
