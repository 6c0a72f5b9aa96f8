"""``rm-plugin agreement``: draft, show, edit, sign and export pair agreements."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from rm_plugin.cli.acting import as_option, pair_options
from rm_plugin.cli.context import SiteHandle, pass_site
from rm_plugin.programme import agreement_pages, agreements
from rm_plugin.programme.agreement_body import changes_from_fields
from rm_plugin.unit_of_work import unit_of_work


@click.group(short_help="Pair agreements: goals, norms, schedule; both sign.")
def agreement() -> None:
    """Pair agreements: purpose, goals, norms, schedule; both parties sign."""


@agreement.command("draft", short_help="Draft an agreement for every active pair without one.")
@click.argument("programme_slug", metavar="PROGRAMME")
@pass_site
def draft(handle: SiteHandle, programme_slug: str) -> None:
    """Draft an agreement for every active pair of PROGRAMME that has none."""
    with unit_of_work(handle.site) as work:
        count = agreements.draft_missing(work, programme_slug)
    click.echo(f"drafted {count} agreement(s) in {programme_slug}")


@agreement.command("show", short_help="Show a pair's agreement to a member or an admin.")
@as_option(required=False)
@pair_options
@click.option("--version", type=int, help="An earlier version (default: the current one).")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True)
@pass_site
def show(
    handle: SiteHandle,
    as_hr_id: str | None,
    pair_id: int | None,
    programme_slug: str | None,
    version: int | None,
    fmt: str,
) -> None:
    """Show a pair's agreement to a member (--as; drafted on first look), or to an admin (--pair)."""
    if as_hr_id is None and pair_id is None:
        raise click.UsageError("give --as HR_ID (a member of the pair), or --pair ID to read it as an admin")
    with unit_of_work(handle.site) as work:
        if as_hr_id is None:
            assert pair_id is not None
            shown = agreements.show_to_admin(work, pair_id, version=version)
        else:
            shown = agreements.show_to_member(
                work, as_hr_id, pair_id=pair_id, programme_slug=programme_slug, version=version
            )
        if fmt == "json":
            text = json.dumps(shown.view, indent=2)
        else:
            text = agreements.render_agreement(work.ctx, shown.view, fmt)
    click.echo(text.rstrip("\n"))


@agreement.command("versions", short_help="Every version: who wrote, who signed, what changed.")
@as_option()
@pair_options
@pass_site
def versions(handle: SiteHandle, as_hr_id: str, pair_id: int | None, programme_slug: str | None) -> None:
    """List every version of your pair's agreement: who wrote it, who signed it, what it changed."""
    with unit_of_work(handle.site) as work:
        found = agreement_pages.history(work, as_hr_id, pair_id=pair_id, programme_slug=programme_slug)
    for line, changes in found:
        signed = f"; signed by {', '.join(line.signed_by)}" if line.signed_by else ""
        author = f"by {line.author}" if line.author else "first draft"
        click.echo(f"version {line.version}, {author}, {line.created_at:%Y-%m-%d %H:%M} UTC{signed}")
        for change in changes:
            click.echo(f"  {change.field}: {change.before!r} -> {change.after!r}")


def _fields(items: tuple[str, ...]) -> list[tuple[str, str]]:
    fields = []
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep:
            raise click.BadParameter(f"expected FIELD=VALUE, not {item!r}", param_hint="--set")
        fields.append((key, raw))
    return fields


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
    """Save a new version of the agreement; any signatures start over."""
    changes: dict[str, Any] = {}
    if from_file is not None:
        try:
            loaded = json.loads(from_file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"{from_file}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
        if not isinstance(loaded, dict):
            raise click.ClickException(f"{from_file}: expected a JSON object of fields to change")
        changes.update(loaded)
    changes.update(changes_from_fields(_fields(sets)))
    if not changes:
        raise click.UsageError("nothing to change: give --set FIELD=VALUE or --from-file")
    with unit_of_work(handle.site) as work:
        edited = agreements.edit_as_member(
            work, as_hr_id, changes, pair_id=pair_id, programme_slug=programme_slug
        )
    next_step = (
        "it had been signed, so both of you sign it again"
        if edited.signatures_dropped
        else "both of you sign it when you agree (`rm-plugin agreement sign`)"
    )
    click.echo(f"saved version {edited.version} of pair {edited.pair_id}'s agreement; {next_step}")


@agreement.command("sign")
@as_option()
@pair_options
@click.option("--version", type=int, help="The version you read (refused if it is no longer current).")
@pass_site
def sign(
    handle: SiteHandle, as_hr_id: str, pair_id: int | None, programme_slug: str | None, version: int | None
) -> None:
    """Sign the current version of the agreement."""
    with unit_of_work(handle.site) as work:
        signed = agreements.sign_as_member(
            work, as_hr_id, pair_id=pair_id, programme_slug=programme_slug, version=version
        )
    if signed.active:
        click.echo(f"signed: version {signed.version} of pair {signed.pair_id}'s agreement is now active")
    else:
        click.echo(f"signed version {signed.version}; waiting for the other party")


@agreement.command("export", short_help="Write the agreement (HTML, Markdown) and its .ics.")
@as_option(required=False)
@pair_options
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Default: <output>/agreements.")
@click.option("-v", "--verbose", is_flag=True, help="With only --programme: list every file written.")
@pass_site
def export(
    handle: SiteHandle,
    as_hr_id: str | None,
    pair_id: int | None,
    programme_slug: str | None,
    out: Path | None,
    verbose: bool,
) -> None:
    """Write the agreement as HTML and Markdown, and its schedule as an .ics file.

    With only --programme, every agreement of that programme is written, and the command says how
    many and where (-v lists each file); for one pair it prints the three files.
    """
    site = handle.site
    folder = out or site.output_dir / "agreements"
    with unit_of_work(site) as work:
        files = agreements.export(
            work, folder, hr_id=as_hr_id, pair_id=pair_id, programme_slug=programme_slug
        )
    whole_programme = pair_id is None and as_hr_id is None
    if not whole_programme or verbose:
        for path in files:
            click.echo(str(path))
    if whole_programme:
        count = len({path.stem for path in files})
        click.echo(f"wrote {count} agreement(s) of {programme_slug} (HTML, Markdown, .ics each) to {folder}")


COMMANDS = [agreement]
