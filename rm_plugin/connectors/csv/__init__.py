"""The ``csv`` HR source: a roster from a CSV file (or the bundled sample organisation).

``connectors/csv.toml``::

    path = "data/people.csv"      # relative to the site; or sample = true
    date_formats = ["%Y-%m-%d"]
    [columns]                      # our field = the CSV's header, only where they differ
    hr_id = "Employee ID"
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from rm_plugin import hookimpl
from rm_plugin.connections import Connection, ConnectionContext, ConnectorType
from rm_plugin.connectors.csv.reader import COLUMNS, header_problems, read_header, read_roster
from rm_plugin.domain.records import HealthReport, PeopleBatch, RowProblem
from rm_plugin.domain.roster import check_roster
from rm_plugin.errors import UserError


class CsvConfig(Schema):
    path = fields.String()
    sample = fields.Boolean(load_default=False)
    delimiter = fields.String(load_default=",", validate=validate.Length(equal=1))
    encoding = fields.String(load_default="utf-8-sig")
    date_formats = fields.List(
        fields.String(), load_default=lambda: ["%Y-%m-%d"], validate=validate.Length(min=1)
    )
    languages_separator = fields.String(load_default=";")
    min_level = fields.Integer(strict=True, load_default=1)
    max_level = fields.Integer(strict=True, load_default=20)
    columns = fields.Dict(
        keys=fields.String(validate=validate.OneOf(COLUMNS)), values=fields.String(), load_default=dict
    )

    @validates_schema
    def _path_or_sample(self, data: Mapping[str, Any], **_: Any) -> None:
        if not data.get("sample") and not data.get("path"):
            raise ValidationError("give the roster file's path, or sample = true", "path")


class RosterUnreadable(UserError):
    """The roster file or its header cannot be used: the source fails and nobody is marked as left."""

    def __init__(self, source: str, problems: Sequence[RowProblem]) -> None:
        super().__init__("; ".join(f"{p.where}: {p.reason}" for p in problems))
        self.source = source


def sample_roster_path() -> Path:
    return Path(str(resources.files("rm_plugin") / "sample" / "people.csv"))


class CsvSource(Connection):
    """One configured CSV roster; always a complete roster (absent people have left)."""

    @property
    def path(self) -> Path:
        if self.config.get("sample"):
            return sample_roster_path()
        path = Path(self.config["path"]).expanduser()
        return path if path.is_absolute() else self.context.site_root / path

    @hookimpl
    def rm_fetch_people(self, connection: str | None, since: str | None) -> PeopleBatch | None:
        if not self.owns(connection):
            return None
        read = read_roster(
            self.path,
            source=self.name,
            columns=self.config["columns"],
            date_formats=self.config["date_formats"],
            delimiter=self.config["delimiter"],
            encoding=self.config["encoding"],
            languages_separator=self.config["languages_separator"],
            level_range=(self.config["min_level"], self.config["max_level"]),
        )
        if not read.usable and not read.rows:  # no roster at all: the source failed, nothing changes
            raise RosterUnreadable(self.name, read.problems)
        good, roster_problems = check_roster(read.rows)
        return PeopleBatch(
            source=self.name,
            records=tuple(row.record for row in good),
            problems=tuple(read.problems + roster_problems),
            complete=read.usable,  # an unreadable file is not a roster in which everyone left
        )

    @hookimpl
    def rm_check_health(self, connection: str | None) -> HealthReport | None:
        if not self.owns(connection):
            return None
        if not self.path.is_file():
            return HealthReport(self.name, problems=(f"roster file {self.path} does not exist",))
        try:
            header = read_header(self.path, self.config["delimiter"], self.config["encoding"])
        except (OSError, UnicodeError, csv.Error) as exc:
            return HealthReport(self.name, problems=(f"cannot read the header of {self.path}: {exc}",))
        problems = header_problems(header, self.config["columns"], self.config["delimiter"])
        if problems:
            return HealthReport(self.name, problems=tuple(problems))
        shown = "the bundled sample roster" if self.config.get("sample") else f"roster {self.path.name}"
        return HealthReport(self.name, summary=f"({shown})")


def make_connection(context: ConnectionContext, config: Mapping[str, Any]) -> CsvSource:
    return CsvSource(context, config)


@hookimpl
def rm_register_connector_types(register: Callable[[ConnectorType], None]) -> None:
    register(ConnectorType("csv", CsvConfig, make_connection, "a roster from a CSV file", roles=("people",)))
