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
