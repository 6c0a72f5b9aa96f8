"""`init`, `check` and `db upgrade` through the command line."""

from __future__ import annotations

import filecmp
from pathlib import Path

from click.testing import CliRunner

from rm_plugin.cli import build_cli

REPO = Path(__file__).resolve().parents[2]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_cli(), list(args))
    return result.exit_code, result.output


def test_init_creates_a_site_that_checks_green(tmp_path: Path) -> None:
    site = tmp_path / "new-site"
    code, out = run("init", str(site))
    assert code == 0, out
    for part in ("rm-plugin.toml", "connectors/csv.toml", "connectors/files.toml", "hooks", "exports"):
        assert (site / part).exists(), part
    code, out = run("--site", str(site), "check")
    assert code == 0, out
    assert "all checks passed" in out and "csv: ok" in out and "files: ok" in out


def test_init_refuses_an_existing_site(tmp_path: Path) -> None:
    run("init", str(tmp_path))
    code, out = run("init", str(tmp_path))
    assert code != 0 and "already holds a site" in out


def test_check_reports_each_problem_and_fails(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("RM_TEST_UNSET", raising=False)
    run("init", str(tmp_path))
    (tmp_path / "connectors" / "csv.toml").write_text('type = "csv"\npath = "missing.csv"\n')
    code, out = run("--site", str(tmp_path), "check")
    assert code == 1
    assert "problem: csv: roster file" in out and "does not exist" in out
    (tmp_path / "connectors" / "files.toml").write_text(
        'type = "files"\ndir = "${RM_TEST_UNSET}"\nbogus = 1\n'
    )
    code, out = run("--site", str(tmp_path), "check")
    assert code == 1
    assert "problem: connectors/files.toml: dir: environment variable RM_TEST_UNSET is not set" in out
    assert "problem: connectors/files.toml: bogus: unknown key; expected one of: dir" in out


def test_no_site_is_a_clear_error(tmp_path: Path) -> None:
    code, out = run("--site", str(tmp_path), "people", "list")
    assert code != 0 and "is not an rm-plugin site" in out and "rm-plugin init" in out


def test_db_upgrade(tmp_path: Path) -> None:
    run("init", str(tmp_path))
    code, out = run("--site", str(tmp_path), "db", "upgrade")
    assert code == 0 and "database upgraded from empty to" in out
    code, out = run("--site", str(tmp_path), "db", "upgrade")
    assert code == 0 and "database already at" in out
    # a connector whose secret is not set here does not stop a migration
    (tmp_path / "connectors" / "files.toml").write_text('type = "files"\ndir = "${RM_TEST_SURELY_UNSET}"\n')
    code, out = run("--site", str(tmp_path), "db", "upgrade")
    assert code == 0 and "database already at" in out


def test_the_repository_root_is_the_template_site() -> None:
    template = REPO / "rm_plugin" / "site_template"
    for relative in ["rm-plugin.toml", *(str(p.relative_to(template)) for p in template.rglob("*.toml"))]:
        assert filecmp.cmp(template / relative, REPO / relative, shallow=False), relative
    assert filecmp.cmp(
        template / "hooks" / "example_rules.py", REPO / "hooks" / "example_rules.py", shallow=False
    )


def test_an_unreachable_database_is_one_clear_line_without_its_password(tmp_path: Path) -> None:
    import subprocess
    import sys

    run("init", str(tmp_path))
    config = tmp_path / "rm-plugin.toml"
    config.write_text(
        config.read_text().replace(
            'url = "sqlite:///rm-plugin.sqlite3"', 'url = "postgresql+psycopg://u:PW-123@127.0.0.1:1/db"'
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "rm_plugin", "--site", str(tmp_path), "programme", "list"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: cannot open the database postgresql+psycopg://u:***@127.0.0.1:1/db")
    assert "PW-123" not in done.stderr + done.stdout and "Traceback" not in done.stderr
