"""Each person's data rights and retention: ``people export``, ``people erase``, ``retention run``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from rm_plugin.cli.context import SiteHandle, pass_site
from rm_plugin.cli.people_cmds import people
from rm_plugin.people import data_rights
from rm_plugin.programme import retention as retention_service


@people.command("export", short_help="Every record about a person, as JSON.")
@click.argument("hr_id")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file, readable by you only (default: standard output, when it is not a terminal).",
)
@pass_site
def export(handle: SiteHandle, hr_id: str, out: Path | None) -> None:
    """Every record about a person, as JSON: their own notes included, other people's left out."""
    if out is None and sys.stdout.isatty():
        # Notes and personal details scrolled onto a shared screen or into a terminal's history.
        raise click.UsageError("this is personal data: give --out FILE, or redirect the output to a file")
    text = json.dumps(data_rights.export_for(handle.site, hr_id), indent=2, ensure_ascii=False) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    with os.fdopen(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as fh:
        fh.write(text)
    click.echo(f"wrote {out} (readable by you only: it holds personal data)", err=True)


@people.command("erase", short_help="Erase a person's data (pseudonymised in figures).")
@click.argument("hr_id")
@click.option("--by", "by", required=True, help="Who erases (your HR id or name); the audit log keeps it.")
@click.option(
    "--revoke", is_flag=True, help="Also revoke the person's credentials (default: they stay valid)."
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_site
def erase(handle: SiteHandle, hr_id: str, by: str, revoke: bool, yes: bool) -> None:
    """Erase a person: free text and notes removed, the person pseudonymised where figures count them."""
    data_rights.erasable_for(handle.site, hr_id, by=by)  # refused before anyone is asked to confirm
    if not yes:
        click.confirm(f"Erase {hr_id}? This cannot be undone", abort=True)
    done = data_rights.erase_for(handle.site, hr_id, by=by, revoke=revoke)
    click.echo(f"erased {hr_id}; now {done.pseudonym} in pairs, meetings and surveys")
    changed = ", ".join(f"{table} {count}" for table, count in sorted(done.rows_changed.items()) if count)
    click.echo(f"  rows changed: {changed or 'none'}")
    click.echo(f"  credentials: {done.credentials_kept} kept valid, {done.credentials_revoked} revoked")
    if done.deliveries_stopped:
        click.echo(f"  {done.deliveries_stopped} pending host deliveries stopped")


@click.group(short_help="Delete notes and free text past their retention.")
def retention() -> None:
    """Deleting private notes and survey free text once their retention time is over."""


@retention.command("run", short_help="Delete what each programme's retention_days says.")
@click.option("--dry-run", is_flag=True, help="Only show what would be deleted.")
@pass_site
def run(handle: SiteHandle, dry_run: bool) -> None:
    """Delete what every programme's retention_days says must go (default 90 days after a pair ends)."""
    report = retention_service.run_for(handle.site, dry_run=dry_run)
    for line in report.lines():
        click.echo(line)


COMMANDS = [people, retention]
