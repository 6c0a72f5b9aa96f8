"""``rm-plugin badges``: the Open Badges 3.0 issuer's keys, the credentials issued, revocation."""

from __future__ import annotations

from pathlib import Path

import click

from rm_plugin.cli.context import SiteHandle, pass_site
from rm_plugin.credentials import service


@click.group(short_help="Open Badges 3.0 credentials this site issues.")
def badges() -> None:
    """Open Badges 3.0 credentials issued by this site (the `badges` connection)."""


@badges.command("keys", short_help="Make, rotate and list the issuer's signing keys.")
@click.option(
    "--rotate", is_flag=True, help="Make a new signing key; older ones keep verifying what they signed."
)
@click.option("--grace-days", default=30, show_default=True, type=click.IntRange(0, 3650))
@pass_site
def keys(handle: SiteHandle, rotate: bool, grace_days: int) -> None:
    """Make the issuer's signing key (the first time), rotate it, and list the keys."""
    listing = service.manage_keys(handle.site, rotate=rotate, grace_days=grace_days)
    if listing.made:
        click.echo(f"made signing key {listing.made}")
    if listing.pruned:
        click.echo(f"dropped {listing.pruned} retired key(s) that signed nothing and are past their grace")
    for info, url in zip(listing.keys, listing.urls, strict=True):
        until = f" (published until {info.publish_until:%Y-%m-%d})" if info.publish_until else ""
        click.echo(f"{info.status:<8} {info.created_at:%Y-%m-%d} {url}{until}")


@badges.command("list")
@click.option("--programme", help="Only this programme's credentials.")
@click.option("--person", "hr_id", help="Only this person's (HR id).")
@pass_site
def list_credentials(handle: SiteHandle, programme: str | None, hr_id: str | None) -> None:
    """The credentials issued, each with its verification address."""
    lines = service.list_credentials(handle.site, programme, hr_id)
    for line in lines:
        state = "REVOKED" if line.revoked else "valid"
        click.echo(
            f"{line.issued_at:%Y-%m-%d} {line.hr_id:<10} {line.programme}/{line.award} {state:<7} {line.url}"
        )
    click.echo(f"{len(lines)} credential(s)")


@badges.command("revoke", short_help="Revoke credentials by id or verification address.")
@click.argument("credentials", nargs=-1, required=True)
@click.option("--reason", required=True, help="Why (an award granted in error); the audit log keeps it.")
@click.option("--by", "by", required=True, help="Who revokes (your HR id or name).")
@pass_site
def revoke(handle: SiteHandle, credentials: tuple[str, ...], reason: str, by: str) -> None:
    """Revoke credentials by id or verification address; the status list shows it at once."""
    done = service.revoke(handle.site, credentials, by=by, reason=reason)
    for uuid in done:
        click.echo(f"revoked {uuid}")
    if len(done) < len(credentials):
        click.echo(f"{len(credentials) - len(done)} already revoked")


@badges.command("verify", short_help="Verify a credential against this issuer.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_site
def verify(handle: SiteHandle, file: Path) -> None:
    """Verify a credential (.jwt, our .json download, or a baked .png/.svg) against this issuer."""
    verdict = service.verify_file(handle.site, file)
    if verdict.credential is not None:
        click.echo(f"credential {verdict.credential.get('id')}")
        click.echo(f"  achievement: {verdict.credential['credentialSubject']['achievement']['name']}")
        click.echo(f"  valid from:  {verdict.credential.get('validFrom')}")
    for problem in verdict.problems:
        click.echo(f"  problem: {problem}")
    if verdict.revoked:
        click.echo("  REVOKED by the issuer")
    click.echo("valid" if verdict.valid else "NOT valid")
    if not verdict.valid:
        raise SystemExit(1)


COMMANDS = [badges]
