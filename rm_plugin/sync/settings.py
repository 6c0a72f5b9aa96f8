"""Per-connection sync settings read from ``connectors/<name>.toml`` (the keys every connector has)."""

from __future__ import annotations

from pathlib import Path

from marshmallow import EXCLUDE

from rm_plugin.config import ConfigError, read_toml, validate
from rm_plugin.config.site_schema import ConnectionBase
from rm_plugin.errors import UserError
from rm_plugin.site import Site, connection_names

DEFAULT_CONCURRENCY = int(ConnectionBase().fields["concurrency"].load_default)


def connection_concurrency(site: Site, connection: str) -> int:
    """How many deliveries may be in flight to ``connection`` at once (its ``concurrency`` key).

    A name with no config file (rows left for a connection since removed) gets 1: those rows
    are parked at once, so there is nothing to parallelise.
    """
    config = site.connections.get(connection)
    if config is None:
        return 1
    raw, problems = read_toml(site.root / config.file, config.file)
    if not problems:
        values, problems = validate(ConnectionBase(unknown=EXCLUDE), raw, config.file)
    if problems:
        raise ConfigError(problems)
    return int(values["concurrency"])


def require_connection(site: Site, name: str, *, enabled: bool) -> None:
    """A misspelt connection name is an error, not a quiet run that does nothing.

    With ``enabled``, a connection whose file says ``enabled = false`` is refused too.
    """
    known = site.connections.get(name)
    if known is None:
        names = ", ".join(sorted(site.connections)) or "none"
        raise UserError(f"no connection {name!r} in connectors/ (known: {names})")
    if enabled and not known.enabled:
        raise UserError(f"connection {name!r} is disabled ({known.file}: enabled = false)")


def require_known_connection(root: Path, name: str) -> None:
    """Like :func:`require_connection`, from the file names alone (no connector file is read)."""
    names = connection_names(root)
    if name not in names:
        raise UserError(f"no connection {name!r} in connectors/ (known: {', '.join(names) or 'none'})")
