"""``rm-plugin sync``: deliver the outbox to the hosts; ``sync status`` and ``sync retry`` for admins."""

from __future__ import annotations

import sys

import click

from rm_plugin.cli.context import SiteHandle, pass_site
from rm_plugin.sync.leases import Claimed
from rm_plugin.sync.settings import require_connection
from rm_plugin.sync.status import outbox_status, requeue
from rm_plugin.sync.worker import SyncOptions, due_count, run_sync


@click.group(invoke_without_command=True)
@click.option("-c", "--connection", "connections", multiple=True, help="Only this connection (repeatable).")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    help="Deliveries in flight per host (default: each connector file's `concurrency`, else 4).",
)
@click.pass_context
def sync(ctx: click.Context, connections: tuple[str, ...], concurrency: int | None) -> None:
    """Deliver what the outbox holds to the hosts (enrolments, completions, awards, messages)."""
    if ctx.invoked_subcommand is not None:
        return
    site = ctx.find_object(SiteHandle).site
    for name in connections:
        require_connection(site, name, enabled=True)
    options = SyncOptions(connections=connections or None, concurrency=concurrency)
    if sys.stdout.isatty():
        total = due_count(site.database, options.connections)
        with click.progressbar(length=total, label="syncing", show_pos=True) as bar:

            def advance(_row: Claimed, _outcome: str) -> None:
                bar.update(1)

            summary = run_sync(site, options, advance)
    else:
        summary = run_sync(site, options)
    click.echo(f"sync: {summary}")
    if summary.parked:
        click.echo("see `rm-plugin sync status` for why rows were parked")


@sync.command()
@pass_site
def status(handle: SiteHandle) -> None:
    """Counts per connection and status, and every parked row with its reason."""
    report = outbox_status(handle.site.database)
    if not report.counts:
        click.echo("the outbox is empty")
        return
    width = max(len("connection"), *(len(name) for name in report.counts))
    click.echo(f"{'connection':<{width}}  {'pending':>8}  {'waiting':>8}  {'done':>8}  {'parked':>8}")
    for name, counts in report.counts.items():
        click.echo(
            f"{name:<{width}}  {counts['pending']:>8}  {report.waiting.get(name, 0):>8}  "
            f"{counts['done']:>8}  {counts['parked']:>8}"
        )
    if report.parked:
        click.echo("")
        click.echo("parked (fix the cause, then `rm-plugin sync retry`):")
        for row in report.parked:
            click.echo(
                f"  #{row.id} {row.connection} {row.action} {row.key} (attempts {row.attempts}): {row.reason}"
            )


@sync.command()
@click.argument("ids", nargs=-1, type=int)
@click.option("-c", "--connection", help="Every parked row of this connection.")
@click.option("--all", "everything", is_flag=True, help="Every parked row.")
@pass_site
def retry(handle: SiteHandle, ids: tuple[int, ...], connection: str | None, everything: bool) -> None:
    """Put parked rows back in the queue (by IDS, by --connection, or --all); the next sync tries them."""
    if not ids and connection is None and not everything:
        raise click.UsageError("say which parked rows to retry: row ids, --connection NAME, or --all")
    if connection is not None:
        require_connection(handle.site, connection, enabled=False)
    found = requeue(handle.site.database, ids=ids, connection=connection, everything=everything)
    if not found:
        click.echo("no parked rows matched; nothing was requeued")
        return
    click.echo(f"requeued {len(found)} row(s); run `rm-plugin sync` to deliver them")


COMMANDS = [sync]
