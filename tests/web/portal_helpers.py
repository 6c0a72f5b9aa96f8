"""A portal on a fresh site (per database backend) and a fake platform registered with it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from fake_platform import FakePlatform
from flask import Flask
from flask.testing import FlaskClient

from rm_plugin.lti.platforms import PlatformValues, save_platform
from rm_plugin.site import Site
from rm_plugin.store.models import Person
from rm_plugin.web.app import create_app
from rm_plugin.web.sessions import COOKIE_NAME

TOOL = "https://tool.example"


def add_web_table(root: Path, **extra: str) -> None:
    (root / "secrets").mkdir(exist_ok=True)
    (root / "secrets" / "web-secret").write_text("test-web-secret-" + "x" * 40 + "\n", encoding="utf-8")
    lines = ["", "[web]", f'public_url = "{TOOL}"', 'secret_key_file = "secrets/web-secret"']
    lines += [f"{key} = {value}" for key, value in extra.items()]
    with (root / "rm-plugin.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


@pytest.fixture
def platform() -> FakePlatform:
    return FakePlatform()


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def site(site_root: Path) -> Iterator[Site]:
    add_web_table(site_root)
    loaded = Site.load(site_root, load_entrypoints=False)
    with loaded.database.transaction() as s:
        s.add(
            Person(hr_id="E1001", email="ada.lovelace@example.com", given_name="Ada", family_name="Lovelace")
        )
        s.add(Person(hr_id="E1002", email="alan.turing@example.com", given_name="Alan", family_name="Turing"))
        s.add(
            Person(
                hr_id="E1003", email="left@example.com", given_name="Gone", family_name="Away", status="left"
            )
        )
    yield loaded
    loaded.close()


def make_app(site: Site, **kwargs: Any) -> Flask:
    app = create_app(site, **kwargs)
    app.testing = True
    with site.database.transaction() as s:
        from rm_plugin.lti.keys import ToolKeys

        ToolKeys(app.extensions["rm_portal"].settings.secret_key).ensure(s)
    return app


@pytest.fixture
def app(site: Site, platform: FakePlatform, mock: responses.RequestsMock) -> Flask:
    platform.serve(mock)
    with site.database.transaction() as s:
        save_platform(
            s,
            PlatformValues(
                issuer=platform.issuer,
                client_id=platform.client_id,
                auth_url=platform.auth_url,
                jwks_url=platform.jwks_url,
                token_url=platform.token_url,
                deployment_ids=(platform.deployment_id,),
            ),
        )
    return make_app(site)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def login(client: FlaskClient, platform: FakePlatform, *, method: str = "POST") -> dict[str, str]:
    """Initiate the login as Moodle's iframe does, through the cookie check; returns the
    parameters of our redirect to the platform."""
    params = {
        "iss": platform.issuer,
        "login_hint": "7",
        "target_link_uri": f"{TOOL}/lti/launch",
        "lti_message_hint": '{"cmid":4,"launchid":"ltilaunch1_1"}',
        "client_id": platform.client_id,
        "lti_deployment_id": platform.deployment_id,
    }
    if method == "POST":
        response = client.post("/lti/login", data=params, base_url=TOOL)
    else:
        response = client.get("/lti/login", query_string=params, base_url=TOOL)
    assert response.status_code == 303, response.get_data(as_text=True)
    response = client.get(response.headers["Location"], base_url=TOOL)
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith(platform.auth_url + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def launch(client: FlaskClient, platform: FakePlatform, **overrides: Any) -> Any:
    """Login, then post the platform's id_token back; returns the launch response."""
    sent = login(client, platform)
    token = platform.id_token(sent["nonce"], **overrides)
    return client.post("/lti/launch", data={"id_token": token, "state": sent["state"]}, base_url=TOOL)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def session_cookies(response: Any) -> list[str]:
    """The response's Set-Cookie lines for the portal's session (the login's own cookies aside)."""
    return [line for line in response.headers.getlist("Set-Cookie") if line.startswith(f"{COOKIE_NAME}=")]


def keep_login_cookie(client: FlaskClient, app: Flask, state: str) -> None:
    """Give ``client`` the cookie the login of ``state`` set (as if the same browser posted)."""
    from rm_plugin.lti.login import browser_binding

    name, value = browser_binding(state, app.extensions["rm_portal"].settings.secret_key)
    client.set_cookie(name, value, domain="tool.example", path="/lti/")
