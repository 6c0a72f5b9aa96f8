"""The commands IT runs: the web secret, the tool's keys, the values to copy, registration."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from portal_helpers import TOOL, add_web_table
from sqlalchemy import select

from rm_plugin.cli import build_cli
from rm_plugin.site import Site
from rm_plugin.store.models import LtiToolKey


def run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_cli(), ["--site", str(root), *args])
    return result.exit_code, result.output


def test_without_a_web_table_every_missing_key_is_named(site_root: Path) -> None:
    code, out = run(site_root, "lti", "config")
    assert code == 2
    assert "error: rm-plugin.toml: web.public_url: missing" in out
    assert "error: rm-plugin.toml: web.secret_key: missing" in out


def test_a_short_web_secret_is_named_as_too_short(site_root: Path) -> None:
    add_web_table(site_root)
    (site_root / "secrets" / "web-secret").write_text("changeme\n")
    code, out = run(site_root, "lti", "config")
    assert code == 2
    assert "error: rm-plugin.toml: web.secret_key: too short: at least 32 characters" in out
    assert "changeme" not in out


def test_web_secret_writes_an_owner_only_file_once(site_root: Path) -> None:
    code, out = run(site_root, "web", "secret")
    assert code == 0 and 'secret_key_file = "secrets/web-secret"' in out
    secret = site_root / "secrets" / "web-secret"
    assert secret.stat().st_mode & 0o777 == 0o600
    assert len(secret.read_text().strip()) >= 60
    code, out = run(site_root, "web", "secret")
    assert code == 1 and "exists; nothing changed" in out


def test_keys_are_made_rotated_and_stored_encrypted(site_root: Path) -> None:
    add_web_table(site_root)
    code, out = run(site_root, "lti", "keys")
    assert code == 0 and out.startswith("made signing key ")
    first = out.split()[3]
    code, out = run(site_root, "lti", "keys")
    assert "made signing key" not in out and f"{first}  active" in out
    code, out = run(site_root, "lti", "keys", "--rotate", "--grace-days", "3")
    assert code == 0 and "the previous one stays published 3 days" in out
    assert f"{first}  retired" in out and "published until" in out
    site = Site.load(site_root, load_entrypoints=False)
    with site.database.transaction() as s:
        stored = s.scalars(select(LtiToolKey.private_key)).all()
    site.close()
    assert len(stored) == 2 and not any("PRIVATE KEY" in value for value in stored)
    (site_root / "secrets" / "web-secret").write_text("another-secret-" + "y" * 40)
    code, out = run(site_root, "lti", "register-url")  # needs no key: still works
    assert code == 0
    from rm_plugin.lti.keys import ToolKeyError, ToolKeys
    from rm_plugin.lti.settings import WebSettings

    site = Site.load(site_root, load_entrypoints=False)
    keys = ToolKeys(WebSettings.from_site(site).secret_key)
    with site.database.transaction() as s:
        try:
            keys.signing_key(s)
        except ToolKeyError as exc:
            assert "another [web] secret_key" in str(exc)
        else:
            raise AssertionError("a key stored under another secret must not decrypt")
    site.close()


def test_config_prints_what_it_copies_into_moodle(site_root: Path) -> None:
    add_web_table(site_root)
    code, out = run(site_root, "lti", "config")
    assert code == 0
    assert f"Tool URL                             {TOOL}/lti/launch" in out
    assert f"Public keyset                        {TOOL}/lti/jwks" in out
    assert f"Initiate login URL                   {TOOL}/lti/login" in out
    assert f"Redirection URI(s)                   {TOOL}/lti/launch" in out


def test_register_url_is_one_time_and_platforms_can_be_added_by_hand(site_root: Path) -> None:
    add_web_table(site_root)
    code, out = run(site_root, "lti", "register-url")
    assert code == 0 and out.startswith(f"{TOOL}/lti/register?code=")
    code, out = run(
        site_root,
        "lti",
        "platform",
        "add",
        "--issuer",
        "https://moodle.example",
        "--client-id",
        "abc",
        "--auth-url",
        "https://moodle.example/mod/lti/auth.php",
        "--jwks-url",
        "https://moodle.example/mod/lti/certs.php",
        "--token-url",
        "https://moodle.example/mod/lti/token.php",
        "--deployment-id",
        "1",
    )
    assert code == 0 and "stored platform 1: https://moodle.example client abc" in out
    code, out = run(site_root, "lti", "platform", "list")
    assert "https://moodle.example  client abc  (manual)  deployments: 1" in out
    code, out = run(
        site_root,
        "lti",
        "platform",
        "add",
        "--issuer",
        "moodle",
        "--client-id",
        "",
        "--auth-url",
        "x",
        "--jwks-url",
        "https://moodle.example/certs",
        "--deployment-id",
        "1",
    )
    assert code == 1
    assert "issuer must be an https URL" in out and "client id must not be empty" in out
    assert "authentication request URL must be an https URL" in out
    code, out = run(site_root, "lti", "platform", "remove", "1")
    assert code == 0 and "removed platform 1" in out
    code, out = run(site_root, "lti", "platform", "remove", "1")
    assert code == 1 and "no platform 1" in out


def _add_platform(root: Path, base: str) -> tuple[int, str]:
    return run(
        root,
        "lti",
        "platform",
        "add",
        "--issuer",
        base,
        "--client-id",
        "abc",
        "--auth-url",
        f"{base}/mod/lti/auth.php",
        "--jwks-url",
        f"{base}/mod/lti/certs.php",
        "--token-url",
        f"{base}/mod/lti/token.php",
        "--deployment-id",
        "1",
    )


def test_platform_urls_must_be_https_except_on_loopback(site_root: Path) -> None:
    add_web_table(site_root)
    code, out = _add_platform(site_root, "http://moodle.example")
    assert code == 1
    for label in ("issuer", "authentication request URL", "public keyset URL", "access token URL"):
        assert f"{label} must be an https URL (plain http only for 127.0.0.1, ::1 or localhost)" in out
    for loopback in ("http://127.0.0.1:8081", "http://localhost:8081", "http://[::1]:8081"):
        code, out = _add_platform(site_root, loopback)
        assert code == 0, out


def test_check_warns_when_a_custom_parameter_names_the_person(site_root: Path, caplog) -> None:
    add_web_table(site_root)
    code, out = run(site_root, "check")
    assert code == 0 and "custom parameter" not in out
    with (site_root / "rm-plugin.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[web.identity]\nclaim = "custom.hr_id"\n')
    code, out = run(site_root, "check")
    assert code == 0, out
    assert "warning: web: [web.identity] claim = 'custom.hr_id' is a custom parameter" in out
    assert "can sign in as anybody" in out
    from rm_plugin.web.app import create_app

    site = Site.load(site_root, load_entrypoints=False)
    try:
        create_app(site)
    finally:
        site.close()
    assert "is a custom parameter" in caplog.text
