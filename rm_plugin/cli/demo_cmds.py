"""``rm-plugin demo``: run the whole product on the embedded defaults."""

from __future__ import annotations

from pathlib import Path

import click

from rm_plugin.demo import run_demo


@click.command(short_help="Run the whole product on a sample organisation.")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def demo(directory: Path | None) -> None:
    """Run the demo in a temporary site, or in DIRECTORY (created if needed, then kept)."""
    result = run_demo(directory, echo=click.echo)
    if result.kept:
        click.echo(f"\nthe demo site is kept in {result.site_root}:")
        click.echo(f"  what the files host received: {result.files_host_dir}")
        click.echo(f"  look around: rm-plugin --site {result.site_root} programme show rm-2026")
        click.echo(f"               rm-plugin --site {result.site_root} sync status")
    else:
        click.echo("\nthe temporary site was removed; `rm-plugin demo DIR` keeps one in DIR")


COMMANDS = [demo]
