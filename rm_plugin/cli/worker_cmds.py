"""``rm-plugin worker``: the long-running service IT runs next to the LMS (see the README's unit file)."""

from __future__ import annotations

import logging
import signal

import click

from rm_plugin.cli.context import SiteHandle, pass_site
from rm_plugin.sync.service import Worker


@click.command(short_help="Deliver the outbox and run scheduled jobs (service).")
@pass_site
def worker(handle: SiteHandle) -> None:
    """Deliver the outbox as rows arrive and run the scheduled jobs, until SIGTERM or Ctrl-C.

    On SIGTERM the deliveries in flight finish, claimed rows not yet started go back to the
    queue, and the process exits 0 with no row left leased. `[worker]` in rm-plugin.toml sets
    the poll, the health report and the jobs.
    """
    service = Worker(handle.site)
    if logging.getLogger().level > logging.INFO:
        logging.getLogger().setLevel(logging.INFO)  # the health line goes to the service's log
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: service.stop())
    service.run()
    click.echo("worker stopped")


COMMANDS = [worker]
