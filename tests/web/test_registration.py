"""Dynamic registration as Moodle runs it: the tool's URL opened with openid_configuration and a
registration_token; the tool posts its registration and stores the platform it gets back."""

from __future__ import annotations

import datetime as dt

import responses
from fake_platform import FakePlatform
from flask.testing import FlaskClient
from portal_helpers import TOOL, launch, make_app
from sqlalchemy import select

from rm_plugin.lti import claims as c
from rm_plugin.lti.registration import issue_code
from rm_plugin.site import Site
from rm_plugin.store.models import LtiDeployment, LtiPlatform

REGISTRATION_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJrRjNaIiwic2NvcGUiOiJyZWcifQ.c2ln"


def fresh_portal(site: Site, platform: FakePlatform, mock: responses.RequestsMock) -> FlaskClient:
    platform.serve(mock)
    return make_app(site).test_client()


def code_for(site: Site) -> str:
    with site.database.transaction() as s:
        return issue_code(s, now=dt.datetime.now(dt.UTC))


def open_registration(client: FlaskClient, platform: FakePlatform, code: str | None):
    query = {"openid_configuration": platform.configuration_url, "registration_token": REGISTRATION_TOKEN}
    if code is not None:
        query["code"] = code
    return client.get("/lti/register", query_string=query, base_url=TOOL)


def test_registration_posts_the_tool_and_stores_the_platform(
    site: Site, platform: FakePlatform, mock: responses.RequestsMock
) -> None:
    client = fresh_portal(site, platform, mock)
    response = open_registration(client, platform, code_for(site))
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert 'postMessage({subject: "org.imsglobal.lti.close"}' in page
    nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in page
    assert platform.registration_headers[0]["Authorization"] == f"Bearer {REGISTRATION_TOKEN}"
    sent = platform.registrations[0]
    assert sent["initiate_login_uri"] == f"{TOOL}/lti/login"
    assert sent["redirect_uris"] == [f"{TOOL}/lti/launch"]
    assert sent["jwks_uri"] == f"{TOOL}/lti/jwks"
    assert sent["token_endpoint_auth_method"] == "private_key_jwt"
    assert c.AGS_SCOPE_SCORE in sent["scope"].split()
    tool = sent[c.REGISTRATION_CONFIG]
    assert tool["domain"] == "tool.example"  # Moodle: host[:port] of target_link_uri
    assert tool["target_link_uri"] == f"{TOOL}/lti/launch"
    assert tool["claims"] == ["iss", "sub"]  # no name or email: identity comes by lis.person_sourcedid
    assert tool["messages"][0]["type"] == c.DEEP_LINKING_REQUEST
    with site.database.transaction() as s:
        stored = s.scalars(select(LtiPlatform)).one()
        assert (stored.issuer, stored.client_id, stored.registered_via) == (
            platform.issuer,
            platform.client_id,
            "dynamic",
        )
        assert stored.product == "moodle" and stored.token_url == platform.token_url
        assert s.scalars(select(LtiDeployment.deployment_id)).all() == [platform.deployment_id]
    # the new platform can launch at once, and may frame the portal
    assert launch(client, platform).status_code == 303
    frame = client.get("/portal/", base_url=TOOL).headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://lms.example" in frame


def test_a_registration_code_works_once(
    site: Site, platform: FakePlatform, mock: responses.RequestsMock
) -> None:
    client = fresh_portal(site, platform, mock)
    code = code_for(site)
    assert open_registration(client, platform, code).status_code == 200
    again = open_registration(client, platform, code)
    assert again.status_code == 400
    assert "already used or has expired" in again.get_data(as_text=True)
    assert len(platform.registrations) == 1


def test_without_our_code_nobody_can_register_a_platform(
    site: Site, platform: FakePlatform, mock: responses.RequestsMock
) -> None:
    client = fresh_portal(site, platform, mock)
    assert open_registration(client, platform, None).status_code == 403
    assert open_registration(client, platform, "guessed-code").status_code == 400
    assert platform.registrations == []
    with site.database.transaction() as s:
        assert s.scalars(select(LtiPlatform)).all() == []


def test_a_refused_registration_keeps_the_code_for_another_try(
    site: Site, platform: FakePlatform, mock: responses.RequestsMock, caplog
) -> None:
    client = fresh_portal(site, platform, mock)
    code = code_for(site)
    platform.registration_status = 400
    refused = open_registration(client, platform, code)
    assert refused.status_code == 400
    assert "domain_targetlinkuri_mismatch" in refused.get_data(as_text=True)
    platform.registration_status = 200
    assert open_registration(client, platform, code).status_code == 200
    assert REGISTRATION_TOKEN not in caplog.text


def test_a_configuration_not_served_under_its_issuer_is_refused(
    site: Site, platform: FakePlatform, mock: responses.RequestsMock
) -> None:
    client = fresh_portal(site, platform, mock)
    mock.add(
        responses.GET,
        "https://evil.example/openid-configuration",
        json=platform.configuration(),
    )
    response = client.get(
        "/lti/register",
        query_string={
            "code": code_for(site),
            "openid_configuration": "https://evil.example/openid-configuration",
        },
        base_url=TOOL,
    )
    assert response.status_code == 400
    assert "not served from under its issuer" in response.get_data(as_text=True)


def test_the_registration_address_without_platform_parameters_explains_itself(site: Site) -> None:
    client = make_app(site).test_client()
    page = client.get("/lti/register?code=abc", base_url=TOOL).get_data(as_text=True)
    assert "Manage tools" in page


def test_a_configuration_on_a_look_alike_host_is_refused(
    site: Site, platform: FakePlatform, mock: responses.RequestsMock
) -> None:
    client = fresh_portal(site, platform, mock)
    for look_alike in (
        "https://lms.example.evil.org/mod/lti/openid-configuration.php",
        "https://lms.example:8443/mod/lti/openid-configuration.php",
        "https://lms.exampleevil/mod/lti/openid-configuration.php",
    ):
        mock.add(responses.GET, look_alike, json=platform.configuration())  # issuer https://lms.example
        response = client.get(
            "/lti/register",
            query_string={"code": code_for(site), "openid_configuration": look_alike},
            base_url=TOOL,
        )
        assert response.status_code == 400, look_alike
        assert "not served from under its issuer" in response.get_data(as_text=True)
    assert platform.registrations == []


def test_a_registration_does_not_replace_a_registered_platform(
    site: Site, platform: FakePlatform, mock: responses.RequestsMock
) -> None:
    client = fresh_portal(site, platform, mock)
    assert open_registration(client, platform, code_for(site)).status_code == 200
    with site.database.transaction() as s:
        stored = s.scalars(select(LtiPlatform)).one()
        stored.auth_url = "https://lms.example/auth-as-stored"
        platform_id = stored.id
    code = code_for(site)
    again = open_registration(client, platform, code)
    page = again.get_data(as_text=True)
    assert again.status_code == 400
    assert "already registered here" in page
    assert f"rm-plugin lti platform remove {platform_id}" in page
    with site.database.transaction() as s:
        assert s.scalars(select(LtiPlatform.auth_url)).all() == ["https://lms.example/auth-as-stored"]
        s.delete(s.get(LtiPlatform, platform_id))
    assert open_registration(client, platform, code).status_code == 200  # the code was given back


def test_a_plain_http_configuration_is_refused_except_on_loopback(
    site: Site, mock: responses.RequestsMock
) -> None:
    remote = FakePlatform(issuer="http://lms.example")
    client = fresh_portal(site, remote, mock)
    refused = open_registration(client, remote, code_for(site))
    assert refused.status_code == 400
    assert "must be an https URL" in refused.get_data(as_text=True)
    lab = FakePlatform(issuer="http://127.0.0.1:8081")
    lab.serve(mock)
    assert open_registration(client, lab, code_for(site)).status_code == 200
