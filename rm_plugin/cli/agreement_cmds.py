"""``rm-plugin agreement``: draft, show, edit, sign and export pair agreements."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from rm_plugin.cli.acting import as_option, pair_options, resolve_pair, today_in, unit_of_work
from rm_plugin.cli.context import SiteHandle, pass_site
from rm_plugin.errors import ProgrammeError
from rm_plugin.programme import agreements, lookups
from rm_plugin.store.models import Agreement, Pair


@click.group()
def agreement() -> None:
    """Pair agreements: purpose, goals, norms, schedule; both parties sign."""


@agreement.command("draft")
@click.argument("programme_slug", metavar="PROGRAMME")
@pass_site
def draft(handle: SiteHandle, programme_slug: str) -> None:
    """Draft an agreement for every active pair of PROGRAMME that has none."""
    site = handle.site
    with unit_of_work(site) as (session, ctx):
        programme = lookups.programme(session, programme_slug)
        pairs = session.scalars(
            select(Pair).where(Pair.programme_id == programme.id, Pair.status == "active")
        )
        count = 0
        for pair in pairs:
            before = session.scalar(select(Agreement.id).where(Agreement.pair_id == pair.id))
            agreements.draft_agreement(session, ctx, pair.id, today_in(site))
            count += before is None
    click.echo(f"drafted {count} agreement(s) in {programme_slug}")


@agreement.command("show")
@as_option()
@pair_options
@click.option("--version", type=int, help="An earlier version (default: the current one).")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True)
@pass_site
def show(
    handle: SiteHandle,
    as_hr_id: str,
    pair_id: int | None,
    programme_slug: str | None,
    version: int | None,
    fmt: str,
) -> None:
    """Show a pair's agreement (drafted on first look) to one of its members."""
    site = handle.site
    with unit_of_work(site) as (session, ctx):
        pair_id = resolve_pair(session, as_hr_id, pair_id, programme_slug)
        lookups.member(session, lookups.pair(session, pair_id), as_hr_id)
        agreements.draft_agreement(session, ctx, pair_id, today_in(site))
        view = agreements.agreement_view(session, pair_id, version)
        text = json.dumps(view, indent=2) if fmt == "json" else agreements.render_agreement(ctx, view, fmt)
    click.echo(text.rstrip("\n"))


def _parse_set(items: tuple[str, ...]) -> dict[str, Any]:
    """``field=value`` and ``norms.x=value`` / ``schedule.x=value``; ``goals=a,b`` lists skills."""
    changes: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep:
            raise click.BadParameter(f"expected FIELD=VALUE, not {item!r}", param_hint="--set")
        value: Any = raw
        if key == "goals":
            value = [{"skill": s.strip(), "aim": ""} for s in raw.split(",") if s.strip()]
        elif raw.lstrip("-").isdigit():
            value = int(raw)
        if "." in key:
            group, field = key.split(".", 1)
            changes.setdefault(group, {})[field] = value
        else:
            changes[key] = value
    return changes


@agreement.command("edit")
@as_option()
@pair_options
@click.option(
    "--set", "sets", multiple=True, metavar="FIELD=VALUE", help="e.g. schedule.weekday=thu (repeatable)."
)
@click.option(
    "--from-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A JSON object of changes.",
)
@pass_site
def edit(
    handle: SiteHandle,
    as_hr_id: str,
    pair_id: int | None,
    programme_slug: str | None,
    sets: tuple[str, ...],
    from_file: Path | None,
) -> None:
    """Save a new version of the agreement; both must sign it again."""
    changes: dict[str, Any] = {}
    if from_file is not None:
        try:
            loaded = json.loads(from_file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"{from_file}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
        if not isinstance(loaded, dict):
            raise click.ClickException(f"{from_file}: expected a JSON object of fields to change")
        changes.update(loaded)
    changes.update(_parse_set(sets))
    if not changes:
        raise click.UsageError("nothing to change: give --set FIELD=VALUE or --from-file")
    site = handle.site
    with unit_of_work(site) as (session, ctx):
        pair_id = resolve_pair(session, as_hr_id, pair_id, programme_slug)
        version = agreements.edit_agreement(session, ctx, pair_id, as_hr_id, changes)
    click.echo(f"saved version {version} of pair {pair_id}'s agreement; both of you sign it again")


@agreement.command("sign")
@as_option()
@pair_options
@click.option("--version", type=int, help="The version you read (refused if it is no longer current).")
@pass_site
def sign(
    handle: SiteHandle, as_hr_id: str, pair_id: int | None, programme_slug: str | None, version: int | None
) -> None:
    """Sign the current version of the agreement."""
    site = handle.site
    with unit_of_work(site) as (session, ctx):
        pair_id = resolve_pair(session, as_hr_id, pair_id, programme_slug)
        active = agreements.sign_agreement(session, ctx, pair_id, as_hr_id, today_in(site), version)
        current = agreements.get_agreement(session, pair_id).current_version
    if active:
        click.echo(f"signed: version {current} of pair {pair_id}'s agreement is now active")
    else:
        click.echo(f"signed version {current}; waiting for the other party")


@agreement.command("export")
@as_option(required=False)
@pair_options
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Default: <output>/agreements.")
@pass_site
def export(
    handle: SiteHandle,
    as_hr_id: str | None,
    pair_id: int | None,
    programme_slug: str | None,
    out: Path | None,
) -> None:
    """Write the agreement as HTML and Markdown, and its schedule as an .ics file.

    With only --programme, every agreement of that programme is written.
    """
    site = handle.site
    out_dir = out or site.output_dir / "agreements"
    with unit_of_work(site) as (session, ctx):
        if pair_id is None and as_hr_id is None:
            if programme_slug is None:
                raise ProgrammeError(
                    "give --pair, --as, or --programme SLUG for all of a programme's agreements"
                )
            files = agreements.export_programme(session, ctx, programme_slug, out_dir)
        else:
            pair_id = resolve_pair(session, as_hr_id, pair_id, programme_slug)
            files = agreements.export_agreement(session, ctx, pair_id, out_dir)
    for path in files:
        click.echo(str(path))


COMMANDS = [agreement]
