"""Site and connector configuration: TOML files validated with marshmallow, secrets kept out of sight."""

from rm_plugin.config.errors import ConfigError, ConfigProblem
from rm_plugin.config.secret import Secret, SecretField
from rm_plugin.config.source import read_toml, resolve_references
from rm_plugin.config.validate import validate

__all__ = [
    "ConfigError",
    "ConfigProblem",
    "Secret",
    "SecretField",
    "read_toml",
    "resolve_references",
    "validate",
]
