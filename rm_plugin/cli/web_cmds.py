"""The portal's commands: ``serve`` (development), ``web secret`` and ``lti`` (keys, the values IT
copies into a platform, one-time registration addresses, platforms registered by hand)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
from pathlib import Path

import click
from werkzeug.serving import WSGIRequestHandler

from rm_plugin.cli.context import SiteHandle, pass_site
from rm_plugin.lti.settings import WebSettings
from rm_plugin.site import Site


def _settings(site: Site, public_url: str | None = None) -> WebSettings:
    """The ``[web]`` table; a bad one is a ``ConfigError``, which the CLI reports like any other."""
    return WebSettings.from_site(site, public_url=public_url)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class _QuietHandler(WSGIRequestHandler):
    """The development server's request log without query strings (they may carry one-time codes)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = self.path.split("?", 1)[0]
        self.log("info", '"%s %s" %s %s', self.command, path, code, size)


@click.command(short_help="Run the portal with the development server.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=int)
@click.option(
    "--public-url",
    help="The address browsers use (default: [web] public_url, else http://localhost:PORT).",
)
@pass_site
def serve(handle: SiteHandle, host: str, port: int, public_url: str | None) -> None:
    """Run the portal with the development server (use gunicorn in production; see the README)."""
    from rm_plugin.web.app import create_app

    site = handle.site
    url = public_url or site.config["web"].get("public_url") or f"http://localhost:{port}"
    app = create_app(site, settings=_settings(site, url))
    logging.getLogger("rm_plugin.web").setLevel(logging.INFO)
    click.echo(f"serving the portal for {site.root} at {url} (listening on {host}:{port}); Ctrl-C stops")
    app.run(host=host, port=port, request_handler=_QuietHandler, use_reloader=False, threaded=True)


@click.group()
def web() -> None:
    """The participant portal's own settings."""


@web.command("secret", short_help="Write a new random web secret to FILE.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), default="secrets/web-secret")
@pass_site
def web_secret(handle: SiteHandle, file: Path) -> None:
    """Write a new random web secret to FILE (relative to the site), readable by its owner only."""
    site = handle.site
    target = file if file.is_absolute() else site.root / file
    if target.exists():
        raise click.ClickException(
            f"{target} exists; nothing changed (the tool's keys are encrypted with it)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secrets.token_urlsafe(48) + "\n")
    click.echo(f"wrote {target}; in rm-plugin.toml set:")
    click.echo("  [web]")
    click.echo(f'  secret_key_file = "{file}"')


@click.group(short_help="The LTI 1.3 tool: keys, platforms, registration.")
def lti() -> None:
    """The LTI 1.3 tool: keys, registration with a platform, the values IT copies."""


@lti.command("keys", short_help="Make, rotate and list the tool's signing keys.")
@click.option(
    "--rotate", is_flag=True, help="Make a new signing key; the old one stays published for the grace."
)
@click.option("--grace-days", default=7, show_default=True, type=click.IntRange(0, 365))
@pass_site
def lti_keys(handle: SiteHandle, rotate: bool, grace_days: int) -> None:
    """Make the tool's signing key (the first time), rotate it, and list the keys."""
    from rm_plugin.lti.keys import ToolKeys

    site = handle.site
    keys = ToolKeys(_settings(site, "http://unused").secret_key)
    with site.database.transaction() as session:
        made = keys.rotate(session, dt.timedelta(days=grace_days)) if rotate else keys.ensure(session)
        pruned = keys.prune(session)
        listing = keys.listing(session)
    if made:
        click.echo(
            f"made signing key {made}"
            + (f" (the previous one stays published {grace_days} days)" if rotate else "")
        )
    if pruned:
        click.echo(f"removed {pruned} retired key(s) past their grace period")
    for key in listing:
        until = f" published until {key.publish_until:%Y-%m-%d %H:%M} UTC" if key.publish_until else ""
        click.echo(f"{key.kid}  {key.status}  made {key.created_at:%Y-%m-%d %H:%M} UTC{until}")


@lti.command("config", short_help="Print the values IT copies into a platform.")
@pass_site
def lti_config(handle: SiteHandle) -> None:
    """Print the values IT copies into a platform to register the tool by hand."""
    settings = _settings(handle.site)
    urls = settings.urls
    rows = [
        ("Tool name", "Reverse mentoring"),
        ("Tool URL", urls.launch),
        ("LTI version", "LTI 1.3"),
        ("Public key type", "Keyset URL"),
        ("Public keyset", urls.jwks),
        ("Initiate login URL", urls.login),
        ("Redirection URI(s)", urls.launch),
        ("Deep linking (content-item message)", "supported: tick 'Supports Deep Linking'"),
        ("Dynamic registration URL", "run `rm-plugin lti register-url` for a one-time address"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        click.echo(f"{name.ljust(width)}  {value}")
    click.echo("")
    click.echo(
        "Then store the platform's values: rm-plugin lti platform add --issuer … --client-id … "
        "--auth-url … --jwks-url … --token-url … --deployment-id …"
    )


@lti.command("register-url", short_help="Print a one-time dynamic registration address.")
@click.option("--valid-hours", default=24, show_default=True, type=click.IntRange(1, 24 * 14))
@click.option("--note", default="", help="What this registration is for (kept with the code).")
@pass_site
def lti_register_url(handle: SiteHandle, valid_hours: int, note: str) -> None:
    """Print a one-time dynamic registration address to paste into the platform."""
    from rm_plugin.lti.registration import issue_code, registration_url

    site = handle.site
    settings = _settings(site)
    with site.database.transaction() as session:
        code = issue_code(session, now=_now(), lifetime=dt.timedelta(hours=valid_hours), note=note)
    click.echo(registration_url(settings.urls, code))
    click.echo(
        f"(works once, for {valid_hours} hours; in Moodle: Manage tools › Tool URL › Add LTI Advantage)",
        err=True,
    )


@lti.group("platform")
def platform() -> None:
    """Platforms the tool trusts."""


@platform.command("add", short_help="Trust a platform registered by hand.")
@click.option("--issuer", required=True, help="Platform ID (Moodle: the site's address).")
@click.option("--client-id", required=True)
@click.option("--auth-url", required=True, help="Authentication request URL.")
@click.option("--jwks-url", required=True, help="Public keyset URL.")
@click.option("--token-url", default="", help="Access token URL (needed for grades).")
@click.option(
    "--deployment-id", "deployment_ids", multiple=True, required=True, help="May be given several times."
)
@click.option("--name", default="")
@pass_site
def platform_add(
    handle: SiteHandle,
    issuer: str,
    client_id: str,
    auth_url: str,
    jwks_url: str,
    token_url: str,
    deployment_ids: tuple[str, ...],
    name: str,
) -> None:
    """Store a platform registered by hand (the values Moodle shows under "View configuration details")."""
    from rm_plugin.lti.platforms import PlatformError, PlatformValues, save_platform

    site = handle.site
    values = PlatformValues(issuer, client_id, auth_url, jwks_url, token_url, deployment_ids, name)
    try:
        with site.database.transaction() as session:
            stored, created = save_platform(session, values, via="manual")
            platform_id = stored.id
    except PlatformError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{'stored' if created else 'updated'} platform {platform_id}: {issuer} client {client_id}")


@platform.command("list")
@pass_site
def platform_list(handle: SiteHandle) -> None:
    """The platforms the tool trusts, with their deployments."""
    from rm_plugin.lti.platforms import deployments_of, listing

    site = handle.site
    with site.database.transaction() as session:
        rows = [
            (p.id, p.issuer, p.client_id, p.registered_via, deployments_of(session, p.id))
            for p in listing(session)
        ]
    if not rows:
        click.echo("no platform registered; see `rm-plugin lti register-url` or `rm-plugin lti platform add`")
    for platform_id, issuer, client_id, via, deployments in rows:
        click.echo(
            f"{platform_id}  {issuer}  client {client_id}  ({via})  "
            f"deployments: {', '.join(deployments) or 'none'}"
        )


@platform.command("remove")
@click.argument("platform_id", type=int)
@pass_site
def platform_remove(handle: SiteHandle, platform_id: int) -> None:
    """Stop trusting a platform: its launches are refused from now on."""
    from rm_plugin.lti.platforms import PlatformError, remove_platform

    site = handle.site
    try:
        with site.database.transaction() as session:
            removed = remove_platform(session, platform_id)
            issuer = removed.issuer
    except PlatformError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"removed platform {platform_id} ({issuer})")


COMMANDS = [serve, web, lti]
