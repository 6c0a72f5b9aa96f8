"""OAuth 2.0 refresh-token grant: bearer tokens for the report, reused, renewed, rotated and kept."""

from __future__ import annotations

import base64
import datetime as dt
import logging
from urllib.parse import parse_qs

import pytest
from responses import matchers
from workday_fakes import CLIENT_ID, CLIENT_SECRET, NOW, OAUTH, RAAS, REFRESH, TOKEN, make_connection

from rm_plugin.connectors.workday.oauth import StateTokenStore
from rm_plugin.http import AuthenticationError
from rm_plugin.store.connector_state import StoredState

REPORT = {"Report_Entry": [{"Employee_ID": "21001", "Work_Email": "w21001@acme.example", "Job_Level": "9"}]}


def token(access: str, refresh: str | None = None, expires_in: int | None = 3600) -> dict:
    body: dict = {"access_token": access, "token_type": "Bearer"}
    if refresh:
        body["refresh_token"] = refresh
    if expires_in is not None:
        body["expires_in"] = expires_in
    return body


def form(call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(call.request.body).items()}


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


def test_the_report_is_read_with_a_bearer_token_reused_until_it_expires(tmp_path, mocked):
    clock = Clock()
    mocked.post(TOKEN, json=token("access-1", "rotated-2"))
    mocked.get(RAAS, json=REPORT, match=[matchers.header_matcher({"Authorization": "Bearer access-1"})])
    mocked.get(RAAS, json=REPORT, match=[matchers.header_matcher({"Authorization": "Bearer access-1"})])
    mocked.post(TOKEN, json=token("access-2"))
    mocked.get(RAAS, json=REPORT, match=[matchers.header_matcher({"Authorization": "Bearer access-2"})])
    connection = make_connection(tmp_path, OAUTH, clock=clock)

    assert [p.hr_id for p in connection.fetch(None).records] == ["21001"]
    clock.now += dt.timedelta(minutes=50)
    connection.fetch(None)  # still valid: no token call
    clock.now += dt.timedelta(minutes=9, seconds=30)  # within a minute of expiry: renewed
    connection.fetch(None)

    grants = [form(c) for c in mocked.calls if c.request.url == TOKEN]
    assert grants == [
        {
            "grant_type": "refresh_token",
            "refresh_token": REFRESH,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
        {
            "grant_type": "refresh_token",
            "refresh_token": "rotated-2",  # the rotated token, not the spent one
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    ]


def test_client_credentials_can_go_as_basic_auth(tmp_path, mocked):
    mocked.post(TOKEN, json=token("access-1", expires_in=None))
    mocked.get(RAAS, json=REPORT)
    make_connection(tmp_path, {**OAUTH, "oauth_client_auth": "basic"}).fetch(None)
    grant = mocked.calls[0]
    assert form(grant) == {"grant_type": "refresh_token", "refresh_token": REFRESH}
    user, secret = base64.b64decode(grant.request.headers["Authorization"].split()[1]).decode().split(":")
    assert (user, secret) == (CLIENT_ID, CLIENT_SECRET)
    assert mocked.calls[1].request.headers["Authorization"] == "Bearer access-1"


def test_a_refused_cached_token_is_fetched_again_once(tmp_path, mocked):
    clock = Clock()
    mocked.post(TOKEN, json=token("access-1"))
    mocked.get(RAAS, json=REPORT)
    mocked.get(RAAS, status=401, json={"error": "invalid access token"})
    mocked.post(TOKEN, json=token("access-2"))
    mocked.get(RAAS, json=REPORT, match=[matchers.header_matcher({"Authorization": "Bearer access-2"})])
    connection = make_connection(tmp_path, OAUTH, clock=clock)
    connection.fetch(None)
    clock.now += dt.timedelta(minutes=5)  # revoked on the host side before it expired
    assert [p.hr_id for p in connection.fetch(None).records] == ["21001"]
    assert len(mocked.calls) == 5


def test_a_fresh_token_that_is_refused_is_not_fetched_again(tmp_path, mocked):
    mocked.post(TOKEN, json=token("access-1"))
    mocked.get(RAAS, status=401, json={"error": "invalid access token"})
    with pytest.raises(AuthenticationError):
        make_connection(tmp_path, OAUTH).fetch(None)
    assert len(mocked.calls) == 2


def test_a_refused_refresh_token_is_one_clear_line_without_secrets(tmp_path, mocked, caplog):
    caplog.set_level(logging.DEBUG)
    mocked.post(
        TOKEN,
        status=400,
        json={"error": "invalid_grant", "error_description": f"Invalid refresh token {REFRESH}"},
    )
    report = make_connection(tmp_path, OAUTH).health()
    (line,) = report.problems
    assert line.startswith(
        "workday: POST /ccx/oauth2/acme/token failed: invalid_grant: Invalid refresh token ***; "
        "the refresh token or API client was refused"
    )
    assert line.endswith(
        "check oauth_client_id, oauth_client_secret and oauth_refresh_token in connectors/workday.toml"
    )
    for secret in (REFRESH, CLIENT_SECRET):
        assert secret not in line and secret not in caplog.text


def test_the_token_answer_must_be_a_bearer_token(tmp_path, mocked):
    mocked.post(TOKEN, json={"access_token": "x", "token_type": "mac"})
    report = make_connection(tmp_path, OAUTH).health()
    assert report.problems == (
        "report ISU_RM/RM_Workers: workday: POST /ccx/oauth2/acme/token failed: "
        "the token endpoint gave a 'mac' token, not a bearer token",
    )


def test_rotated_refresh_tokens_are_kept_in_the_database_for_the_next_run(tmp_path, mocked, db):
    def state() -> StoredState:  # what the site gives each new process's connection
        return StoredState(lambda: db, "workday")

    mocked.post(TOKEN, json=token("access-1", "rotated-2"))
    mocked.get(RAAS, json=REPORT)
    first = make_connection(tmp_path, OAUTH, state=state())
    first.fetch(None)

    mocked.post(TOKEN, json=token("access-2", "rotated-3"))
    mocked.get(RAAS, json=REPORT)
    second = make_connection(tmp_path, OAUTH, state=state())  # a new process
    second.fetch(None)
    assert form(mocked.calls[2])["refresh_token"] == "rotated-2"

    # An admin who registers a new refresh token starts a new chain: the stored one is not used.
    mocked.post(TOKEN, json=token("access-3"))
    mocked.get(RAAS, json=REPORT)
    third = make_connection(tmp_path, {**OAUTH, "oauth_refresh_token": "new-token"}, state=state())
    third.fetch(None)
    assert form(mocked.calls[4])["refresh_token"] == "new-token"

    store = StateTokenStore(state())
    seen: list[str] = []
    from rm_plugin.secret import Secret

    store.exchange(Secret(REFRESH), lambda current: seen.append(current.reveal()))
    assert seen == ["rotated-3"]


def test_a_rotated_refresh_token_is_stored_sealed_and_an_older_clear_one_is_sealed_on_use(db):
    """A copy of the database alone must not be able to call Workday: the stored token is
    encrypted with a key derived from the configured one."""
    from sqlalchemy import select

    from rm_plugin.secret import Secret
    from rm_plugin.store.models import ConnectorState

    def stored() -> dict:
        with db.transaction() as s:
            return s.scalars(select(ConnectorState.value)).one()

    state = StoredState(lambda: db, "workday")
    store = StateTokenStore(state)
    store.exchange(Secret(REFRESH), lambda current: Secret("rotated-secret-2"))
    assert "rotated-secret-2" not in str(stored()) and set(stored()) == {"from", "sealed"}
    seen: list[str] = []
    store.exchange(Secret(REFRESH), lambda current: seen.append(current.reveal()))
    assert seen == ["rotated-secret-2"]

    with state.locked(StateTokenStore.KEY) as value:  # as an older release left it: in the clear
        value.clear()
        value.update({"from": stored_from(REFRESH), "refresh_token": "clear-3"})
    store.exchange(Secret(REFRESH), lambda current: seen.append(current.reveal()))
    assert seen[-1] == "clear-3" and "clear-3" not in str(stored()) and "sealed" in stored()


def stored_from(token: str) -> str:
    from rm_plugin.connectors.workday.oauth import fingerprint
    from rm_plugin.secret import Secret

    return fingerprint(Secret(token))
