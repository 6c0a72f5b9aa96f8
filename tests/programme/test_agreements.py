"""Agreements: drafted from the match, edited by both, active only when both signed the same version."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from rm_plugin.errors import NotFound, ProgrammeError
from rm_plugin.programme import agreements
from rm_plugin.store.models import AgreementVersion, MilestoneReached

TODAY = dt.date(2026, 3, 2)


def test_draft_is_seeded_from_the_matched_skills_and_the_programme(world, ctx) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR", wanted={"TikTok": 1, "generative AI": 3, "COBOL": 2})
    with world.db.transaction() as s:
        agreements.draft_agreement(s, ctx, pair_id, TODAY)
    with world.db.transaction() as s:
        view = agreements.agreement_view(s, pair_id)
    body = view["body"]
    # wanted ∩ offered, highest priority first; COBOL is not offered
    assert [g["skill"] for g in body["goals"]] == ["generative AI", "TikTok"]
    assert body["schedule"] == {
        "cadence_days": 14,
        "weekday": "wed",
        "time": "14:30",
        "minutes": 45,
        "time_zone": "Europe/London",
    }
    assert body["starts_on"] == "2026-03-02" and body["ends_on"] == "2026-08-29"
    assert (
        "confidential" in body["norms"]["confidentiality"].lower()
        or "between us" in body["norms"]["confidentiality"]
    )
    assert view["owner"] == view["mentee"]["name"] and view["mentee"]["hr_id"] == "SENIOR"
    assert view["status"] == "draft"


def test_matched_skills_in_the_pair_breakdown_win(world, ctx) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        from rm_plugin.store.models import Pair

        s.get(Pair, pair_id).breakdown = {"skills": ["inclusion"], "skill_overlap": 0.7}
    with world.db.transaction() as s:
        agreements.draft_agreement(s, ctx, pair_id, TODAY)
        assert [g["skill"] for g in agreements.agreement_view(s, pair_id)["body"]["goals"]] == ["inclusion"]


def test_both_sign_then_it_is_active_calendar_queued_milestone_reached_hook_after_commit(
    world, ctx, recorder
) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        agreements.draft_agreement(s, ctx, pair_id, TODAY)
        assert agreements.sign_agreement(s, ctx, pair_id, "SENIOR", TODAY) is False
    with world.db.transaction() as s:
        assert agreements.sign_agreement(s, ctx, pair_id, "JUNIOR", TODAY) is True
        assert recorder.names() == []  # not before the commit
    assert "agreement_signed" in recorder.names()
    signed = dict(recorder.calls[recorder.names().index("agreement_signed")][1])
    assert signed["version"] == 1 and signed["signed_on"] == TODAY
    with world.db.transaction() as s:
        agreement = agreements.get_agreement(s, pair_id)
        assert agreements.is_active(agreement) and agreement.status == "active"
        reached = s.scalars(select(MilestoneReached.milestone)).all()
    assert sorted(reached) == ["agreement_signed", "agreement_signed"]
    calendar = world.outbox("calendar")
    assert len(calendar) == 1 and "BEGIN:VCALENDAR" in calendar[0].payload["ics"]
    assert calendar[0].payload["mentee"] == "SENIOR" and calendar[0].payload["occurrences"]
    completions = world.outbox("completion")
    assert sorted(i.key for i in completions) == sorted(
        f"completion:rm-2026:agreement_signed:{pair_id}:{who}:{conn}"
        for who in ("SENIOR", "JUNIOR")
        for conn in ("files", "lms")
    )
    assert completions[0].payload.keys() == {"programme", "milestone", "person", "pair_id", "reached_on"}


def test_a_rolled_back_signature_fires_no_hook_and_writes_nothing(world, ctx, recorder) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        agreements.draft_agreement(s, ctx, pair_id, TODAY)
        agreements.sign_agreement(s, ctx, pair_id, "SENIOR", TODAY)
    with pytest.raises(RuntimeError), world.db.transaction() as s:
        agreements.sign_agreement(s, ctx, pair_id, "JUNIOR", TODAY)
        raise RuntimeError("crash before commit")
    assert recorder.names() == []
    assert world.outbox() == []


def test_signing_by_a_non_party_is_refused(world, ctx) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        agreements.draft_agreement(s, ctx, pair_id, TODAY)
    with world.db.transaction() as s, pytest.raises(ProgrammeError, match="OTHER is not in pair"):
        agreements.sign_agreement(s, ctx, pair_id, "OTHER", TODAY)
    with world.db.transaction() as s, pytest.raises(NotFound, match="NOBODY"):
        agreements.sign_agreement(s, ctx, pair_id, "NOBODY", TODAY)


def test_signing_twice_or_an_old_version_is_refused(world, ctx) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        agreements.draft_agreement(s, ctx, pair_id, TODAY)
        agreements.sign_agreement(s, ctx, pair_id, "SENIOR", TODAY)
    with world.db.transaction() as s, pytest.raises(ProgrammeError, match="already signed version 1"):
        agreements.sign_agreement(s, ctx, pair_id, "SENIOR", TODAY)
    with world.db.transaction() as s:
        agreements.edit_agreement(s, ctx, pair_id, "JUNIOR", {"purpose": "Learn together."})
    with world.db.transaction() as s, pytest.raises(ProgrammeError, match="replaced by version 2"):
        agreements.sign_agreement(s, ctx, pair_id, "JUNIOR", TODAY, version=1)


def test_an_edit_after_signing_needs_both_signatures_again_and_every_version_is_kept(world, ctx) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        agreements.draft_agreement(s, ctx, pair_id, TODAY)
        agreements.sign_agreement(s, ctx, pair_id, "SENIOR", TODAY)
        agreements.sign_agreement(s, ctx, pair_id, "JUNIOR", TODAY)
    with world.db.transaction() as s:
        version = agreements.edit_agreement(s, ctx, pair_id, "JUNIOR", {"schedule": {"weekday": "thu"}})
        assert version == 2
    with world.db.transaction() as s:
        agreement = agreements.get_agreement(s, pair_id)
        assert not agreements.is_active(agreement) and agreement.status == "draft"
        assert agreements.version_body(s, agreement, 1)["schedule"]["weekday"] == "wed"
        assert agreements.version_body(s, agreement)["schedule"]["weekday"] == "thu"
        assert agreements.version_body(s, agreement)["schedule"]["time"] == "14:30"  # merged, not replaced
        assert len(s.scalars(select(AgreementVersion)).all()) == 2
        assert agreements.sign_agreement(s, ctx, pair_id, "SENIOR", TODAY) is False
        assert agreements.sign_agreement(s, ctx, pair_id, "JUNIOR", TODAY) is True
    calendars = world.outbox("calendar")
    assert [c.key.split(":")[3] for c in calendars] == ["v1", "v2"]  # the new schedule goes out too
    assert len(world.outbox("completion")) == 4  # the milestone was reached once, not again


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"colour": "blue"}, "colour is not an agreement field"),
        ({"purpose": "x" * 5001}, "purpose is 5001 characters long; at most 5000 are allowed"),
        ({"schedule": {"weekday": "funday"}}, "schedule.weekday"),
        ({"schedule": {"time": "25:00"}}, "schedule.time"),
        ({"schedule": {"cadence_days": 0}}, "schedule.cadence_days"),
        ({"schedule": {"time_zone": "Mars/Olympus"}}, "schedule.time_zone"),
        ({"ends_on": "2026-01-01"}, "ends_on must be after starts_on"),
        ({"starts_on": "soon"}, "starts_on must be a date"),
        ({"purpose": ""}, "purpose must be non-empty"),
        ({"norms": {"confidentiality": " "}}, "norms.confidentiality"),
    ],
)
def test_bad_edits_are_refused_and_change_nothing(world, ctx, changes, message) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        agreements.draft_agreement(s, ctx, pair_id, TODAY)
    with world.db.transaction() as s, pytest.raises(ProgrammeError, match=message):
        agreements.edit_agreement(s, ctx, pair_id, "SENIOR", changes)
    with world.db.transaction() as s:
        assert agreements.get_agreement(s, pair_id).current_version == 1


def test_a_bad_edit_names_every_problem_at_once(world, ctx, site, rm) -> None:
    world.pair("SENIOR", "JUNIOR")
    rm("agreement", "show", "--as", "SENIOR")
    out = rm("agreement", "edit", "--as", "SENIOR", "--set", "colour=blue",
             "--set", "schedule.weekday=funday", "--set", "schedule.time=25:00", "--set", "purpose=",
             "--set", f"norms.where={'x' * 1001}", code=1)  # fmt: skip
    for problem in ("colour is not an agreement field", "schedule.weekday must be one of",
                    "schedule.time must be HH:MM", "purpose must be non-empty text",
                    "norms.where is 1001 characters long"):  # fmt: skip
        assert problem in out
    assert out.count("Error:") == 6  # the heading and one line per problem


def test_editing_by_a_non_party_is_refused(world, ctx) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        agreements.draft_agreement(s, ctx, pair_id, TODAY)
    with world.db.transaction() as s, pytest.raises(ProgrammeError, match="ADMIN is not in pair"):
        agreements.edit_agreement(s, ctx, pair_id, "ADMIN", {"purpose": "x"})


def test_render_html_is_autoescaped_and_markdown_lists_goals(world, ctx, tmp_path) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        agreements.draft_agreement(s, ctx, pair_id, TODAY)
        agreements.edit_agreement(s, ctx, pair_id, "SENIOR", {"purpose": "<script>alert(1)</script> & grow"})
    with world.db.transaction() as s:
        view = agreements.agreement_view(s, pair_id)
        html = agreements.render_agreement(ctx, view, "html")
        md = agreements.render_agreement(ctx, view, "md")
        files = agreements.export_agreement(s, ctx, pair_id, tmp_path)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; grow" in html
    assert "- **generative AI**" in md and "version 2" in md
    assert sorted(p.suffix for p in files) == [".html", ".ics", ".md"]
    assert all(p.read_text() for p in files)


def test_a_site_template_overrides_the_default(world, tmp_path) -> None:
    from rm_plugin.exports.renderer import Renderer
    from rm_plugin.unit_of_work import ProgrammeContext

    (tmp_path / "agreement.md.j2").write_text("Custom for {{ mentee.name }}\n")
    site_ctx = ProgrammeContext(renderer=Renderer(tmp_path))
    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        agreements.draft_agreement(s, site_ctx, pair_id, TODAY)
        view = agreements.agreement_view(s, pair_id)
    assert agreements.render_agreement(site_ctx, view, "md") == "Custom for SENIOR Test\n"
    assert "<!DOCTYPE html>" in agreements.render_agreement(site_ctx, view, "html")  # default still used


def test_agreement_for_an_inactive_pair_is_refused(world, ctx) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        from rm_plugin.store.models import Pair

        s.get(Pair, pair_id).status = "proposed"
    with world.db.transaction() as s, pytest.raises(ProgrammeError, match="proposed, not active"):
        agreements.draft_agreement(s, ctx, pair_id, TODAY)


def test_agreement_export_with_only_a_programme_writes_all_its_agreements(
    world, ctx, site, rm, tmp_path
) -> None:
    assert "give --pair, --as, or --programme" in rm("agreement", "export", code=1)
    assert "has no agreements yet" in rm("agreement", "export", "--programme", "rm-2026", code=1)
    first, second = world.pair("SENIOR", "JUNIOR"), world.pair("SENIOR2", "JUNIOR2")
    rm("agreement", "draft", "rm-2026")
    out = rm("agreement", "export", "--programme", "rm-2026", "--out", str(tmp_path / "out"))
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == sorted(
        f"agreement-rm-2026-pair-{pair_id}.{ext}"
        for pair_id in (first, second)
        for ext in ("html", "md", "ics")
    )
    assert out == f"wrote 2 agreement(s) of rm-2026 (HTML, Markdown, .ics each) to {tmp_path / 'out'}\n"
    listed = rm("agreement", "export", "--programme", "rm-2026", "--out", str(tmp_path / "out"), "-v")
    assert len(listed.splitlines()) == 7 and listed.splitlines()[-1].startswith("wrote 2 agreement(s)")
