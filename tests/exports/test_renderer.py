"""The export renderer: site overrides, autoescaping, the sandbox, and clear template errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rm_plugin.exports.renderer import Renderer, TemplateProblem


def test_html_is_autoescaped_and_text_is_not(tmp_path: Path) -> None:
    (tmp_path / "x.html.j2").write_text("<p>{{ v }}</p>")
    (tmp_path / "x.txt.j2").write_text("Subject: {{ v }}\n\n{{ v }}")
    renderer = Renderer(tmp_path)
    assert renderer.render("x.html.j2", {"v": "<b>&"}) == "<p>&lt;b&gt;&amp;</p>"
    message = renderer.message("x.txt.j2", {"v": "<b>&"})
    assert message.subject == "<b>&" and message.body == "<b>&\n"


def test_a_site_file_overrides_the_default_by_name(tmp_path: Path) -> None:
    (tmp_path / "invitation.txt.j2").write_text("Subject: Join us\n\nHi {{ person.name }}")
    context = {"programme": {"name": "P", "starts_on": "", "ends_on": ""}, "person": {"name": "Ann"}}
    assert Renderer(tmp_path).message("invitation.txt.j2", context).subject == "Join us"
    assert Renderer().message("invitation.txt.j2", context).subject == "You are invited to P"


def test_errors_name_the_template_and_line(tmp_path: Path) -> None:
    (tmp_path / "broken.md.j2").write_text("ok\n{% for x in %}\n")
    (tmp_path / "nosubject.txt.j2").write_text("Hello\n")
    (tmp_path / "undefined.md.j2").write_text("{{ missing.value }}")
    renderer = Renderer(tmp_path)
    with pytest.raises(TemplateProblem, match=re.escape("broken.md.j2 line 2")):
        renderer.render("broken.md.j2", {})
    with pytest.raises(TemplateProblem, match=re.escape("'nope.md.j2' not found")):
        renderer.render("nope.md.j2", {})
    with pytest.raises(TemplateProblem, match=re.escape("first line must be 'Subject: ...'")):
        renderer.message("nosubject.txt.j2", {})
    with pytest.raises(TemplateProblem, match=re.escape("undefined.md.j2: 'missing' is undefined")):
        renderer.render("undefined.md.j2", {})


def test_admin_templates_run_in_a_sandbox(tmp_path: Path) -> None:
    (tmp_path / "evil.md.j2").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(TemplateProblem, match=re.escape("evil.md.j2 does something the sandbox forbids")):
        Renderer(tmp_path).render("evil.md.j2", {})


def test_markdown_templates_escape_every_value_for_markdown_and_html(tmp_path: Path) -> None:
    (tmp_path / "x.md.j2").write_text("# {{ name }}\n\n- {{ goal }}\n\n{{ text }}\n")
    shown = Renderer(tmp_path).render(
        "x.md.j2",
        {
            "name": "<script>alert(1)</script>",
            "goal": "**all** of [this](https://evil.example) & `that`",
            "text": "# not a heading\n- not a list\n12. not numbered\nplain 2026-03-01.",
        },
    )
    assert shown == (
        "# &lt;script&gt;alert(1)&lt;/script&gt;\n\n"
        "- \\*\\*all\\*\\* of \\[this\\](https://evil.example) &amp; \\`that\\`\n\n"
        "\\# not a heading\n\\- not a list\n12\\. not numbered\nplain 2026-03-01.\n"
    )


def test_the_agreement_markdown_export_shows_names_as_typed() -> None:
    view = {
        "programme": {"slug": "p", "name": "P_1"},
        "pair_id": 1,
        "mentee": {"hr_id": "E1", "name": "<script>alert(1)</script>", "email": "a@x"},
        "mentor": {"hr_id": "E2", "name": "Bo *the* Builder", "email": "b@x"},
        "owner": "<script>alert(1)</script>",
        "version": 1,
        "current_version": 1,
        "status": "draft",
        "signed_by": ["Bo *the* Builder"],
        "body": {
            "purpose": "[click](javascript:alert(1))",
            "goals": [{"skill": "AI_ML", "aim": ""}],
            "norms": dict.fromkeys(("communication", "where", "language", "confidentiality"), "ok"),
            "schedule": {
                "cadence_days": 14,
                "weekday": "tue",
                "time": "10:00",
                "minutes": 45,
                "time_zone": "UTC",
            },
            "starts_on": "2026-03-02",
            "ends_on": "2026-08-29",
            "wrap_up": "done",
        },
    }
    shown = Renderer().render("agreement.md.j2", view)
    assert "<script>" not in shown and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "Bo \\*the\\* Builder" in shown and "\\[click\\](javascript:alert(1))" in shown
    assert "**AI\\_ML**" in shown and "P\\_1" in shown
