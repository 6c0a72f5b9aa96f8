"""Reading a TOML config file and resolving its references to secrets.

``${NAME}`` anywhere in a string takes the value of environment variable NAME; a key
``X_file = "path"`` reads X from that file (path relative to the site directory), so
secrets never need to be committed.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rm_plugin.config.errors import ConfigProblem
from rm_plugin.config.secret import Secret

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def read_toml(path: Path, shown_as: str) -> tuple[dict[str, Any], list[ConfigProblem]]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh), []
    except OSError as exc:
        return {}, [ConfigProblem(shown_as, "", f"cannot read the file: {exc.strerror}")]
    except tomllib.TOMLDecodeError as exc:
        return {}, [ConfigProblem(shown_as, "", f"not valid TOML: {exc}")]
    except UnicodeDecodeError as exc:
        return {}, [ConfigProblem(shown_as, "", f"not UTF-8 ({exc.reason}); save it as UTF-8")]


def resolve_references(
    data: Mapping[str, Any],
    shown_as: str,
    site_root: Path,
    environ: Mapping[str, str] | None = None,
    prefix: str = "",
) -> tuple[dict[str, Any], list[ConfigProblem]]:
    """Return ``data`` with ``${VAR}`` expanded and ``*_file`` keys read, plus every problem found."""
    env = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    problems: list[ConfigProblem] = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            nested, nested_problems = resolve_references(value, shown_as, site_root, env, prefix=f"{path}.")
            out[key] = nested
            problems += nested_problems
        elif key.endswith("_file") and isinstance(value, str):
            target = key[: -len("_file")]
            if target in data:
                problems.append(
                    ConfigProblem(shown_as, path, f"give either {prefix}{target} or {path}, not both")
                )
                continue
            secret, problem = _read_secret_file(value, shown_as, path, site_root, env)
            if problem:
                problems.append(problem)
            # a placeholder keeps the key present, so one mistake gives one problem line
            out[target] = secret if secret is not None else "<unresolved>"
        elif isinstance(value, str):
            expanded, problem = _expand(value, shown_as, path, env)
            if problem:
                problems.append(problem)
            out[key] = expanded
        elif isinstance(value, list):
            items = []
            for i, item in enumerate(value):
                if isinstance(item, str):
                    expanded, problem = _expand(item, shown_as, f"{path}[{i}]", env)
                    if problem:
                        problems.append(problem)
                    items.append(expanded)
                else:
                    items.append(item)
            out[key] = items
        else:
            out[key] = value
    return out, problems


def _expand(value: str, shown_as: str, path: str, env: Mapping[str, str]) -> tuple[str, ConfigProblem | None]:
    missing = [name for name in _REFERENCE.findall(value) if not env.get(name)]
    if missing:
        names = ", ".join(missing)
        return value, ConfigProblem(shown_as, path, f"environment variable {names} is not set (or is empty)")
    return _REFERENCE.sub(lambda m: env[m.group(1)], value), None


def _read_secret_file(
    value: str, shown_as: str, path: str, site_root: Path, env: Mapping[str, str]
) -> tuple[Secret | None, ConfigProblem | None]:
    expanded, problem = _expand(value, shown_as, path, env)
    if problem:
        return None, problem
    file = Path(expanded).expanduser()
    if not file.is_absolute():
        file = site_root / file
    try:
        content = file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        return None, ConfigProblem(shown_as, path, f"cannot read secret file {expanded!r}: {exc.strerror}")
    except UnicodeDecodeError as exc:
        return None, ConfigProblem(
            shown_as, path, f"secret file {expanded!r} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        )
    if not content:
        return None, ConfigProblem(shown_as, path, f"secret file {expanded!r} is empty")
    return Secret(content), None
