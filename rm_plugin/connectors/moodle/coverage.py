"""Whether the config's ``[milestones]`` and ``[awards]`` cover what the site's programmes send.

A programme milestone that records a completion on this connection needs an activity, and an
award it grants needs a route; a gap is otherwise found only when a pair reaches the milestone
and its delivery is parked. ``rm-plugin check`` hands every connection the site's live
programmes with their milestone lists, and this reports every gap up front, naming the key to add.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Gaps:
    """Milestone keys with no activity mapping and award names with no route, in first-seen order."""

    milestones: tuple[str, ...] = ()
    awards: tuple[str, ...] = ()


def toml_key(name: str) -> str:
    """``name`` as it must be written in a TOML table header or key (quoted unless bare)."""
    if _BARE_KEY.match(name):
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def gaps(
    definitions: Sequence[Mapping[str, Any]],
    connection: str,
    milestone_map: Mapping[str, Any],
    awards: Mapping[str, Any],
) -> Gaps:
    """What ``definitions`` (a programme's milestone list) ask of ``connection`` that the maps lack."""
    milestones: dict[str, None] = {}
    missing_awards: dict[str, None] = {}
    for item in definitions:
        for record in item.get("records") or ():
            if record.get("connection", "*") not in ("*", connection):
                continue
            if record.get("action") == "completion" and item.get("key") not in milestone_map:
                milestones[str(item["key"])] = None
            elif record.get("action") == "award" and record.get("award") not in awards:
                missing_awards[str(record["award"])] = None
    return Gaps(tuple(milestones), tuple(missing_awards))


def milestone_hint(key: str, config_file: str) -> str:
    return f"add `{toml_key(key)} = <course-module id or activity name>` under [milestones] in {config_file}"


def award_hint(name: str, config_file: str) -> str:
    return f"add an [awards.{toml_key(name)}] table with `route` and `badge` to {config_file}"


def gap_lines(
    programmes: Iterable[tuple[str, Sequence[Mapping[str, Any]]]],
    connection: str,
    milestone_map: Mapping[str, Any],
    awards: Mapping[str, Any],
    config_file: str,
) -> list[str]:
    """One problem line per programme milestone without an activity and per award without a route."""
    lines: list[str] = []
    for slug, definitions in programmes:
        found = gaps(definitions, connection, milestone_map, awards)
        lines += [
            f"programme {slug!r}: milestone {key!r} has no activity: {milestone_hint(key, config_file)}"
            for key in found.milestones
        ]
        lines += [
            f"programme {slug!r}: award {name!r} has no route: {award_hint(name, config_file)}"
            for name in found.awards
        ]
    return lines
