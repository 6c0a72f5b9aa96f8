"""Print pip constraints pinning every runtime dependency to the lowest version pyproject allows.

CI installs with them once and runs the tests, so a lower bound that is too low (a method the
code calls that the oldest allowed release lacks) fails there instead of on a user's machine.
Only the runtime dependencies and the ``postgres`` extra are pinned: they are what a site
installs. The test tools stay at their newest.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

_FLOOR = re.compile(r"^\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*>=\s*([0-9][^,;\s]*)")


def floors(pyproject: Path) -> list[str]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    wanted = [*project["dependencies"], *project.get("optional-dependencies", {}).get("postgres", [])]
    pins = []
    for requirement in wanted:
        found = _FLOOR.match(requirement)
        if found is None:
            sys.exit(f"{requirement!r} has no lower bound (>=): give it one")
        name, _extras, version = found.groups()
        pins.append(f"{name}=={version}")
    return pins


if __name__ == "__main__":
    print("\n".join(floors(Path(__file__).parents[1] / "pyproject.toml")))
