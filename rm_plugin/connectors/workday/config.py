"""The keys of ``connectors/workday.toml``, validated before anything is sent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from rm_plugin.config.secret import SecretField
from rm_plugin.connectors.workday.roster import DEFAULT_COLUMNS
from rm_plugin.connectors.workday.versions import PLURAL, SINGULAR

#: All three are needed for the OAuth refresh-token grant.
OAUTH_KEYS = ("oauth_client_id", "oauth_client_secret", "oauth_refresh_token")


class WorkdayConfig(Schema):
    host = fields.Url(required=True, require_tld=False)  # e.g. https://wd2-impl-services1.workday.com
    tenant = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]+$"))
    version = fields.String(load_default="v42.2", validate=validate.Regexp(r"^v\d+\.\d+$"))
    timeout = fields.Float(load_default=120.0, validate=validate.Range(min=1))
    # SOAP: WS-Security UsernameToken of an integration system user.
    soap_user = fields.String(load_default="")
    soap_password = SecretField()
    # The roster: a RaaS custom report (JSON), SOAP Get_Workers, or none.
    roster = fields.String(load_default="raas", validate=validate.OneOf(["raas", "soap", "none"]))
    raas_owner = fields.String(load_default="")
    raas_report = fields.String(load_default="")
    raas_user = fields.String(load_default="")
    raas_password = SecretField()
    raas_token = SecretField()  # a fixed bearer token instead of Basic
    # OAuth 2.0 refresh-token grant of an API client registered in the tenant (task Register API
    # Client for Integrations): bearer tokens for the report and the REST API.
    oauth_client_id = fields.String(load_default="")
    oauth_client_secret = SecretField()
    oauth_refresh_token = SecretField()
    oauth_client_auth = fields.String(load_default="body", validate=validate.OneOf(["body", "basic"]))
    raas_prompts = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    columns = fields.Dict(
        keys=fields.String(validate=validate.OneOf(sorted(DEFAULT_COLUMNS))),
        values=fields.String(),
        load_default=dict,
    )
    job_levels = fields.Dict(keys=fields.String(), values=fields.Integer(), load_default=dict)
    include_inactive = fields.Boolean(load_default=True)
    page_size = fields.Integer(load_default=999, validate=validate.Range(min=1, max=999))
    # Progress back.
    id_prefix = fields.String(load_default="RM", validate=validate.Regexp(r"^[A-Za-z0-9_-]+$"))
    mentorships = fields.Boolean(load_default=True)
    mentor_type = fields.String(load_default="")  # Mentor_Type_ID
    close_reason = fields.String(load_default="")  # Close_Mentorship_Reason_ID
    auto_complete = fields.Boolean(load_default=False)  # needs an ISU business-process policy
    milestones = fields.String(load_default="off", validate=validate.OneOf(["learning", "training", "off"]))
    learning_content = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    learning_content_id_type = fields.String(load_default="Learning_Course_ID")
    training_type = fields.String(load_default="")  # Training_Type_ID for Manage_Training
    badges = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)  # award -> badge id
    feedback_from = fields.String(load_default="")  # Employee_ID of the worker who gives recognition
    # How recognition is given: SOAP Give_Feedback as the ISU, or the REST anytime-feedback route.
    feedback = fields.String(load_default="soap", validate=validate.OneOf(["soap", "rest"]))
    # Look for an earlier try's feedback before sending again (needs read access to received
    # feedback); false parks an uncertain send for a person to check instead.
    feedback_check = fields.Boolean(load_default=True)
    # Give_Feedback's recipient element, as the tenant's Talent WSDL names it (see versions.py).
    feedback_to_element = fields.String(load_default=SINGULAR, validate=validate.OneOf([SINGULAR, PLURAL]))

    @validates_schema
    def _consistent(self, data: Mapping[str, Any], **_: Any) -> None:
        oauth = [k for k in OAUTH_KEYS if data.get(k)]
        if oauth and len(oauth) != len(OAUTH_KEYS):
            missing = [k for k in OAUTH_KEYS if k not in oauth]
            raise ValidationError(
                f"OAuth needs {', '.join(OAUTH_KEYS)}; missing {', '.join(missing)}", missing[0]
            )
        rest_feedback = bool(data.get("badges")) and data.get("feedback") == "rest"
        needs_soap = (
            data.get("roster") == "soap" or data.get("mentorships") or data.get("milestones") != "off"
        )
        needs_soap = needs_soap or (bool(data.get("badges")) and not rest_feedback)
        if needs_soap and not (data.get("soap_user") and data.get("soap_password")):
            raise ValidationError(
                "SOAP calls need soap_user and soap_password (or soap_password_file); "
                'or set roster = "raas", mentorships = false, milestones = "off" and no [badges] '
                '(or feedback = "rest")',
                "soap_user",
            )
        if data.get("roster") == "raas":
            if not (data.get("raas_owner") and data.get("raas_report")):
                raise ValidationError('roster = "raas" needs raas_owner and raas_report', "raas_report")
            basic = data.get("raas_user") and data.get("raas_password")
            if not (data.get("raas_token") or basic or oauth):
                raise ValidationError(
                    "the report needs raas_user and raas_password, raas_token, or the oauth_* keys",
                    "raas_user",
                )
        if rest_feedback and not oauth:
            raise ValidationError(
                'feedback = "rest" needs the OAuth keys: ' + ", ".join(OAUTH_KEYS), "feedback"
            )
        if data.get("badges") and not rest_feedback and not data.get("feedback_from"):
            raise ValidationError("[badges] needs feedback_from: who gives the feedback", "feedback_from")
        if data.get("milestones") == "training" and not data.get("training_type"):
            raise ValidationError(
                'milestones = "training" needs training_type (a Training_Type_ID)', "training_type"
            )
