"""Every template an admin can override is documented in exports/README.md with its variables."""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import meta

from rm_plugin.exports.renderer import DEFAULTS, Renderer

ROOT = Path(__file__).parents[2]
README = ROOT / "exports" / "README.md"
TEMPLATE_COPY = ROOT / "rm_plugin" / "site_template" / "exports" / "README.md"


def documented() -> dict[str, set[str]]:
    """template name -> the variables its README row lists (``same as `x` `` copies x's)."""
    rows: dict[str, set[str]] = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        (name,) = re.findall(r"`([^`]+)`", cells[0])
        names = re.findall(r"`([^`]+)`", cells[2])
        rows[name] = rows[names[0]] if cells[2].startswith("same as") else set(names)
    return rows


def test_every_default_template_is_listed_with_every_variable_it_uses() -> None:
    rows = documented()
    env = Renderer().env  # with the filters the templates use (``md``)
    shipped = sorted(p.name for p in DEFAULTS.glob("*.j2"))
    assert sorted(rows) == shipped
    for name in shipped:
        used = meta.find_undeclared_variables(env.parse((DEFAULTS / name).read_text(encoding="utf-8")))
        assert used <= rows[name], f"{name} uses {sorted(used - rows[name])}, not in exports/README.md"


def test_the_site_template_carries_the_same_readme() -> None:
    assert TEMPLATE_COPY.read_text(encoding="utf-8") == README.read_text(encoding="utf-8")
