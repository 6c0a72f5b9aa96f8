"""The portal's defences: the cookie fallback, CSRF, the frame policy, shared rate limits."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fake_platform import FakePlatform
from flask import Flask
from flask.testing import FlaskClient
from portal_helpers import TOOL, add_web_table, launch, login, make_app, session_cookies
from sqlalchemy import select

from rm_plugin.lti.login import PROBE_COOKIE
from rm_plugin.site import Site
from rm_plugin.store.models import LtiLoginState


def _login_params(platform: FakePlatform) -> dict[str, str]:
    return {
        "iss": platform.issuer,
        "login_hint": "7",
        "target_link_uri": f"{TOOL}/lti/launch",
        "lti_message_hint": '{"cmid":4,"launchid":"ltilaunch1_1"}',
        "client_id": platform.client_id,
    }


def test_a_frame_that_keeps_no_cookie_is_offered_a_new_window_before_the_platform_is_asked(
    app: Flask, platform: FakePlatform, site: Site
) -> None:
    framed = app.test_client()
    first = framed.post("/lti/login", data=_login_params(platform), base_url=TOOL)
    assert first.status_code == 303 and PROBE_COOKIE in first.headers["Set-Cookie"]
    framed.delete_cookie(PROBE_COOKIE, domain="tool.example", path="/lti/")  # the frame dropped it
    check = framed.get(first.headers["Location"], base_url=TOOL, headers={"Sec-Fetch-Dest": "iframe"})
    page = check.get_data(as_text=True)
    assert check.status_code == 200
    assert "Open in a new window" in page and 'target="_blank"' in page
    with site.database.transaction() as s:
        assert s.scalars(select(LtiLoginState)).all() == []  # the platform was not asked yet
    link = page.split('class="button" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert link.startswith("/lti/login?") and "cookie_check" not in link
    window = app.test_client()  # a window of its own: first-party cookies
    started = window.get(link, base_url=TOOL)
    to_platform = window.get(started.headers["Location"], base_url=TOOL)
    assert to_platform.status_code == 302 and to_platform.headers["Location"].startswith(platform.auth_url)
    sent = {k: v[0] for k, v in parse_qs(urlsplit(to_platform.headers["Location"]).query).items()}
    assert sent["lti_message_hint"] == '{"cmid":4,"launchid":"ltilaunch1_1"}' and sent["login_hint"] == "7"
    form = {"id_token": platform.id_token(sent["nonce"]), "state": sent["state"]}
    landing = window.post("/lti/launch", data=form, base_url=TOOL)
    assert landing.status_code == 303
    window.get(landing.headers["Location"], base_url=TOOL)
    assert "Ada Lovelace" in window.get("/portal/", base_url=TOOL).get_data(as_text=True)


def test_a_window_that_keeps_no_cookie_is_told_to_allow_them(app: Flask, platform: FakePlatform) -> None:
    window = app.test_client()
    first = window.get("/lti/login", query_string=_login_params(platform), base_url=TOOL)
    window.delete_cookie(PROBE_COOKIE, domain="tool.example", path="/lti/")
    check = window.get(first.headers["Location"], base_url=TOOL, headers={"Sec-Fetch-Dest": "document"})
    page = check.get_data(as_text=True)
    assert "Allow cookies for this site" in page and "Open in a new window" not in page


def test_an_id_token_posted_from_another_browser_signs_nobody_in(app: Flask, platform: FakePlatform) -> None:
    attacker = app.test_client()
    sent = login(attacker, platform)  # a real launch of the attacker's own, stopped before the post
    form = {"id_token": platform.id_token(sent["nonce"]), "state": sent["state"]}
    victim = app.test_client()  # a page of the attacker's makes the victim's browser post it
    refused = victim.post("/lti/launch", data=form, base_url=TOOL)
    assert refused.status_code == 401
    assert "did not start in this browser" in refused.get_data(as_text=True)
    assert session_cookies(refused) == []
    assert victim.get("/portal/", base_url=TOOL).status_code == 401


def test_a_ticket_signs_in_only_the_browser_that_launched(app: Flask, platform: FakePlatform) -> None:
    attacker = app.test_client()
    location = launch(attacker, platform).headers["Location"]  # the attacker's own ticket
    victim = app.test_client()
    for link in (location, location + "&window=new"):
        answer = victim.get(link, base_url=TOOL)
        assert answer.status_code == 400
        assert "only the browser that opened the activity" in answer.get_data(as_text=True)
        assert session_cookies(answer) == []
    assert victim.get("/portal/", base_url=TOOL).status_code == 401
    assert attacker.get(location, base_url=TOOL).headers["Location"].endswith("/portal/")


def test_the_ticket_is_spent_when_the_cookie_came_back(app: Flask, platform: FakePlatform) -> None:
    client = app.test_client()
    location = launch(client, platform).headers["Location"]
    assert client.get(location, base_url=TOOL).headers["Location"].endswith("/portal/")
    stolen = app.test_client().get(location + "&window=new", base_url=TOOL)
    assert stolen.status_code == 400


def test_a_visitor_without_a_session_is_told_to_open_the_portal_from_the_course(client: FlaskClient) -> None:
    response = client.get("/portal/", base_url=TOOL)
    assert response.status_code == 401
    assert "Open Reverse mentoring from your course" in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers


def test_every_form_post_needs_the_session_csrf_token(app: Flask, platform: FakePlatform) -> None:
    from flask import render_template_string

    @app.route("/portal/test-form", methods=["GET", "POST"])
    def test_form() -> str:
        return render_template_string('<input name="csrf_token" value="{{ csrf_token() }}">')

    client = app.test_client()
    client.get(launch(client, platform).headers["Location"], base_url=TOOL)
    token = (
        client.get("/portal/test-form", base_url=TOOL)
        .get_data(as_text=True)
        .split('value="')[1]
        .split('"')[0]
    )
    assert client.post("/portal/test-form", data={}, base_url=TOOL).status_code == 400
    assert client.post("/portal/test-form", data={"csrf_token": "forged"}, base_url=TOOL).status_code == 400
    assert client.post("/portal/test-form", data={"csrf_token": token}, base_url=TOOL).status_code == 200
    assert client.post("/portal/test-form", headers={"X-CSRF-Token": token}, base_url=TOOL).status_code == 200
    other = app.test_client()  # another browser's session: the first one's token is worth nothing
    other.get(launch(other, platform).headers["Location"], base_url=TOOL)
    assert other.post("/portal/test-form", data={"csrf_token": token}, base_url=TOOL).status_code == 400


def test_only_registered_platforms_may_frame_the_portal(client: FlaskClient) -> None:
    response = client.get("/portal/", base_url=TOOL)
    policy = dict(
        part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["frame-ancestors"] == "'self' https://lms.example"
    assert policy["script-src"].startswith("'nonce-")
    assert policy["default-src"] == "'none'"
    assert "X-Frame-Options" not in response.headers
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"  # TOOL is https
    plain = client.get("/portal/", base_url=TOOL.replace("https:", "http:"))
    assert "Strict-Transport-Security" not in plain.headers


def test_login_and_launch_are_rate_limited_across_workers(
    site_root: Path, platform: FakePlatform, mock
) -> None:
    add_web_table(site_root, rate_limit="{ launches_per_minute = 3 }")
    site = Site.load(site_root, load_entrypoints=False)
    platform.serve(mock)
    from rm_plugin.lti.platforms import PlatformValues, save_platform

    with site.database.transaction() as s:
        save_platform(
            s, PlatformValues(platform.issuer, platform.client_id, platform.auth_url, platform.jwks_url)
        )
    one, two = make_app(site).test_client(), make_app(site).test_client()
    login(one, platform)
    login(two, platform)
    login(one, platform)
    refused = two.post("/lti/login", data={"iss": platform.issuer}, base_url=TOOL)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert one.post("/lti/launch", data={}, base_url=TOOL).status_code == 401  # another counter
    site.close()


def test_behind_a_trusted_proxy_each_client_address_has_its_own_budget(
    site_root: Path, platform: FakePlatform, mock
) -> None:
    add_web_table(site_root, trusted_proxies="1", rate_limit="{ launches_per_minute = 1 }")
    site = Site.load(site_root, load_entrypoints=False)
    client = make_app(site).test_client()

    def post(address: str) -> int:
        headers = {"X-Forwarded-For": address, "X-Forwarded-Proto": "https"}
        return client.post(
            "/lti/launch", data={}, headers=headers, base_url="http://tool.example"
        ).status_code

    assert post("198.51.100.7") == 401
    assert post("198.51.100.7") == 429
    assert post("198.51.100.8") == 401
    site.close()


def test_the_tool_jwks_publishes_the_active_and_recently_retired_keys(app: Flask, site: Site) -> None:
    import datetime as dt

    from rm_plugin.lti.keys import ToolKeys

    keys = ToolKeys(app.extensions["rm_portal"].settings.secret_key)
    client = app.test_client()
    first = client.get("/lti/jwks", base_url=TOOL).get_json()["keys"]
    assert len(first) == 1 and first[0]["kty"] == "RSA" and "d" not in first[0]
    with site.database.transaction() as s:
        keys.rotate(s, grace=dt.timedelta(days=7))
    both = client.get("/.well-known/jwks.json", base_url=TOOL).get_json()["keys"]
    assert [k["kid"] for k in both][1] == first[0]["kid"] and len(both) == 2
    with site.database.transaction() as s:
        keys.rotate(s, grace=dt.timedelta(seconds=0))
    after = client.get("/lti/jwks", base_url=TOOL).get_json()["keys"]
    assert first[0]["kid"] in [k["kid"] for k in after]  # still inside its own seven days
    assert len(after) == 2  # the key retired with no grace is gone


@pytest.mark.parametrize("path", ["/lti/launch", "/lti/login"])
def test_platform_endpoints_need_no_csrf_token_but_refuse_nonsense(client: FlaskClient, path: str) -> None:
    response = client.post(path, data={"state": "x", "id_token": "y.z"}, base_url=TOOL)
    assert response.status_code in (400, 401)
    assert "form was open too long" not in response.get_data(as_text=True)
