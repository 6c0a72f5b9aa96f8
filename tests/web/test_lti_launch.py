"""OIDC login initiation and the launch, against a fake platform with its own key."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import pytest
from fake_platform import FakePlatform
from flask import Flask
from flask.testing import FlaskClient
from portal_helpers import TOOL, launch, login, make_app
from sqlalchemy import select

from rm_plugin.lti import claims as c
from rm_plugin.lti import jose
from rm_plugin.store.models import LtiGradeTarget, LtiLoginState
from rm_plugin.web.sessions import COOKIE_NAME


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_login_initiation_redirects_to_the_platform_with_a_fresh_state_and_nonce(
    client: FlaskClient, platform: FakePlatform, app: Flask, method: str
) -> None:
    sent = login(client, platform, method=method)
    assert sent["scope"] == "openid"
    assert sent["response_type"] == "id_token"
    assert sent["response_mode"] == "form_post"
    assert sent["prompt"] == "none"
    assert sent["client_id"] == platform.client_id
    assert sent["redirect_uri"] == f"{TOOL}/lti/launch"
    assert sent["login_hint"] == "7"
    assert sent["lti_message_hint"] == '{"cmid":4,"launchid":"ltilaunch1_1"}'
    assert len(sent["state"]) >= 40 and len(sent["nonce"]) >= 40
    again = login(client, platform, method=method)
    assert again["state"] != sent["state"] and again["nonce"] != sent["nonce"]
    with app.extensions["rm_portal"].database.transaction() as s:
        stored = list(s.scalars(select(LtiLoginState.state_hash)))
    assert sent["state"] not in stored  # only its hash is kept
    assert len(stored) == 2


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"iss": "https://other.example"}, "not registered"),
        ({"login_hint": ""}, "lacks login_hint"),
        ({"target_link_uri": "https://evil.example/lti/launch"}, "not this tool"),
        ({"client_id": "someone-else"}, "not registered"),
    ],
)
def test_login_initiation_refuses_what_it_cannot_honour(
    client: FlaskClient, platform: FakePlatform, change: dict[str, str], expected: str
) -> None:
    params = {
        "iss": platform.issuer,
        "login_hint": "7",
        "target_link_uri": f"{TOOL}/lti/launch",
        "client_id": platform.client_id,
        **change,
    }
    response = client.post("/lti/login", data=params, base_url=TOOL)
    assert response.status_code == 400
    assert expected in response.get_data(as_text=True)


def test_a_launch_signs_the_person_in_with_a_partitioned_cookie(
    client: FlaskClient, platform: FakePlatform
) -> None:
    response = launch(client, platform)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/lti/landing?ticket=")
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 1
    cookie = cookies[0]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert not cookie.lower().startswith("moodlesession")
    for attribute in ("Secure", "HttpOnly", "SameSite=None", "Partitioned", "Path=/"):
        assert attribute in cookie.split("; ")
    landing = client.get(response.headers["Location"], base_url=TOOL)
    assert landing.status_code == 302 and landing.headers["Location"].endswith("/portal/")
    home = client.get("/portal/", base_url=TOOL)
    assert home.status_code == 200
    assert "Hello, Ada Lovelace" in home.get_data(as_text=True)


def test_the_same_launch_cannot_be_used_twice(client: FlaskClient, platform: FakePlatform) -> None:
    sent = login(client, platform)
    form = {"id_token": platform.id_token(sent["nonce"]), "state": sent["state"]}
    assert client.post("/lti/launch", data=form, base_url=TOOL).status_code == 303
    replay = client.post("/lti/launch", data=form, base_url=TOOL)
    assert replay.status_code == 401
    assert "already used or has expired" in replay.get_data(as_text=True)


def test_a_token_cannot_be_replayed_with_a_fresh_state(client: FlaskClient, platform: FakePlatform) -> None:
    first = login(client, platform)
    token = platform.id_token(first["nonce"])
    assert (
        client.post(
            "/lti/launch", data={"id_token": token, "state": first["state"]}, base_url=TOOL
        ).status_code
        == 303
    )
    second = login(client, platform)
    replay = client.post("/lti/launch", data={"id_token": token, "state": second["state"]}, base_url=TOOL)
    assert replay.status_code == 401
    assert "nonce" in replay.get_data(as_text=True)


def test_a_state_made_by_one_worker_is_spent_for_every_worker(
    site, platform: FakePlatform, app: Flask
) -> None:
    other_worker = make_app(site).test_client()
    sent = login(app.test_client(), platform)
    form = {"id_token": platform.id_token(sent["nonce"]), "state": sent["state"]}
    assert other_worker.post("/lti/launch", data=form, base_url=TOOL).status_code == 303
    assert app.test_client().post("/lti/launch", data=form, base_url=TOOL).status_code == 401


@dataclass(frozen=True)
class FromNow:
    """A claim's time, taken when the test runs: a slow suite reaches a test long after collection."""

    seconds: int


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"aud": "another-tool"}, "audience"),
        ({"aud": ["another-tool", "kF3ZpW8qL2sVb9T"], "azp": "another-tool"}, "authorised party"),
        ({"aud": ["another-tool", "kF3ZpW8qL2sVb9T"]}, "authorised party"),
        ({"iss": "https://other.example"}, "another platform"),
        ({"exp": FromNow(-120), "iat": FromNow(-180)}, "expired"),
        ({"iat": FromNow(600), "exp": FromNow(660)}, "future"),
        ({c.DEPLOYMENT_ID: "99"}, "deployment"),
        ({c.VERSION: "1.1"}, "1.3.0"),
        ({c.MESSAGE_TYPE: "LtiSubmissionReviewRequest"}, "kind of LTI message"),
        ({c.RESOURCE_LINK: None}, "resource link"),
    ],
)
def test_bad_launches_are_refused(
    client: FlaskClient, platform: FakePlatform, overrides: dict, reason: str
) -> None:
    now = int(time.time())
    claims = {k: now + v.seconds if isinstance(v, FromNow) else v for k, v in overrides.items()}
    response = launch(client, platform, **claims)
    assert response.status_code == 401
    assert reason in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers


def test_a_token_signed_by_another_key_is_refused(client: FlaskClient, platform: FakePlatform) -> None:
    forger_pem, _ = jose.new_rsa_key()
    sent = login(client, platform)
    token = platform.id_token(sent["nonce"], sign_with=forger_pem)  # the platform's kid, another key
    response = client.post("/lti/launch", data={"id_token": token, "state": sent["state"]}, base_url=TOOL)
    assert response.status_code == 401
    assert "signature does not verify" in response.get_data(as_text=True)


def test_an_unsigned_token_is_refused(client: FlaskClient, platform: FakePlatform) -> None:
    import base64
    import json

    sent = login(client, platform)
    signed = platform.id_token(sent["nonce"])
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "kid": platform.keys[0][1]["kid"]}).encode())
    token = header.decode().rstrip("=") + "." + signed.split(".")[1] + "."
    response = client.post("/lti/launch", data={"id_token": token, "state": sent["state"]}, base_url=TOOL)
    assert response.status_code == 401


def test_the_platform_key_rotation_is_followed_and_forged_kids_cost_one_fetch(
    site, app: Flask, platform: FakePlatform
) -> None:
    import datetime as dt

    shift = dt.timedelta()
    client = make_app(site, clock=lambda: dt.datetime.now(dt.UTC) + shift).test_client()
    assert launch(client, platform).status_code == 303
    assert platform.jwks_fetches == 1
    assert launch(client, platform).status_code == 303
    assert platform.jwks_fetches == 1  # cached
    platform.rotate()
    pem, _ = jose.new_rsa_key()
    sent = login(client, platform)
    forged = jose.sign({"nonce": sent["nonce"]}, pem, "no-such-kid")
    response = client.post("/lti/launch", data={"id_token": forged, "state": sent["state"]}, base_url=TOOL)
    assert response.status_code == 401
    assert platform.jwks_fetches == 1  # fetched a moment ago: an unknown kid does not make us fetch again
    shift = dt.timedelta(seconds=31)
    assert launch(client, platform).status_code == 303  # the platform's new key: fetched again
    assert platform.jwks_fetches == 2


def test_nobody_matching_gets_a_clear_page_and_no_session(
    client: FlaskClient, platform: FakePlatform
) -> None:
    response = launch(client, platform, **{c.LIS: {"person_sourcedid": "E9999"}})
    assert response.status_code == 403
    assert "does not match anybody" in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
    empty = launch(client, platform, **{c.LIS: {"person_sourcedid": ""}})
    assert empty.status_code == 403 and "has no" in empty.get_data(as_text=True)
    gone = launch(client, platform, **{c.LIS: {"person_sourcedid": "E1003"}})
    assert gone.status_code == 403 and "left the company" in gone.get_data(as_text=True)


def test_a_platform_role_grants_no_admin_rights(client: FlaskClient, platform: FakePlatform, site) -> None:
    admin_roles = [
        "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
        "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
    ]
    landing = launch(client, platform, **{c.ROLES: admin_roles})
    client.get(landing.headers["Location"], base_url=TOOL)
    assert client.get("/admin/", base_url=TOOL).status_code == 403
    from rm_plugin.store.models import Programme

    with site.database.transaction() as s:
        s.add(Programme(slug="rm-2026", name="RM 2026", admin_hr_id="E1001"))
    assert client.get("/admin/", base_url=TOOL).status_code == 200


def test_the_grade_service_endpoints_of_a_launch_are_remembered(
    client: FlaskClient, platform: FakePlatform, site
) -> None:
    ags = {
        "scope": [c.AGS_SCOPE_LINEITEM, c.AGS_SCOPE_SCORE],
        "lineitems": platform.lineitems_url(),
        "lineitem": platform.lineitems_url().replace("lineitems?", "lineitems/9/lineitem?"),
    }
    assert launch(client, platform, **{c.AGS_ENDPOINT: ags}).status_code == 303
    with site.database.transaction() as s:
        target = s.scalars(select(LtiGradeTarget)).one()
        assert (target.sub, target.context_id, target.resource_link_id) == ("7", "2", "4")
        assert target.lineitem_url == ags["lineitem"]


def test_nothing_private_reaches_the_log(
    client: FlaskClient, platform: FakePlatform, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sent = login(client, platform)
    token = platform.id_token(sent["nonce"])
    client.post("/lti/launch", data={"id_token": token, "state": sent["state"]}, base_url=TOOL)
    launch(client, platform, **{c.LIS: {"person_sourcedid": "E9999"}}, aud="wrong")
    text = caplog.text
    assert "lti launch signed in" in text
    for private in (
        token,
        sent["state"],
        sent["nonce"],
        "ada.lovelace@example.com",
        "Ada",
        "Lovelace",
        "E9999",
    ):
        assert private not in text
