"""Deep linking (LTI Deep Linking 2.0): answer an ``LtiDeepLinkingRequest`` with a signed
``LtiDeepLinkingResponse`` that holds one ``ltiResourceLink``, "Reverse mentoring".

The response is a JWT the browser form-posts back to the platform's ``deep_link_return_url`` in
a field named ``JWT``; the tool is its issuer (``iss`` = our client id) and the platform its
audience. An item with a ``lineItem`` makes the activity graded, so progress scores have a column.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from rm_plugin.lti import claims as c
from rm_plugin.lti.keys import ToolKeys
from rm_plugin.lti.launch import Launch

TITLE = "Reverse mentoring"
#: What the progress line item is tagged with, so the grade connector finds it again.
PROGRESS_TAG = "rm-plugin-progress"
RESPONSE_LIFETIME = dt.timedelta(minutes=5)


class DeepLinkingError(Exception):
    pass


@dataclass(frozen=True)
class DeepLinkResponse:
    return_url: str
    jwt: str
    graded: bool


def respond(
    session: Session,
    launch: Launch,
    keys: ToolKeys,
    *,
    launch_url: str,
    graded: bool,
    score_maximum: int = 100,
    now: dt.datetime,
) -> DeepLinkResponse:
    """The signed response placing one "Reverse mentoring" link (with a line item if ``graded``)."""
    settings = launch.deep_linking_settings
    accepted = settings.get("accept_types") or []
    if "ltiResourceLink" not in accepted:
        raise DeepLinkingError("the platform does not accept LTI resource links here")
    item: dict[str, Any] = {
        "type": "ltiResourceLink",
        "title": TITLE,
        "text": "Your reverse mentoring programme: your pair, agreement, meetings and milestones.",
        "url": launch_url,
    }
    if graded:
        item["lineItem"] = {
            "scoreMaximum": score_maximum,
            "label": f"{TITLE}: progress",
            "resourceId": "progress",
            "tag": PROGRESS_TAG,
        }
    claims_out: dict[str, Any] = {
        "iss": launch.client_id,
        "aud": [launch.issuer],
        "iat": int(now.timestamp()),
        "exp": int((now + RESPONSE_LIFETIME).timestamp()),
        "nonce": secrets.token_urlsafe(16),
        c.MESSAGE_TYPE: c.DEEP_LINKING_RESPONSE,
        c.VERSION: c.LTI_VERSION,
        c.DEPLOYMENT_ID: launch.deployment_id,
        c.DL_CONTENT_ITEMS: [item],
    }
    if settings.get("data") is not None:
        claims_out[c.DL_DATA] = settings["data"]
    return DeepLinkResponse(
        return_url=str(settings["deep_link_return_url"]),
        jwt=keys.sign(session, claims_out),
        graded=graded,
    )
