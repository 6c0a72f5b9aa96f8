"""Deep linking: a teacher adds "Reverse mentoring" to a course through the platform's picker."""

from __future__ import annotations

import html

from fake_platform import FakePlatform
from flask import Flask
from flask.testing import FlaskClient
from portal_helpers import TOOL, launch, session_cookies

from rm_plugin.lti import claims as c
from rm_plugin.lti import jose

RETURN_URL = "https://lms.example/mod/lti/contentitem_return.php?course=2&id=3&sesskey=abc"
REQUEST = {
    c.MESSAGE_TYPE: c.DEEP_LINKING_REQUEST,
    c.RESOURCE_LINK: None,
    c.DEEP_LINKING_SETTINGS: {
        "accept_types": ["ltiResourceLink"],
        "accept_presentation_document_targets": ["frame", "iframe", "window"],
        "accept_copy_advice": False,
        "accept_multiple": True,
        "accept_unsigned": False,
        "auto_create": False,
        "can_confirm": False,
        "deep_link_return_url": RETURN_URL,
        "title": "Reverse mentoring",
        "text": "",
        "data": "opaque-42",
    },
    c.ROLES: ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
    c.LIS: {"person_sourcedid": ""},  # a teacher need not be one of our people
}


def forms(page: str) -> list[tuple[str, str]]:
    found = []
    for chunk in page.split("<form")[1:]:
        action = html.unescape(chunk.split('action="', 1)[1].split('"', 1)[0])
        jwt = chunk.split('name="JWT" value="', 1)[1].split('"', 1)[0]
        found.append((action, jwt))
    return found


def test_the_answer_is_a_signed_resource_link_the_platform_can_check(
    client: FlaskClient, platform: FakePlatform, app: Flask
) -> None:
    response = launch(client, platform, **REQUEST)
    assert response.status_code == 200
    assert session_cookies(response) == []  # nothing to sign in to
    answers = forms(response.get_data(as_text=True))
    assert [action for action, _ in answers] == [RETURN_URL, RETURN_URL]
    jwks = client.get("/lti/jwks", base_url=TOOL).get_json()["keys"]
    graded, plain = (jose.verify(jwt, jwks[0]) for _, jwt in answers)
    for body in (graded, plain):
        assert body["iss"] == platform.client_id
        assert body["aud"] == [platform.issuer]
        assert body[c.MESSAGE_TYPE] == c.DEEP_LINKING_RESPONSE
        assert body[c.VERSION] == "1.3.0"
        assert body[c.DEPLOYMENT_ID] == platform.deployment_id
        assert body[c.DL_DATA] == "opaque-42"
        (item,) = body[c.DL_CONTENT_ITEMS]
        assert item["type"] == "ltiResourceLink"
        assert item["title"] == "Reverse mentoring"
        assert item["url"] == f"{TOOL}/lti/launch"
    assert graded[c.DL_CONTENT_ITEMS][0]["lineItem"]["scoreMaximum"] == 100
    assert "lineItem" not in plain[c.DL_CONTENT_ITEMS][0]
    policy = response.headers["Content-Security-Policy"]
    assert "form-action 'self' https://lms.example" in policy


def test_a_picker_that_takes_no_links_gets_a_clear_refusal(
    client: FlaskClient, platform: FakePlatform
) -> None:
    settings = dict(REQUEST[c.DEEP_LINKING_SETTINGS], accept_types=["file"])
    response = launch(client, platform, **{**REQUEST, c.DEEP_LINKING_SETTINGS: settings})
    assert response.status_code == 400
    assert "does not accept LTI resource links" in response.get_data(as_text=True)
