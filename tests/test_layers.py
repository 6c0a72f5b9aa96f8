"""The import graph follows the data flow: no module reaches up to a later stage.

Run it as a script to print every arrow that goes from a lower layer to a higher one::

    python tests/test_layers.py

Layers, lowest first (a module may import its own layer and any lower one):

``base``        the package itself, logs, secrets, config, the HTTP foundation, template rendering
``domain``      pure rules and the values that cross the hook seam; no I/O
``contract``    the hook specs, the connection contract and the plugin manager
``connectors``  one package per host; they speak only through the contract (never the store)
``store``       models, sessions, migrations, the audit log
``outbox``      the sink every stage writes its facts into
``site``        a loaded site, the unit of work over its database, and the account directory
                the site hands every connection (``people.accounts``: it reads only the store)
``people``      hosts -> people
``enrolment``   people -> programmes and applications
``matching``    applications -> proposed and active pairs
``programme``   pairs -> agreements, meetings, surveys, milestones
``reports``     what a programme achieved, read from every stage before it (metrics, charts,
                exports, the role-reversion watch) and the success stories its pairs tell
``lti``         the LTI 1.3 tool's protocol and records (launch, keys, platforms, grades), no web framework
``credentials`` Open Badges 3.0 issuing, status and verification; above lti, whose key store and
                JOSE adapter it reuses, and below sync, whose worker delivers awards to it
``sync``        outbox -> hosts (the worker), and the health check that reaches every host
``demo``        the sample organisation and the demo run, over the services
``doors``       the command line and the web pages; neither imports the other, except that the
                ``serve`` command starts the web app (:data:`LAUNCHERS`)
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "rm_plugin"

LAYERS: tuple[str, ...] = (
    "base",
    "domain",
    "contract",
    "connectors",
    "store",
    "outbox",
    "site",
    "people",
    "enrolment",
    "matching",
    "programme",
    "reports",
    "lti",
    "credentials",
    "sync",
    "demo",
    "doors",
)

# Module prefix -> layer; the longest matching prefix wins.
PLACES: dict[str, str] = {
    "rm_plugin": "base",
    "rm_plugin.logs": "base",
    "rm_plugin.secret": "base",
    "rm_plugin.errors": "base",
    "rm_plugin.config": "base",
    "rm_plugin.http": "base",
    "rm_plugin.exports": "base",
    "rm_plugin.domain": "domain",
    "rm_plugin.hookspecs": "contract",
    "rm_plugin.connections": "contract",
    "rm_plugin.plugins": "contract",
    "rm_plugin.connectors": "connectors",
    "rm_plugin.store": "store",
    "rm_plugin.outbox": "outbox",
    "rm_plugin.site": "site",
    "rm_plugin.unit_of_work": "site",
    "rm_plugin.people.accounts": "site",
    "rm_plugin.people": "people",
    "rm_plugin.enrolment": "enrolment",
    "rm_plugin.matching": "matching",
    "rm_plugin.programme": "programme",
    "rm_plugin.reports": "reports",
    "rm_plugin.lti": "lti",
    "rm_plugin.credentials": "credentials",
    "rm_plugin.sync": "sync",
    "rm_plugin.health": "sync",
    "rm_plugin.cli": "doors",
    "rm_plugin.web": "doors",
    "rm_plugin.demo": "demo",
    "rm_plugin.sample": "demo",
    "rm_plugin.__main__": "doors",
}


# Door-to-door imports allowed on purpose: the command that runs the portal imports its app factory.
LAUNCHERS: frozenset[tuple[str, str]] = frozenset({("rm_plugin.cli.web_cmds", "rm_plugin.web.app")})


@dataclass(frozen=True, order=True)
class Arrow:
    source: str
    target: str
    line: int

    def __str__(self) -> str:
        return f"{self.source} ({layer_of(self.source)}) -> {self.target} ({layer_of(self.target)})"


def layer_of(module: str) -> str:
    best = max((p for p in PLACES if module == p or module.startswith(p + ".")), key=len)
    return PLACES[best]


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (migrations and the site template excluded)."""
    found: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if "migrations" in parts or "site_template" in parts:
            continue
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(module: str, path: Path, known: set[str]) -> list[tuple[str, int]]:
    """The package modules ``module`` imports, anywhere in the file (type-only imports too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                out.append((full if full in known else base, node.lineno))
    return [(name, line) for name, line in out if name == "rm_plugin" or name.startswith("rm_plugin.")]


def door_of(module: str) -> str | None:
    """``cli`` or ``web``: the door a module belongs to, if it is in the top layer."""
    if layer_of(module) != "doors":
        return None
    return "cli" if module == "rm_plugin.__main__" else module.split(".")[1]


def upward_arrows() -> list[Arrow]:
    """Every import from a lower layer to a higher one, or from one door to another, sorted."""
    found = modules()
    rank = {name: i for i, name in enumerate(LAYERS)}
    arrows: set[Arrow] = set()
    for module, path in found.items():
        for target, line in imports(module, path, set(found)):
            up = rank[layer_of(target)] > rank[layer_of(module)]
            across = door_of(module) is not None and door_of(target) not in (None, door_of(module))
            across = across and (module, target) not in LAUNCHERS
            if up or across:
                arrows.add(Arrow(module, target, line))
    return sorted(arrows)


def store_imports_in_connectors() -> list[Arrow]:
    found = modules()
    return sorted(
        Arrow(module, target, line)
        for module, path in found.items()
        if module.startswith("rm_plugin.connectors.")
        for target, line in imports(module, path, set(found))
        if target == "rm_plugin.store" or target.startswith("rm_plugin.store.")
    )


def test_every_module_has_a_layer() -> None:
    assert all(layer_of(module) in LAYERS for module in modules())


def test_no_import_reaches_up_to_a_later_stage() -> None:
    arrows = upward_arrows()
    assert not arrows, "imports that reach up:\n" + "\n".join(map(str, arrows))


def test_no_connector_imports_the_store() -> None:
    arrows = store_imports_in_connectors()
    assert not arrows, "connectors must speak through the contract:\n" + "\n".join(map(str, arrows))


def main() -> int:
    arrows = upward_arrows()
    for arrow in arrows:
        print(arrow)
    print(f"{len(arrows)} import(s) reach up a layer")
    store = store_imports_in_connectors()
    for arrow in store:
        print(f"connector imports the store: {arrow.source} -> {arrow.target}")
    print(f"{len(store)} connector import(s) of the store")
    return 1 if arrows or store else 0


if __name__ == "__main__":
    sys.exit(main())
