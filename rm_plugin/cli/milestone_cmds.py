"""``rm-plugin milestone``: report the milestones only a host or an admin can know of.

A ``reported`` milestone (the default one is ``orientation_completed``, a prerequisite LMS
course) has no rule rm-plugin can check itself; the admin reports it here once the LMS
shows the course complete, and the pair's other milestones are re-checked at once.
"""

from __future__ import annotations

import click

from rm_plugin.cli.acting import parse_date
from rm_plugin.cli.context import SiteHandle, pass_site
from rm_plugin.programme import milestones
from rm_plugin.unit_of_work import unit_of_work


@click.group(short_help="Milestones pairs reach; report one by hand.")
def milestone() -> None:
    """Milestones pairs reach; most are reached by what the pair does, some are reported."""


@milestone.command("report", short_help="Report that a person reached a milestone.")
@click.argument("programme_slug", metavar="PROGRAMME")
@click.argument("key", metavar="MILESTONE")
@click.option("--person", "hr_id", required=True, metavar="HR_ID", help="Who reached it.")
@click.option("--on", "on", metavar="DATE", help="When (YYYY-MM-DD; default today).")
@pass_site
def report(handle: SiteHandle, programme_slug: str, key: str, hr_id: str, on: str | None) -> None:
    """Report that HR_ID reached MILESTONE (e.g. completed the orientation course in the LMS)."""
    day = parse_date(on, "--on")
    with unit_of_work(handle.site) as work:
        done = milestones.report_for_person(work, programme_slug, key, hr_id, day)
        day = day or work.today
    if done.fresh:
        click.echo(f"{hr_id} reached {key} on {day} (pair {done.pair_id})")
    else:
        click.echo(f"{hr_id} had already reached {key} (pair {done.pair_id}); nothing new recorded for it")
    for reached, who in done.also:
        click.echo(f"  so {who} also reached {reached}")


COMMANDS = [milestone]
