"""Config problems: one clear line per mistake, naming file and key, and nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from rm_plugin.config import ConfigError, Secret
from rm_plugin.site import Site, create_site


@pytest.fixture
def root(tmp_path: Path) -> Path:
    create_site(tmp_path)
    return tmp_path


def problems_of(root: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        Site.load(root, load_entrypoints=False)
    return [str(p) for p in caught.value.problems]


def test_the_template_site_loads(root: Path) -> None:
    site = Site.load(root, load_entrypoints=False)
    assert set(site.connections) == {"csv", "files", "moodle", "bamboohr", "workday", "lti_grades", "badges"}
    assert {c.name for c in site.enabled_connections()} == {"csv", "files"}  # host examples ship disabled
    assert site.programme_defaults["min_level_gap"] == 2


def test_every_mistake_gets_its_own_line(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RM_TEST_UNSET_TOKEN", raising=False)
    (root / "rm-plugin.toml").write_text(
        '[database]\nurl = 5\n[programme_defaults]\nreviewers_required = "two"\n[colour]\nx = 1\n'
    )
    (root / "connectors" / "files.toml").write_text('type = "files"\ndirectory = "x"\n')
    (root / "connectors" / "csv.toml").write_text('type = "csv"\npath = "${RM_TEST_UNSET_TOKEN}"\n')
    (root / "connectors" / "extra.toml").write_text('type = "files"\ndir_file = "secrets/missing.txt"\n')
    found = problems_of(root)
    assert "rm-plugin.toml: database.url: Not a valid string." in found
    assert "rm-plugin.toml: programme_defaults.reviewers_required: Not a valid integer." in found
    assert any(line.startswith("rm-plugin.toml: colour: unknown key; expected one of:") for line in found)
    # the connector files are checked in the same pass
    assert "connectors/files.toml: directory: unknown key; expected one of: dir" in found
    assert len(found) == 6
    (root / "rm-plugin.toml").write_text("")
    found = problems_of(root)
    assert "connectors/files.toml: directory: unknown key; expected one of: dir" in found
    assert (
        "connectors/csv.toml: path: environment variable RM_TEST_UNSET_TOKEN is not set (or is empty)"
        in found
    )
    assert any(
        line.startswith("connectors/extra.toml: dir_file: cannot read secret file 'secrets/missing.txt'")
        for line in found
    )
    assert len(found) == 3


def test_missing_required_key_and_wrong_type(root: Path) -> None:
    (root / "connectors" / "csv.toml").write_text('type = "csv"\ndelimiter = 7\n')
    assert problems_of(root) == ["connectors/csv.toml: delimiter: Not a valid string."]
    (root / "connectors" / "csv.toml").write_text('type = "csv"\n')
    assert problems_of(root) == ["connectors/csv.toml: path: give the roster file's path, or sample = true"]


def test_unknown_connector_type_is_named(root: Path) -> None:
    (root / "connectors" / "hris.toml").write_text('type = "peoplesoft"\n')
    assert problems_of(root) == [
        "connectors/hris.toml: type: unknown connector type 'peoplesoft'; "
        "known: badges, bamboohr, csv, files, lti_grades, moodle, workday"
    ]


def test_not_toml(root: Path) -> None:
    (root / "rm-plugin.toml").write_text("[database\n")
    (found,) = problems_of(root)
    assert found.startswith("rm-plugin.toml: not valid TOML:")


def test_a_disabled_connection_may_name_unset_secrets(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RM_TEST_UNSET_TOKEN", raising=False)
    (root / "connectors" / "later.toml").write_text(
        'type = "files"\nenabled = false\ndir = "${RM_TEST_UNSET_TOKEN}"\n'
    )
    site = Site.load(root, load_entrypoints=False)
    assert not site.connections["later"].enabled


def test_secrets_from_environment_and_file_never_print(tmp_path: Path) -> None:
    from marshmallow import Schema

    from rm_plugin.config import SecretField, read_toml, resolve_references, validate

    (tmp_path / "token.txt").write_text("s3cr3t-from-file\n")
    (tmp_path / "c.toml").write_text('token_file = "token.txt"\n[nested]\npassword = "${RM_TEST_PW}"\n')

    class Nested(Schema):
        password = SecretField(required=True)

    class Conf(Schema):
        from marshmallow import fields

        token = SecretField(required=True)
        nested = fields.Nested(Nested)

    raw, problems = read_toml(tmp_path / "c.toml", "c.toml")
    resolved, problems = resolve_references(raw, "c.toml", tmp_path, environ={"RM_TEST_PW": "pw-from-env"})
    assert problems == []
    values, problems = validate(Conf(), resolved, "c.toml")
    assert problems == []
    assert values["token"] == Secret("s3cr3t-from-file")
    assert values["token"].reveal() == "s3cr3t-from-file"
    assert values["nested"]["password"].reveal() == "pw-from-env"
    assert "s3cr3t" not in repr(values) and "pw-from-env" not in str(values)


def test_both_a_key_and_its_file_is_a_problem(tmp_path: Path) -> None:
    from rm_plugin.config import resolve_references

    (tmp_path / "t").write_text("x")
    _, problems = resolve_references({"token": "a", "token_file": "t"}, "m.toml", tmp_path, environ={})
    assert [str(p) for p in problems] == ["m.toml: token_file: give either token or token_file, not both"]


def test_empty_secret_file_is_a_problem(tmp_path: Path) -> None:
    from rm_plugin.config import resolve_references

    (tmp_path / "empty").write_text("\n")
    _, problems = resolve_references({"token_file": "empty"}, "m.toml", tmp_path, environ={})
    assert [str(p) for p in problems] == ["m.toml: token_file: secret file 'empty' is empty"]


def test_a_secret_file_that_is_not_utf8_is_one_problem_naming_file_and_key(root: Path) -> None:
    (root / "secrets").mkdir()
    (root / "secrets" / "token").write_bytes(b"\xff\xfetok\x00en")
    (root / "connectors" / "moodle.toml").write_text(
        'type = "moodle"\nurl = "https://m.example"\ntoken_file = "secrets/token"\ncourse = "c"\n'
    )
    found = problems_of(root)
    assert "connectors/moodle.toml: token_file: secret file 'secrets/token' is not UTF-8 text" in found[0]


def test_a_database_url_that_cannot_be_parsed_is_one_line_without_a_traceback(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from rm_plugin.cli import build_cli

    monkeypatch.delenv("RM_PLUGIN_DATABASE_URL", raising=False)
    config = root / "rm-plugin.toml"
    config.write_text(config.read_text().replace('url = "sqlite:///rm-plugin.sqlite3"', 'url = "not a url"'))
    found = problems_of(root)
    assert found == [
        "rm-plugin.toml: database.url: not a database URL SQLAlchemy can read; expected e.g. "
        "sqlite:///rm-plugin.sqlite3 or postgresql+psycopg://rm@db.internal/rm_plugin"
    ]
    config.write_text(config.read_text().replace('url = "not a url"', 'url = "sqlite:///rm-plugin.sqlite3"'))
    monkeypatch.setenv("RM_PLUGIN_DATABASE_URL", "::no-scheme::secretpw")
    for args in (["check"], ["programme", "list"], ["db", "upgrade"]):
        result = CliRunner().invoke(build_cli(), ["--site", str(root), *args])
        assert result.exit_code == 2, result.output
        assert "error: environment: RM_PLUGIN_DATABASE_URL: not a database URL" in result.output
        assert "Traceback" not in result.output and "secretpw" not in result.output
