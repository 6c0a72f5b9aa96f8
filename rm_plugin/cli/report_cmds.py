"""``rm-plugin report`` and ``rm-plugin stories``: the programme report, and its success stories."""

from __future__ import annotations

from pathlib import Path

import click

from rm_plugin.cli.acting import as_option, parse_date
from rm_plugin.cli.context import SiteHandle, pass_site, progress_printer
from rm_plugin.reports import export as report_export
from rm_plugin.reports import stories as story_service
from rm_plugin.unit_of_work import unit_of_work

OUT_HELP = "The folder to write into (default: the site's output folder)."


@click.command("report", short_help="Write PROGRAMME's report: metrics and charts.")
@click.argument("programme_slug", metavar="PROGRAMME")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(report_export.FORMATS),
    default="html",
    show_default=True,
    help="html: one self-contained file; csv: a folder of tables; json: one file.",
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help=OUT_HELP)
@click.option("--as-of", "as_of", metavar="DATE", help="Figures as of this day (default: today).")
@pass_site
def report(handle: SiteHandle, programme_slug: str, fmt: str, out: Path | None, as_of: str | None) -> None:
    """Write PROGRAMME's report: metrics, charts, and (csv, json) its pairs and milestones."""
    site = handle.site
    with unit_of_work(site) as work:
        written = report_export.write_report(
            work,
            programme_slug,
            out or site.output_dir,
            fmt,
            parse_date(as_of, "--as-of"),
            progress_printer(),
        )
    shown = sorted({path.parent for path in written.paths}) if fmt == "csv" else written.paths
    for path in shown:
        click.echo(str(path))


def _show(listing: story_service.StoryListing) -> str:
    consents = ", ".join(
        f"{c.role} {c.hr_id}: {c.state}" + (f" ({c.shown_as})" if c.state == "given" else "")
        for c in listing.consents
    )
    ready = "; ready to publish" if listing.publishable and listing.status != "published" else ""
    return (
        f"story {listing.id} (pair {listing.pair_id}) v{listing.version} {listing.status}: "
        f"{listing.title!r}; {consents}{ready}"
    )


@click.group("stories", short_help="Success stories: drafted, consented, published.")
def stories() -> None:
    """Success stories: a member drafts, both consent, the programme's admin publishes."""


def _text_options(func):  # type: ignore[no-untyped-def]
    func = click.option("--changed", help="What changed for you (at work, in the team).")(func)
    func = click.option("--learned", help="What you learned.")(func)
    return click.option("--title", help="The story's title.")(func)


@stories.command("draft", short_help="Draft your pair's story.")
@click.argument("programme_slug", metavar="PROGRAMME")
@as_option()
@click.option("--pair", "pair_id", type=int, help="The pair, if you are in several.")
@_text_options
@pass_site
def draft(
    handle: SiteHandle,
    programme_slug: str,
    as_hr_id: str,
    pair_id: int | None,
    title: str | None,
    learned: str | None,
    changed: str | None,
) -> None:
    """Draft your pair's story; both of you then consent with `stories consent`."""
    with unit_of_work(handle.site) as work:
        listing = story_service.draft(
            work,
            as_hr_id,
            programme_slug,
            title=title or "",
            learned=learned or "",
            changed=changed or "",
            pair_id=pair_id,
        )
    click.echo(_show(listing))


@stories.command("edit", short_help="Change a story; both members consent again.")
@click.argument("programme_slug", metavar="PROGRAMME")
@as_option()
@click.option("--pair", "pair_id", type=int, help="The pair, if you are in several.")
@click.option("--story", "story_id", type=int, help="The admin: the story to edit.")
@_text_options
@pass_site
def edit(
    handle: SiteHandle,
    programme_slug: str,
    as_hr_id: str,
    pair_id: int | None,
    story_id: int | None,
    title: str | None,
    learned: str | None,
    changed: str | None,
) -> None:
    """Change a story (a member: their pair's; the admin: --story); both members consent again."""
    with unit_of_work(handle.site) as work:
        listing = story_service.edit(
            work,
            as_hr_id,
            programme_slug,
            story_id=story_id,
            pair_id=pair_id,
            title=title,
            learned=learned,
            changed=changed,
        )
    click.echo(_show(listing))


@stories.command("consent")
@click.argument("programme_slug", metavar="PROGRAMME")
@as_option()
@click.option("--pair", "pair_id", type=int, help="The pair, if you are in several.")
@click.option(
    "--show",
    "shown_as",
    type=click.Choice(story_service.SHOWN_AS),
    required=True,
    help="name: your name and job title are shown; anonymous: only 'the mentee' or 'the mentor'.",
)
@pass_site
def consent(
    handle: SiteHandle, programme_slug: str, as_hr_id: str, pair_id: int | None, shown_as: str
) -> None:
    """Consent to publishing the current version of your pair's story."""
    with unit_of_work(handle.site) as work:
        listing = story_service.consent(work, as_hr_id, programme_slug, shown_as, pair_id=pair_id)
    click.echo(_show(listing))


@stories.command("withdraw")
@click.argument("programme_slug", metavar="PROGRAMME")
@as_option()
@click.option("--pair", "pair_id", type=int, help="The pair, if you are in several.")
@pass_site
def withdraw(handle: SiteHandle, programme_slug: str, as_hr_id: str, pair_id: int | None) -> None:
    """Withdraw your consent; a published story is unpublished at once."""
    with unit_of_work(handle.site) as work:
        listing = story_service.withdraw(work, as_hr_id, programme_slug, pair_id=pair_id)
    click.echo(_show(listing))


@stories.command("publish")
@click.argument("programme_slug", metavar="PROGRAMME")
@as_option()
@click.option("--story", "story_id", type=int, required=True, help="The story to publish.")
@pass_site
def publish(handle: SiteHandle, programme_slug: str, as_hr_id: str, story_id: int) -> None:
    """The programme's admin publishes a story both members consented to."""
    with unit_of_work(handle.site) as work:
        listing = story_service.publish(work, as_hr_id, programme_slug, story_id)
    click.echo(_show(listing))


@stories.command("list", short_help="A programme's stories and their consents.")
@click.argument("programme_slug", metavar="PROGRAMME")
@as_option()
@pass_site
def list_stories(handle: SiteHandle, programme_slug: str, as_hr_id: str) -> None:
    """The programme's stories with their consents (the admin sees all, a member their own)."""
    with unit_of_work(handle.site) as work:
        listings = story_service.list_stories(work, as_hr_id, programme_slug)
    for listing in listings:
        click.echo(_show(listing))
    if not listings:
        click.echo(
            f"no stories in {programme_slug} that {as_hr_id} may see (its admin sees all, a member their own)"
        )


@stories.command("export", short_help="Write published stories as a newsletter and page.")
@click.argument("programme_slug", metavar="PROGRAMME")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help=OUT_HELP)
@pass_site
def export(handle: SiteHandle, programme_slug: str, out: Path | None) -> None:
    """Write the published stories as a newsletter issue and an intranet page (HTML and Markdown)."""
    site = handle.site
    with unit_of_work(site) as work:
        paths = story_service.export(work, programme_slug, out or site.output_dir)
    for path in paths:
        click.echo(str(path))


COMMANDS = [report, stories]
