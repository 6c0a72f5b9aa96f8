"""The plugin manager: built-ins first, then installed distributions, then the site's ``hooks/``.

Discovery order (DESIGN.md §4): the :data:`DEFAULT_PLUGINS` tuple, then every installed
distribution's entry point in the group ``rm_plugin`` (limited by ``RM_PLUGIN_LOAD_PLUGINS``,
a comma-separated allow-list, when set), then each ``hooks/*.py`` of the site. A plugin that
implements a hook name the contract does not know is an error at start.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pluggy

from rm_plugin import hookimpl, hookspecs
from rm_plugin.errors import UserError

if TYPE_CHECKING:
    import click

PROJECT = "rm_plugin"
ENTRY_POINT_GROUP = "rm_plugin"
ALLOW_LIST_ENV = "RM_PLUGIN_LOAD_PLUGINS"

__all__ = ["DEFAULT_PLUGINS", "PluginError", "hookimpl", "make_plugin_manager"]


DEFAULT_PLUGINS: tuple[str, ...] = (
    "rm_plugin.connectors.csv",
    "rm_plugin.connectors.files",
    "rm_plugin.connectors.moodle",
    "rm_plugin.connectors.bamboohr",
    "rm_plugin.connectors.workday",
    "rm_plugin.lti.gradebook",
    "rm_plugin.credentials.connection",
)


class PluginError(UserError):
    """A plugin could not be loaded, or implements a hook the contract does not declare."""


@dataclass(frozen=True)
class PluginOrigin:
    """A registered plugin's name and where it came from."""

    name: str
    origin: str  # "built-in", "entry point <dist> <version>", "site hooks/x.py", "connection …"


def make_plugin_manager(
    site_root: Path | None = None,
    *,
    blocked: Iterable[str] = (),
    load_entrypoints: bool = True,
) -> pluggy.PluginManager:
    """The plugin manager of a site: built-ins, then installed entry points, then the site's ``hooks/``.

    :param site_root: the site whose ``hooks/*.py`` are loaded (``None``: none).
    :param blocked: plugin names the site disabled (``[plugins] disabled``); they are never registered.
    :param load_entrypoints: load installed distributions' ``rm_plugin`` entry points.
    :raises PluginError: a plugin cannot be loaded or implements a hook the contract lacks.
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.origins = {}  # type: ignore[attr-defined]
    for name in blocked:
        pm.set_blocked(name)
    for module_name in DEFAULT_PLUGINS:
        if pm.is_blocked(module_name):
            continue
        _register(pm, importlib.import_module(module_name), module_name, "built-in")
    if load_entrypoints:
        _load_entrypoints(pm)
    if site_root is not None:
        _load_site_hooks(pm, site_root)
    check(pm)
    return pm


def add_commands(group: click.Group, site_root: Path | None) -> None:
    """Let every plugin add commands to ``group`` (``rm_register_commands``).

    The site's own ``hooks/`` are included when they load; a site whose plugins cannot be
    loaded still gets the built-in and installed plugins' commands (``check`` reports why).
    """
    try:
        pm = make_plugin_manager(site_root)
    except PluginError:
        pm = make_plugin_manager(None)
    pm.hook.rm_register_commands(cli=group)


def register(pm: pluggy.PluginManager, plugin: object, name: str, origin: str) -> None:
    """Register one more plugin (a connection object, a test plugin) and check it at once."""
    _register(pm, plugin, name, origin)
    check(pm)


def check(pm: pluggy.PluginManager) -> None:
    """Fail loudly on a misspelt hook name (pluggy's ``check_pending``), naming the plugin."""
    for hook_name in dir(pm.hook):
        if hook_name.startswith("_"):
            continue
        caller = getattr(pm.hook, hook_name)
        if caller.spec is None:
            impls = caller.get_hookimpls()
            names = ", ".join(sorted(impl.plugin_name for impl in impls))
            known = ", ".join(sorted(n for n in dir(hookspecs) if n.startswith("rm_")))
            raise PluginError(
                f"plugin {names} implements {hook_name!r}, which is not an rm-plugin hook "
                f"(misspelt?). Known hooks: {known}"
            )
    pm.check_pending()


def origins(pm: pluggy.PluginManager) -> list[PluginOrigin]:
    """Every registered plugin and where it came from, in registration order (``rm-plugin plugins``)."""
    table: dict[str, str] = pm.origins  # type: ignore[attr-defined]
    return [PluginOrigin(name, table.get(name, "")) for name, _ in pm.list_name_plugin()]


def hooks_of(pm: pluggy.PluginManager, plugin_name: str) -> list[str]:
    """The hooks a registered plugin implements, by name."""
    plugin = pm.get_plugin(plugin_name)
    callers = pm.get_hookcallers(plugin) or []
    return sorted(caller.name for caller in callers)


def _register(pm: pluggy.PluginManager, plugin: object, name: str, origin: str) -> None:
    try:
        pm.register(plugin, name=name)
    except ValueError as exc:
        raise PluginError(f"cannot register plugin {name!r} ({origin}): {exc}") from exc
    pm.origins[name] = origin  # type: ignore[attr-defined]


def _load_entrypoints(pm: pluggy.PluginManager) -> None:
    allow = os.environ.get(ALLOW_LIST_ENV)
    allowed = None if allow is None else {n.strip() for n in allow.split(",") if n.strip()}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if allowed is not None and ep.name not in allowed:
            continue
        if pm.is_blocked(ep.name) or pm.get_plugin(ep.name) is not None:
            continue
        dist = ep.dist
        where = f"entry point of {dist.name} {dist.version}" if dist else "entry point"
        try:
            plugin = ep.load()
        except Exception as exc:
            raise PluginError(f"cannot load plugin {ep.name!r} ({where}): {exc}") from exc
        _register(pm, plugin, ep.name, where)


def _load_site_hooks(pm: pluggy.PluginManager, site_root: Path) -> None:
    hooks_dir = site_root / "hooks"
    if not hooks_dir.is_dir():
        return
    for path in sorted(hooks_dir.glob("*.py")):
        if path.name.startswith("_"):
            continue
        name = f"site:{path.stem}"
        if pm.is_blocked(name) or pm.is_blocked(path.stem):
            continue
        _register(pm, _import_file(path), name, f"site hooks/{path.name}")


def _import_file(path: Path) -> ModuleType:
    module_name = f"rm_plugin_site_hooks.{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise PluginError(f"hooks/{path.name}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise PluginError(f"hooks/{path.name}: failed to load: {type(exc).__name__}: {exc}") from exc
    sys.modules[module_name] = module
    return module
