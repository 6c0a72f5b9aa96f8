"""A site: the directory an admin owns (``rm-plugin.toml``, ``connectors/``, ``hooks/``, ``exports/``).

Loading a site validates every config file first and reports every problem at once; only a
site with no problem gets its plugins, connections and database.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pluggy
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from rm_plugin.config import ConfigError, ConfigProblem, read_toml, resolve_references, validate
from rm_plugin.config.site_schema import ConnectionBase, SiteConfigSchema, database_url_problem
from rm_plugin.connections import ConnectionContext, ConnectorType
from rm_plugin.errors import UserError
from rm_plugin.logs import remember_secrets
from rm_plugin.people.accounts import StoredAccounts
from rm_plugin.plugins import PluginError, make_plugin_manager, register
from rm_plugin.store import Database
from rm_plugin.store.connector_state import StoredState
from rm_plugin.store.database import DatabaseUnavailable

SITE_FILE = "rm-plugin.toml"
SITE_ENV = "RM_PLUGIN_SITE"
DATABASE_ENV = "RM_PLUGIN_DATABASE_URL"


class SiteNotFound(UserError):
    """No ``rm-plugin.toml`` where the site was looked for; the message says where and what to do."""


def create_site(directory: Path) -> None:
    """Copy the site template into ``directory`` (what ``rm-plugin init`` writes), keeping what is there."""
    template = resources.files("rm_plugin") / "site_template"
    with resources.as_file(template) as source:
        shutil.copytree(source, directory, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))


def find_site_root(explicit: str | Path | None = None) -> Path:
    """The site from ``--site``, else ``RM_PLUGIN_SITE``, else the current directory."""
    chosen = explicit or os.environ.get(SITE_ENV) or Path.cwd()
    root = Path(chosen).expanduser().resolve()
    if not (root / SITE_FILE).is_file():
        raise SiteNotFound(
            f"{root} is not an rm-plugin site (no {SITE_FILE}); create one with `rm-plugin init {root}` "
            f"or point to one with --site or {SITE_ENV}"
        )
    return root


@dataclass(frozen=True)
class ConnectionConfig:
    """One ``connectors/<name>.toml``: its type, whether it is enabled, and its validated values."""

    name: str
    type: str
    enabled: bool
    file: str  # relative to the site
    values: Mapping[str, Any] = field(default_factory=dict)


class Site:
    """A loaded site. Use :meth:`load`; every config problem is raised together as ConfigError."""

    def __init__(
        self,
        root: Path,
        config: Mapping[str, Any],
        pm: pluggy.PluginManager,
        connector_types: Mapping[str, ConnectorType],
        connections: Mapping[str, ConnectionConfig],
    ) -> None:
        self.root = root
        self.config = config
        self.pm = pm
        self.connector_types = dict(connector_types)
        self.connections = dict(connections)

    # --- loading ---------------------------------------------------------------------

    @classmethod
    def load(cls, root: str | os.PathLike[str], *, load_entrypoints: bool = True) -> Site:
        """Read and check every config file of the site at ``root``, then build its plugins.

        Each enabled connection becomes a plugin object of its own, given a
        :class:`~rm_plugin.connections.ConnectionContext` with the site's account directory and
        its own state store. The database is opened (and migrated) on first use, not here.

        :raises ConfigError: with every problem of every file at once.
        :raises PluginError: a plugin cannot be loaded or implements an unknown hook.
        """
        root = Path(root)
        problems: list[ConfigProblem] = []
        raw, found = read_toml(root / SITE_FILE, SITE_FILE)
        problems += found
        resolved, found = resolve_references(raw, SITE_FILE, root)
        problems += found
        config, found = validate(SiteConfigSchema(), resolved, SITE_FILE)
        problems += found
        if problems:
            # Still check the connector files, so an admin sees every mistake in one pass.
            try:
                types = _connector_types(make_plugin_manager(root, load_entrypoints=load_entrypoints))
            except PluginError:
                raise ConfigError(problems) from None
            for path in sorted((root / "connectors").glob("*.toml")):
                problems += _load_connection(root, path, types)[1]
            raise ConfigError(problems)

        pm = make_plugin_manager(
            root, blocked=config["plugins"]["disabled"], load_entrypoints=load_entrypoints
        )
        types = _connector_types(pm)
        connections: dict[str, ConnectionConfig] = {}
        for path in sorted((root / "connectors").glob("*.toml")):
            connection, found = _load_connection(root, path, types)
            problems += found
            if connection is not None:
                connections[connection.name] = connection
        if problems:
            raise ConfigError(problems)

        site = cls(root, config, pm, types, connections)
        accounts = StoredAccounts(lambda: site.database)
        for connection in connections.values():
            if connection.enabled:
                context = ConnectionContext(
                    name=connection.name,
                    config_file=root / connection.file,
                    site_root=root,
                    output_dir=site.output_dir,
                    accounts=accounts,
                    state=StoredState(lambda: site.database, connection.name),
                )
                plugin = types[connection.type].factory(context, connection.values)
                register(pm, plugin, f"connection:{connection.name}", f"connection {connection.file}")
        return site

    # --- what the site provides ------------------------------------------------------

    @property
    def hook(self) -> Any:
        """The plugin manager's hook relay; services call hooks through it, commands never do."""
        return self.pm.hook

    @property
    def name(self) -> str:
        return str(self.config["site"]["name"])

    @property
    def programme_defaults(self) -> Mapping[str, Any]:
        return self.config["programme_defaults"]

    @property
    def output_dir(self) -> Path:
        out = Path(self.config["output"]["dir"]).expanduser()
        return out if out.is_absolute() else self.root / out

    @property
    def exports_dir(self) -> Path:
        return self.root / "exports"

    @property
    def database_url(self) -> str:
        """The database URL (``RM_PLUGIN_DATABASE_URL`` first); it may hold a password: never print it."""
        return database_url(self.root, self.config)

    @functools.cached_property
    def database(self) -> Database:
        """The site's database, migrated to the newest schema on first use."""
        return migrated_database(self.database_url)

    def enabled_connections(self, role: str | None = None) -> list[ConnectionConfig]:
        """The connections whose file says ``enabled = true``, in file-name order.

        :param role: only those whose connector type has this role: ``people`` (an HR source),
            ``progress`` (enrolments, completions, awards), ``notify`` or ``calendar``.
        """
        return [
            c
            for c in self.connections.values()
            if c.enabled and (role is None or role in self.connector_types[c.type].roles)
        ]

    def close(self) -> None:
        """Release the database's connections, if it was opened."""
        if "database" in self.__dict__:
            self.database.dispose()


def read_site_config(root: Path) -> dict[str, Any]:
    """Only ``rm-plugin.toml``, validated: what needs no connector (e.g. ``db upgrade``)."""
    raw, problems = read_toml(root / SITE_FILE, SITE_FILE)
    resolved, found = resolve_references(raw, SITE_FILE, root)
    config, more = validate(SiteConfigSchema(), resolved, SITE_FILE)
    if problems + found + more:
        raise ConfigError(problems + found + more)
    return config


def open_database(root: Path) -> Database:
    """The site's database alone, migrated: reading ``rm-plugin.toml`` only, so no connector is
    loaded and no host secret (``MOODLE_TOKEN`` …) is needed."""
    return migrated_database(database_url(root, read_site_config(root)))


def migrated_database(url: str) -> Database:
    """The database at ``url``, migrated; an error names it without its password."""
    shown = make_url(url).render_as_string(hide_password=True)
    try:
        db = Database(url)
        db.upgrade()
    except (SQLAlchemyError, ImportError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise DatabaseUnavailable(
            f"cannot open the database {shown}: {reason} (check [database] url in {SITE_FILE} "
            f"or {DATABASE_ENV})"
        ) from None
    return db


def connection_names(root: Path) -> list[str]:
    """The connections the site's ``connectors/`` folder names, enabled or not (files not read)."""
    return sorted(path.stem for path in (root / "connectors").glob("*.toml"))


def database_url(root: Path, config: Mapping[str, Any]) -> str:
    """The database URL (``RM_PLUGIN_DATABASE_URL`` first); a relative SQLite file lives in the site."""
    url = os.environ.get(DATABASE_ENV) or config["database"]["url"]
    problem = database_url_problem(url)
    if problem:
        where = ConfigProblem("environment", DATABASE_ENV, problem)
        if not os.environ.get(DATABASE_ENV):
            where = ConfigProblem(SITE_FILE, "database.url", problem)
        raise ConfigError([where])
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        db_path = Path(parsed.database).expanduser()
        if not db_path.is_absolute():
            url = parsed.set(database=str(root / db_path)).render_as_string(hide_password=False)
    return url


def _connector_types(pm: pluggy.PluginManager) -> dict[str, ConnectorType]:
    types: dict[str, ConnectorType] = {}

    def add_type(connector_type: ConnectorType) -> None:
        types[connector_type.name] = connector_type

    pm.hook.rm_register_connector_types(register=add_type)
    return types


def _load_connection(
    root: Path, path: Path, types: Mapping[str, ConnectorType]
) -> tuple[ConnectionConfig | None, list[ConfigProblem]]:
    shown_as = str(path.relative_to(root))
    raw, problems = read_toml(path, shown_as)
    if problems:
        return None, problems
    type_name = raw.get("type", path.stem)
    enabled = raw.get("enabled", True)
    if not isinstance(type_name, str) or type_name not in types:
        known = ", ".join(sorted(types)) or "none"
        return None, [
            ConfigProblem(shown_as, "type", f"unknown connector type {type_name!r}; known: {known}")
        ]
    if not isinstance(enabled, bool):
        return None, [ConfigProblem(shown_as, "enabled", "expected true or false")]
    if not enabled:  # a disabled connection may name secrets that are not set here
        return ConnectionConfig(path.stem, type_name, False, shown_as), []
    resolved, problems = resolve_references(raw, shown_as, root)
    base_keys = set(ConnectionBase().fields)
    own = {k: v for k, v in resolved.items() if k not in base_keys}
    values, found = validate(types[type_name].schema(), own, shown_as)
    problems += found
    remember_secrets(values)
    if problems:
        return None, problems
    return ConnectionConfig(path.stem, type_name, True, shown_as, values), []
