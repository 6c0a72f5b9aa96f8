"""``rm-plugin milestone``: report the milestones only a host or an admin can know of.

A ``reported`` milestone (the default one is ``orientation_completed``, a prerequisite LMS
course) has no rule rm-plugin can check itself; the admin reports it here once the LMS
shows the course complete, and the pair's other milestones are re-checked at once.
"""

from __future__ import annotations

import click

from rm_plugin.cli.acting import parse_date, resolve_pair, today_in, unit_of_work
from rm_plugin.cli.context import SiteHandle, pass_site
from rm_plugin.errors import ProgrammeError
from rm_plugin.programme import lookups, milestones


@click.group()
def milestone() -> None:
    """Milestones pairs reach; most are reached by what the pair does, some are reported."""


@milestone.command("report")
@click.argument("programme_slug", metavar="PROGRAMME")
@click.argument("key", metavar="MILESTONE")
@click.option("--person", "hr_id", required=True, metavar="HR_ID", help="Who reached it.")
@click.option("--on", "on", metavar="DATE", help="When (YYYY-MM-DD; default today).")
@pass_site
def report(handle: SiteHandle, programme_slug: str, key: str, hr_id: str, on: str | None) -> None:
    """Report that HR_ID reached MILESTONE (e.g. completed the orientation course in the LMS)."""
    site = handle.site
    today = today_in(site)
    day = parse_date(on, "--on") or today
    with unit_of_work(site) as (session, ctx):
        if day > today:
            raise ProgrammeError(
                f"--on {day} is in the future (today is {today}); report it once it happened"
            )
        lookups.programme(session, programme_slug)
        pair_id = resolve_pair(session, hr_id, None, programme_slug)
        before = set(milestones.reached_by(session, pair_id))
        fresh = milestones.report_milestone(session, ctx, pair_id, key, hr_id, day)
        newly = [row for row in milestones.reached_by(session, pair_id) if row not in before]
    if fresh:
        click.echo(f"{hr_id} reached {key} on {day} (pair {pair_id})")
    else:
        click.echo(f"{hr_id} had already reached {key} (pair {pair_id}); nothing new recorded for it")
    for reached, who, _ in newly:
        if reached != key:
            click.echo(f"  so {who} also reached {reached}")


COMMANDS = [milestone]
