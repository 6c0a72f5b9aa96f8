"""The README's Moodle setup lists exactly what the connector needs: capabilities and functions."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from rm_plugin.cli import build_cli
from rm_plugin.connectors.moodle.functions import BY_NAME, CAPABILITIES, FUNCTIONS, required_capabilities

README = Path(__file__).resolve().parents[3] / "README.md"
ROW = re.compile(r"^ {3}\| `([^`]+)` \| (.+) \|$")


def setup_rows() -> list[tuple[str, list[str]]]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### 1. One-time setup in Moodle") : text.index("### 2. The config file")]
    return [(m[1], [c.strip() for c in m[2].split(" | ")]) for m in map(ROW.match, section.splitlines()) if m]


def test_the_capability_table_is_the_connectors_list_with_when_and_why() -> None:
    rows = [(name, cells) for name, cells in setup_rows() if len(cells) == 2]
    assert rows == [(c.name, [c.when, c.why]) for c in CAPABILITIES]


def test_the_function_table_is_the_connectors_list() -> None:
    rows = {name: cells[0] for name, cells in setup_rows() if len(cells) == 1}
    assert list(rows) == [f.name for f in FUNCTIONS]
    for name, purpose in rows.items():
        assert purpose.startswith(BY_NAME[name].purpose), name


def test_functions_explain_prints_each_capability_with_when_and_why() -> None:
    result = CliRunner().invoke(build_cli(), ["moodle", "functions", "--capabilities", "--explain"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"{c.name}  # {c.why} ({c.when})" for c in CAPABILITIES]
    # the capabilities Moodle 4.4 was seen to need, and none it was seen not to
    names = {c.name for c in CAPABILITIES}
    assert {
        "moodle/user:viewalldetails",
        "moodle/site:viewuseridentity",
        "moodle/course:viewhiddengroups",
        "moodle/calendar:manageentries",
        "moodle/site:accessallgroups",
    } <= names
    assert not names & {"moodle/course:useremail", "moodle/calendar:managegroupentries"}


def test_a_connection_needs_only_the_capabilities_of_its_config() -> None:
    needed = {c.name for c in required_capabilities({"match_by": "email", "groups": False, "calendar": True})}
    assert "moodle/site:viewuseridentity" in needed and "moodle/user:viewalldetails" not in needed
    assert "moodle/calendar:manageentries" in needed
    assert not needed & {
        "moodle/course:viewhiddengroups",
        "moodle/site:accessallgroups",
        "moodle/cohort:assign",
    }
