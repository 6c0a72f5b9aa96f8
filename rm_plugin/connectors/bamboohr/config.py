"""The keys of ``connectors/bamboohr.toml``, validated before anything is sent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from rm_plugin.config.secret import SecretField
from rm_plugin.connectors.bamboohr.roster import DEFAULT_FIELDS, OPTIONAL_FIELDS


class BambooHRConfig(Schema):
    company = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9-]+$"))
    base_url = fields.Url(require_tld=False, load_default=None)  # default https://<company>.bamboohr.com
    api_key = SecretField()
    access_token = SecretField()  # an OAuth access token instead of an API key
    hr_id = fields.String(
        load_default="employeeId", validate=validate.OneOf(["employeeId", "employeeNumber"])
    )
    job_level_field = fields.String(load_default=None)  # custom field name, alias or id (meta/fields)
    job_levels = fields.Dict(keys=fields.String(), values=fields.Integer(), load_default=dict)
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(validate=validate.OneOf(sorted([*DEFAULT_FIELDS, *OPTIONAL_FIELDS]))),
        values=fields.String(),
        load_default=dict,
    )
    include_inactive = fields.Boolean(load_default=True)
    # page[limit] of GET /api/v1/employees (OAuth): the spec allows at most 100.
    page_size = fields.Integer(load_default=100, validate=validate.Range(min=1, max=100))
    timeout = fields.Float(load_default=60.0, validate=validate.Range(min=1))
    training_types = fields.Dict(keys=fields.String(), values=fields.Integer(), load_default=dict)
    create_training_types = fields.List(fields.String(), load_default=list)
    training_category = fields.String(load_default="Reverse mentoring")

    @validates_schema
    def _one_credential(self, data: Mapping[str, Any], **_: Any) -> None:
        if bool(data.get("api_key")) == bool(data.get("access_token")):
            raise ValidationError(
                "give api_key (or api_key_file), or an OAuth access_token; exactly one", "api_key"
            )
