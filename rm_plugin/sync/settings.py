"""Per-connection sync settings read from ``connectors/<name>.toml`` (the keys every connector has)."""

from __future__ import annotations

from marshmallow import EXCLUDE

from rm_plugin.config import ConfigError, read_toml, validate
from rm_plugin.config.site_schema import ConnectionBase
from rm_plugin.site import Site

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
