"""``rm-plugin moodle …``: what an admin pastes into Moodle, and who has no Moodle account."""

from __future__ import annotations

import click

from rm_plugin.connectors.moodle.functions import BY_NAME, CAPABILITIES, required_functions
from rm_plugin.http import HostError


@click.group("moodle")
def moodle() -> None:
    """Set up and inspect Moodle connections."""


@moodle.command("functions", short_help="Print the web-service functions the token needs.")
@click.option("--capabilities", is_flag=True, help="List the integration role's capabilities instead.")
@click.option("--explain", is_flag=True, help="Say what each one is for (and, for capabilities, when).")
def functions(capabilities: bool, explain: bool) -> None:
    """Print the web-service functions to add to the external service, one per line."""
    if capabilities:
        for capability in CAPABILITIES:
            why = f"{capability.why} ({capability.when})"
            click.echo(f"{capability.name}  # {why}" if explain else capability.name)
        return
    for name in required_functions():
        click.echo(f"{name}  # {BY_NAME[name].purpose}" if explain else name)


@moodle.command("accounts", short_help="List active people without a Moodle account.")
@click.option("--connection", "connection_name", help="The Moodle connection (default: every enabled one).")
@click.pass_obj
def accounts(handle: object, connection_name: str | None) -> None:
    """Match every active person to a Moodle account and list those without one."""
    from rm_plugin.connectors.moodle.connection import MoodleConnection

    site = handle.site  # type: ignore[attr-defined]
    names = [c.name for c in site.enabled_connections() if c.type == "moodle"]
    if connection_name:
        if connection_name not in names:
            raise click.ClickException(
                f"no enabled Moodle connection named {connection_name!r}; have: {', '.join(names) or 'none'}"
            )
        names = [connection_name]
    missing_total = 0
    failed = 0
    people = None
    for name in names:
        plugin = site.pm.get_plugin(f"connection:{name}")
        assert isinstance(plugin, MoodleConnection)
        directory = plugin.context.accounts
        if people is None:
            people = directory.active_people() if directory is not None else []
        try:
            result = plugin.accounts.resolve(people)
        except HostError as exc:
            # one readable line per connection, as `check` prints it; the other connections still run
            click.echo(f"error: {name}: {plugin.explain(exc)}", err=True)
            failed += 1
            continue
        click.echo(
            f"{name}: {len(result.found)} of {len(people)} people matched ({result.lookups} lookup call(s))"
        )
        for hr_id, why in sorted(result.missing.items()):
            click.echo(f"  no account: {hr_id}: {why}")
        missing_total += len(result.missing)
    if missing_total or failed:
        raise SystemExit(1)
