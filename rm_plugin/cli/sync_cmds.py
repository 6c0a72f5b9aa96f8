"""``rm-plugin sync``: deliver the outbox to the hosts; ``sync status`` and ``sync retry`` for admins."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence

import click

from rm_plugin.cli.context import SiteHandle, pass_site
from rm_plugin.store.types import utcnow
from rm_plugin.sync.leases import Claimed
from rm_plugin.sync.settings import require_connection, require_known_connection
from rm_plugin.sync.status import COLUMNS, Row, outbox_status, retry_rows
from rm_plugin.sync.worker import SyncOptions, due_count, run_sync


@click.group(invoke_without_command=True, short_help="Deliver what the outbox holds to the hosts.")
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
    for (connection, reason), n in sorted(summary.skip_reasons.items()):
        click.echo(f"  skipped by {connection}: {n} row(s): {reason}")
    if summary.parked or summary.held:
        click.echo("see `rm-plugin sync status` for why rows were parked")


@sync.command(short_help="Counts per connection, and rows that need a look.")
@pass_site
def status(handle: SiteHandle) -> None:
    """Counts per connection and state, and every row that needs a look, with its reason.

    Reads only the database: no connector is loaded and no host secret is needed.
    """
    report = outbox_status(handle.database)
    if not report.counts:
        click.echo("the outbox is empty")
        return
    width = max(len("connection"), *(len(name) for name in report.counts))
    heads = [column.replace("_", " ") for column in COLUMNS]
    click.echo(f"{'connection':<{width}}" + "".join(f"  {h:>9}" for h in heads))
    for name, counts in report.counts.items():
        click.echo(f"{name:<{width}}" + "".join(f"  {counts[c]:>9}" for c in COLUMNS))
    now = utcnow()
    if report.oldest_due is not None:
        click.echo(f"the oldest due row has waited {report.lag(now):.0f} s")
    _rows("parked (fix the cause, then `rm-plugin sync retry ID` or `--all`):", report.parked)
    _rows("held (each follows a parked row, and is tried when that row is retried):", report.held)
    _rows(
        "waiting (backing off, or following a row not done yet; `rm-plugin sync retry ID` tries one now):",
        report.waiting,
        now,
    )
    if report.skipped:
        click.echo("")
        click.echo("skipped by the host (done, nothing written there):")
        for connection, reason, n in report.skipped:
            click.echo(f"  {connection}: {n} row(s): {reason}")


def _rows(title: str, rows: Sequence[Row], now: dt.datetime | None = None) -> None:
    if not rows:
        return
    click.echo("")
    click.echo(title)
    for row in rows:
        when = ""
        if now is not None and row.next_attempt_at is not None:
            when = f" next try in {max((row.next_attempt_at - now).total_seconds(), 0):.0f} s"
        line = f"  #{row.id} {row.connection} {row.action} {row.key} (attempts {row.attempts}){when}"
        click.echo(f"{line}: {row.reason}" if row.reason else line)


@sync.command(short_help="Put parked or waiting rows back in the queue.")
@click.argument("ids", nargs=-1, type=int)
@click.option("-c", "--connection", help="Every parked and waiting row of this connection.")
@click.option("--all", "everything", is_flag=True, help="Every parked and waiting row.")
@click.option(
    "--delivered",
    is_flag=True,
    help="Record the rows IDS as delivered on your word (e.g. a message that reached the host "
    "before the answer timed out); rows that follow them go ahead.",
)
@pass_site
def retry(
    handle: SiteHandle, ids: tuple[int, ...], connection: str | None, everything: bool, delivered: bool
) -> None:
    """Put parked or waiting rows back in the queue, due now (by IDS, --connection or --all).

    Rows held behind a retried row are let go with it. Needs only the database.
    """
    if not ids and connection is None and not everything:
        raise click.UsageError("say which rows to retry: row ids, --connection NAME, or --all")
    if delivered and not ids:
        raise click.UsageError("--delivered needs the ids of the rows to mark (see `rm-plugin sync status`)")
    if connection is not None:
        require_known_connection(handle.root, connection)
    done = retry_rows(
        handle.database, ids=ids, connection=connection, everything=everything, delivered=delivered
    )
    released = f"; {len(done.released)} row(s) that followed them go ahead too" if done.released else ""
    if delivered:
        click.echo(f"marked {len(done.marked)} row(s) delivered{released}")
        return
    if not done.requeued:
        click.echo("no parked or waiting rows matched; nothing was requeued")
        return
    click.echo(f"requeued {len(done.requeued)} row(s){released}; run `rm-plugin sync` to deliver them")


COMMANDS = [sync]
