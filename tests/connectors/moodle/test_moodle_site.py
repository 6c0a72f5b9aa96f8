"""The Moodle connector inside a site: its config file, ``rm-plugin check`` and ``rm-plugin moodle``."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from moodle_helpers import TOKEN, Expect, body

from rm_plugin.cli import build_cli
from rm_plugin.config import ConfigError
from rm_plugin.connectors.moodle import MoodleConnection, required_functions
from rm_plugin.connectors.moodle.errors import MoodleAuthenticationError
from rm_plugin.http import HostConnectionError
from rm_plugin.site import Site
from rm_plugin.store.models import Person


def enable(root: Path, **replace: str) -> Path:
    path = root / "connectors" / "moodle.toml"
    text = path.read_text(encoding="utf-8").replace("enabled = false", "enabled = true")
    for old, new in replace.items():
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_config_is_shipped_disabled_in_both_places(site_root: Path) -> None:
    repo = Path(__file__).resolve().parents[3]
    assert (repo / "connectors" / "moodle.toml").read_text() == (
        repo / "rm_plugin" / "site_template" / "connectors" / "moodle.toml"
    ).read_text()
    site = Site.load(site_root)
    assert not site.connections["moodle"].enabled


def test_an_enabled_connection_reads_its_token_from_the_environment(
    site_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    enable(site_root)
    monkeypatch.setenv("MOODLE_TOKEN", TOKEN)
    site = Site.load(site_root)
    try:
        plugin = site.pm.get_plugin("connection:moodle")
        assert isinstance(plugin, MoodleConnection)
        assert plugin.config["milestones"]["first_meeting"] == "First meeting"
        assert TOKEN not in repr(plugin.config) and TOKEN not in repr(plugin.client)
    finally:
        site.close()


def test_config_mistakes_are_named_by_file_and_key(site_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOODLE_TOKEN", raising=False)
    enable(
        site_root,
        **{
            'match_by = "idnumber"': 'match_by = "username"',
            'route = "course_completion"': 'route = "cohort"',
            'url = "https://moodle.example.org"': 'url = "moodle.example.org/webservice/rest/server.php"',
        },
    )
    with pytest.raises(ConfigError) as caught:
        Site.load(site_root)
    lines = [str(p) for p in caught.value.problems]
    assert (
        "connectors/moodle.toml: token: environment variable MOODLE_TOKEN is not set (or is empty)" in lines
    )
    monkeypatch.setenv("MOODLE_TOKEN", TOKEN)
    with pytest.raises(ConfigError) as caught:
        Site.load(site_root)
    text = "\n".join(str(p) for p in caught.value.problems)
    assert "connectors/moodle.toml: match_by: Must be one of: idnumber, email." in text
    assert "url: expected the site's address, e.g. https://moodle.example.org" in text
    assert 'route "cohort" needs the idnumber of the badge\'s cohort' in text


def test_moodle_functions_prints_the_list_for_the_external_service() -> None:
    result = CliRunner().invoke(build_cli(), ["moodle", "functions"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == required_functions()
    assert "core_completion_override_activity_completion_status" in result.output
    assert "core_completion_update_activity_completion_status_manually" not in result.output
    caps = CliRunner().invoke(build_cli(), ["moodle", "functions", "--capabilities"]).output.splitlines()
    assert "moodle/course:overridecompletion" in caps


def test_check_reaches_moodle_and_names_missing_functions(
    site_root: Path, monkeypatch: pytest.MonkeyPatch, expect: Expect
) -> None:
    enable(site_root)
    monkeypatch.setenv("MOODLE_TOKEN", TOKEN)
    info = body("site_info")
    info["functions"] = [f for f in info["functions"] if f["name"] != "enrol_manual_enrol_users"]
    expect("core_webservice_get_site_info", {}, info)
    result = CliRunner().invoke(build_cli(), ["--site", str(site_root), "check"])
    assert result.exit_code == 1
    assert (
        "problem: moodle: the token's external service lacks 1 function(s): enrol_manual_enrol_users"
        in result.output
    )
    assert TOKEN not in result.output


def add_person(root: Path) -> None:
    site = Site.load(root)
    try:
        with site.database.transaction() as session:
            session.add(Person(hr_id="E100", email="ada.senior@acme.example", given_name="Ada"))
    finally:
        site.close()


def test_moodle_accounts_prints_one_error_line_when_the_token_is_refused(
    site_root: Path, monkeypatch: pytest.MonkeyPatch, expect: Expect
) -> None:
    enable(site_root)
    monkeypatch.setenv("MOODLE_TOKEN", TOKEN)
    add_person(site_root)
    expect("core_user_get_users_by_field", answer=body("invalidtoken"), any_fields=True)
    result = CliRunner().invoke(build_cli(), ["--site", str(site_root), "moodle", "accounts"])
    assert result.exit_code == 1
    assert not isinstance(result.exception, MoodleAuthenticationError), result.output
    lines = result.output.splitlines()
    assert [line for line in lines if line.startswith("error:")] == [
        "error: moodle: core_user_get_users_by_field failed: invalidtoken: Invalid token - token not found "
        "(check the token in the connector config and that it has not expired)"
    ]
    assert "Traceback" not in result.output and TOKEN not in result.output


def test_moodle_accounts_prints_one_error_line_when_moodle_cannot_be_reached(
    site_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    enable(site_root, **{'url = "https://moodle.example.org"': f'url = "http://127.0.0.1:{port}"'})
    monkeypatch.setenv("MOODLE_TOKEN", TOKEN)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)  # the retries of a refused connection
    add_person(site_root)
    result = CliRunner().invoke(build_cli(), ["--site", str(site_root), "moodle", "accounts"])
    assert result.exit_code == 1
    assert not isinstance(result.exception, HostConnectionError), result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: moodle: core_user_get_users_by_field failed: cannot reach http://127.0.0.1:{port}: check "
        "`url` in connectors/moodle.toml and the network between this server and Moodle (Connection refused)"
    ]
    assert "Traceback" not in result.output and TOKEN not in result.output


def free_port() -> int:
    """A port on this machine nothing listens on, so connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_check_says_what_to_do_when_moodle_cannot_be_reached(
    site_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    enable(site_root, **{'url = "https://moodle.example.org"': f'url = "http://127.0.0.1:{port}"'})
    monkeypatch.setenv("MOODLE_TOKEN", TOKEN)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    result = CliRunner().invoke(build_cli(), ["--site", str(site_root), "check"])
    assert result.exit_code == 1
    assert (
        f"problem: moodle: core_webservice_get_site_info failed: cannot reach http://127.0.0.1:{port}: "
        "check `url` in connectors/moodle.toml and the network between this server and Moodle "
        "(Connection refused)"
    ) in result.output.splitlines()
    assert "moodle: moodle:" not in result.output and "Max retries" not in result.output
