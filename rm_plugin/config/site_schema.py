"""The schema of a site's ``rm-plugin.toml``."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from rm_plugin.config.web_schema import WebSection

DEFAULT_DATABASE_URL = "sqlite:///rm-plugin.sqlite3"
URL_EXAMPLES = "e.g. sqlite:///rm-plugin.sqlite3 or postgresql+psycopg://rm@db.internal/rm_plugin"


def database_url_problem(url: str) -> str | None:
    """Why ``url`` is not a database URL SQLAlchemy can read (never echoing it: it may hold a password)."""
    try:
        make_url(url)
    except (ArgumentError, ValueError):
        return f"not a database URL SQLAlchemy can read; expected {URL_EXAMPLES}"
    return None


def _database_url(url: str) -> None:
    problem = database_url_problem(url)
    if problem:
        raise ValidationError(problem)


class SiteSection(Schema):
    name = fields.String(load_default="rm-plugin site")
    timezone = fields.String(load_default="UTC")


class DatabaseSection(Schema):
    url = fields.String(load_default=DEFAULT_DATABASE_URL, validate=[validate.Length(min=1), _database_url])


class OutputSection(Schema):
    dir = fields.String(load_default="out")


class ProgrammeDefaults(Schema):
    """Defaults copied into every new programme; each programme can override them."""

    min_level_gap = fields.Integer(strict=True, load_default=2, validate=validate.Range(min=0, max=20))
    tenure_tiebreak = fields.Boolean(load_default=False)
    mentor_max_level = fields.Integer(strict=True, load_default=None, allow_none=True)
    mentee_min_level = fields.Integer(strict=True, load_default=None, allow_none=True)
    reviewers_required = fields.Integer(strict=True, load_default=2, validate=validate.Range(min=1))
    cadence_days = fields.Integer(strict=True, load_default=14, validate=validate.Range(min=1, max=365))
    mentor_capacity = fields.Integer(strict=True, load_default=1, validate=validate.Range(min=1, max=20))
    allow_mutual = fields.Boolean(load_default=False)
    meeting_minutes = fields.Integer(strict=True, load_default=45, validate=validate.Range(min=5, max=480))


class PluginsSection(Schema):
    disabled = fields.List(fields.String(), load_default=list)


#: "30s", "15m", "6h", "1d", or "off" (a scheduled job of ``rm-plugin worker``).
EVERY = validate.Regexp(r"^(off|[1-9][0-9]*[smhd])$", error="expected a period like 30s, 15m, 6h, 1d, or off")


class WorkerSection(Schema):
    """``[worker]``: how ``rm-plugin worker`` polls, reports its health, and schedules jobs."""

    poll_seconds = fields.Float(load_default=5.0, validate=validate.Range(min=0.1, max=300))
    health_every = fields.Float(load_default=60.0, validate=validate.Range(min=1))
    health_port = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=65535))
    health_host = fields.String(load_default="127.0.0.1")
    #: job name -> how often it runs; jobs left out run at their default period
    jobs = fields.Dict(keys=fields.String(), values=fields.String(validate=EVERY), load_default=dict)


class SiteConfigSchema(Schema):
    site = fields.Nested(SiteSection, load_default=lambda: SiteSection().load({}))
    database = fields.Nested(DatabaseSection, load_default=lambda: DatabaseSection().load({}))
    output = fields.Nested(OutputSection, load_default=lambda: OutputSection().load({}))
    programme_defaults = fields.Nested(ProgrammeDefaults, load_default=lambda: ProgrammeDefaults().load({}))
    plugins = fields.Nested(PluginsSection, load_default=lambda: PluginsSection().load({}))
    web = fields.Nested(WebSection, load_default=lambda: WebSection().load({}))
    worker = fields.Nested(WorkerSection, load_default=lambda: WorkerSection().load({}))


class ConnectionBase(Schema):
    """Keys every ``connectors/*.toml`` may have besides its type's own."""

    type = fields.String()
    enabled = fields.Boolean(load_default=True)
    concurrency = fields.Integer(strict=True, load_default=4, validate=validate.Range(min=1, max=64))
