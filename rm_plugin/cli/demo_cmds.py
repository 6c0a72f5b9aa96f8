"""``rm-plugin demo``: run the whole product on the embedded defaults."""

from __future__ import annotations

from pathlib import Path

import click

from rm_plugin.demo import run_demo


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def demo(directory: Path | None) -> None:
    """Run the demo in a temporary site, or in DIRECTORY (created if needed, then kept)."""
    result = run_demo(directory, echo=click.echo)
    if result.kept:
        click.echo(
            f"the demo site is kept in {result.site_root}; try `rm-plugin --site {result.site_root} plugins`"
        )


COMMANDS = [demo]
