"""Config problems: each names the file, the key path and what is expected."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rm_plugin.errors import UserError


@dataclass(frozen=True)
class ConfigProblem:
    file: str  # relative to the site directory
    key: str  # dotted key path, "" for the file as a whole
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.key}" if self.key else self.file
        return f"{where}: {self.message}"


class ConfigError(UserError):
    """One or more config problems; nothing was changed because of them."""

    exit_code = 2

    def __init__(self, problems: Iterable[ConfigProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]
