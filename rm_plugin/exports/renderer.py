"""The one Jinja2 renderer for exports and messages.

Templates are looked up first in the site's ``exports/`` folder, then among the defaults
shipped in this package, so an admin overrides one by saving a file of the same name.
Admin-edited templates run in Jinja2's sandbox; HTML templates are autoescaped, and every value
a Markdown template prints is escaped for Markdown and HTML (:func:`markdown_escape`), so a
name or a goal shows as typed and cannot add a link, markup or a script.

Message templates (``*.txt.j2``) start with a ``Subject: ...`` line, then a blank line, then
the body.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from rm_plugin.errors import UserError

DEFAULTS = Path(__file__).parent / "templates"


class TemplateProblem(UserError):
    """A template is missing or broken; the message names the template and the line."""


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


def _autoescape(name: str | None) -> bool:
    return bool(name) and (name.endswith(".html.j2") or name.endswith(".html"))


def _is_markdown(name: str) -> bool:
    return name.endswith((".md.j2", ".md"))


# Characters with a meaning anywhere in a Markdown line, and those that mean something only
# at the start of one (a heading, a list item, a numbered item, a setext underline).
_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
_MD_LINE_START = re.compile(r"^(\s*)([#+=-]|\d+(?=[.)]))", re.MULTILINE)
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def markdown_escape(value: Any) -> str:
    """``value`` as text that Markdown shows literally: HTML characters become entities and
    Markdown's punctuation is backslash-escaped (CommonMark allows that before any of it)."""
    text = "" if value is None else str(value)
    text = "".join(_HTML.get(char, char) for char in text)
    text = _MD_INLINE.sub(r"\\\1", text)
    return _MD_LINE_START.sub(lambda m: m[1] + ("\\" + m[2] if not m[2].isdigit() else m[2] + "\\"), text)


class Renderer:
    """Renders templates by name; ``site_exports`` (optional) overrides the package defaults."""

    def __init__(self, site_exports: Path | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if site_exports is not None:
            loaders.append(jinja2.FileSystemLoader(site_exports))
        loaders.append(jinja2.FileSystemLoader(DEFAULTS))
        options: dict[str, Any] = {
            "loader": jinja2.ChoiceLoader(loaders),
            "undefined": jinja2.StrictUndefined,
            "keep_trailing_newline": True,
            "trim_blocks": True,
            "lstrip_blocks": True,
        }
        self.env = SandboxedEnvironment(autoescape=_autoescape, **options)
        # Markdown has no autoescape of its own: every printed value goes through the escape.
        self.markdown_env = SandboxedEnvironment(finalize=markdown_escape, **options)

    def render(self, name: str, context: Mapping[str, Any]) -> str:
        env = self.markdown_env if _is_markdown(name) else self.env
        try:
            return env.get_template(name).render(**context)
        except jinja2.TemplateNotFound as exc:
            raise TemplateProblem(f"export template {name!r} not found in exports/ or the defaults") from exc
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateProblem(f"template {exc.name or name} line {exc.lineno}: {exc.message}") from exc
        except jinja2.exceptions.SecurityError as exc:
            raise TemplateProblem(f"template {name} does something the sandbox forbids: {exc}") from exc
        except jinja2.UndefinedError as exc:
            raise TemplateProblem(f"template {name}: {exc.message}") from exc

    def message(self, name: str, context: Mapping[str, Any]) -> Message:
        """Render a ``Subject:`` line plus body template into a :class:`Message`."""
        text = self.render(name, context)
        first, _, rest = text.partition("\n")
        if not first.lower().startswith("subject:"):
            raise TemplateProblem(f"template {name}: the first line must be 'Subject: ...'")
        return Message(subject=first.split(":", 1)[1].strip(), body=rest.strip() + "\n")
