"""``connectors/moodle.toml``: where Moodle is, the token, the programme course and the maps.

Milestones map to activities of the programme course, by course-module id (the ``id=`` in the
activity's URL, e.g. ``mod/page/view.php?id=42``) or by the activity's exact name. Each award
names its badge and the route that makes Moodle issue it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from rm_plugin.config.secret import SecretField

ROUTES = ("course_completion", "activity", "cohort")


class ActivityRef(fields.Field):
    """A course-module id (a positive integer) or an activity's exact name (a non-empty string)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int | str:
        if isinstance(value, bool):
            raise ValidationError("expected a course-module id (integer) or the activity's name")
        if isinstance(value, int) and value > 0:
            return value
        if isinstance(value, str) and value.strip():
            return value.strip()
        raise ValidationError("expected a course-module id (integer) or the activity's name")


class BadgeRef(ActivityRef):
    """A badge id (a positive integer) or the badge's exact name."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int | str:
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ValidationError:
            raise ValidationError("expected a badge id (integer) or the badge's name") from None


class AwardSchema(Schema):
    route = fields.String(required=True, validate=validate.OneOf(ROUTES))
    badge = BadgeRef(required=True)
    activity = ActivityRef()
    cohort = fields.String(validate=validate.Length(min=1))

    @validates_schema
    def _route_needs(self, data: Mapping[str, Any], **_: Any) -> None:
        if data.get("route") == "activity" and "activity" not in data:
            raise ValidationError(
                'route "activity" needs the activity whose completion earns the badge', "activity"
            )
        if data.get("route") == "cohort" and "cohort" not in data:
            raise ValidationError('route "cohort" needs the idnumber of the badge\'s cohort', "cohort")


class MoodleConfig(Schema):
    url = fields.String(required=True)
    token = SecretField(required=True)
    course = fields.String(required=True, validate=validate.Length(min=1))
    course_field = fields.String(load_default="idnumber", validate=validate.OneOf(("idnumber", "shortname")))
    courses = fields.Dict(
        keys=fields.String(), values=fields.String(validate=validate.Length(min=1)), load_default=dict
    )
    role_id = fields.Integer(load_default=5, validate=validate.Range(min=1))
    match_by = fields.String(load_default="idnumber", validate=validate.OneOf(("idnumber", "email")))
    cohorts = fields.List(fields.String(validate=validate.Length(min=1)), load_default=list)
    milestones = fields.Dict(keys=fields.String(), values=ActivityRef(), load_default=dict)
    awards = fields.Dict(keys=fields.String(), values=fields.Nested(AwardSchema), load_default=dict)
    groups = fields.Boolean(load_default=True)
    calendar = fields.Boolean(load_default=True)
    messages = fields.Boolean(load_default=True)
    on_close = fields.String(load_default="keep", validate=validate.OneOf(("keep", "suspend")))
    batch_size = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    timeout = fields.Float(load_default=30.0, validate=validate.Range(min=1, max=600))

    @validates("url")
    def _url(self, value: str, **_: Any) -> None:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValidationError("expected the site's address, e.g. https://moodle.example.org")
        if parts.path.rstrip("/").endswith("server.php"):
            raise ValidationError("give the site's address only; the web-service path is added for you")
