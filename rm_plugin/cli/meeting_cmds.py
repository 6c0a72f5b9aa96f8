"""``rm-plugin meeting``: log and confirm meetings, list them for the pair, nudge pairs at risk."""

from __future__ import annotations

import click

from rm_plugin.cli.acting import as_option, pair_options, parse_date
from rm_plugin.cli.context import SiteHandle, pass_site
from rm_plugin.programme import meetings, nudges
from rm_plugin.unit_of_work import unit_of_work


@click.group()
def meeting() -> None:
    """Meetings of a pair: one logs it, the other confirms it."""


@meeting.command("log")
@as_option()
@pair_options
@click.option("--date", "held_on", required=True, help="When it was held (YYYY-MM-DD).")
@click.option("--minutes", type=int, required=True, help="How long it lasted.")
@click.option("--mode", type=click.Choice(meetings.MODES), required=True)
@click.option("--topic", "topics", multiple=True, help="A topic discussed (repeatable).")
@click.option("--note", default="", help="A private note only the pair will ever see.")
@pass_site
def log_command(
    handle: SiteHandle,
    as_hr_id: str,
    pair_id: int | None,
    programme_slug: str | None,
    held_on: str,
    minutes: int,
    mode: str,
    topics: tuple[str, ...],
    note: str,
) -> None:
    """Log a meeting you held; the other member of the pair confirms it."""
    day = parse_date(held_on, "--date")
    assert day is not None
    with unit_of_work(handle.site) as work:
        logged = meetings.log_as_member(
            work, as_hr_id, held_on=day, minutes=minutes, mode=mode, topics=topics, private_note=note,
            pair_id=pair_id, programme_slug=programme_slug,
        )  # fmt: skip
    click.echo(
        f"logged meeting {logged.meeting_id} of pair {logged.pair_id} on {day}; the other member confirms it"
    )


@meeting.command("confirm")
@as_option()
@click.argument("meeting_id", type=int)
@pass_site
def confirm(handle: SiteHandle, as_hr_id: str, meeting_id: int) -> None:
    """Confirm a meeting the other member of your pair logged."""
    with unit_of_work(handle.site) as work:
        meetings.confirm_as_member(work, as_hr_id, meeting_id)
    click.echo(f"confirmed meeting {meeting_id}")


@meeting.command("list")
@as_option()
@pair_options
@click.option("--notes", is_flag=True, help="Show the private notes too (members of the pair only).")
@pass_site
def list_command(
    handle: SiteHandle, as_hr_id: str, pair_id: int | None, programme_slug: str | None, notes: bool
) -> None:
    """List your pair's meetings."""
    with unit_of_work(handle.site) as work:
        found = meetings.list_for_member(work, as_hr_id, pair_id=pair_id, programme_slug=programme_slug)
    for row in found.meetings:
        m = row.meeting
        state = "confirmed" if m.confirmed else "awaiting confirmation"
        click.echo(f"{m.id}\t{m.held_on}\t{m.minutes} min\t{m.mode}\t{', '.join(m.topics)}\t{state}")
        if notes and row.private_note:
            click.echo(f"\tnote: {row.private_note}")


@meeting.command("at-risk", short_help="Pairs at risk and why; changes nothing.")
@click.argument("programme_slug", metavar="PROGRAMME")
@click.option("--today", help="The date to judge on (default: today); a later one looks ahead.")
@pass_site
def at_risk(handle: SiteHandle, programme_slug: str, today: str | None) -> None:
    """Pairs at risk and why, what they were sent, and what `meeting nudge` would send; changes nothing."""
    day = parse_date(today, "--today")
    with unit_of_work(handle.site) as work:
        risks = nudges.at_risk_pairs(work, programme_slug, day)
    if not risks:
        click.echo(f"no pair of {programme_slug} is at risk")
        return
    for risk in risks:
        sent = ", ".join(f"{level} {day}" for level, day in risk.sent) or "nothing yet"
        would = risk.sends or "nothing new"
        click.echo(f"pair {risk.pair_id} ({risk.mentee} with {risk.mentor}): {risk.reason}")
        click.echo(f"    sent: {sent}; next nudge run sends: {would}")
        for note in risk.notes:
            click.echo(f"    note: {note}")
    click.echo(f"{len(risks)} pair(s) at risk")


@meeting.command("nudge", short_help="Nudge pairs that have not met for too long.")
@click.argument("programme_slug", metavar="PROGRAMME")
@click.option("--today", help="The date to judge lapses on (default: today; not later).")
@click.option("--dry-run", is_flag=True, help="Only say what would be sent; record and send nothing.")
@pass_site
def nudge(handle: SiteHandle, programme_slug: str, today: str | None, dry_run: bool) -> None:
    """Nudge pairs that have not met for 1.5× their cadence: mentee, then both, then the admin.

    Pairs whose agreement is not signed by both cannot meet yet: they are reminded to sign.
    """
    day = parse_date(today, "--today")
    with unit_of_work(handle.site) as work:
        run = nudges.nudge_programme(work, programme_slug, day, dry_run=dry_run)
    verb = "would be queued (dry run: nothing sent or recorded)" if dry_run else "queued"
    click.echo(f"{run.at_risk} pair(s) at risk; {len(run.sent)} nudge(s) {verb}")
    for pair_id, level in run.sent:
        click.echo(f"pair {pair_id}: {level}")


COMMANDS = [meeting]
