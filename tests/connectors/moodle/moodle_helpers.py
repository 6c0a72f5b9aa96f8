"""Moodle connector test helpers: response bodies shaped like Moodle 4.4's, exact form matchers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import responses
from responses import matchers

from rm_plugin.connections import ConnectionContext
from rm_plugin.connectors.moodle import MoodleConfig, MoodleConnection
from rm_plugin.http import RetryPolicy
from rm_plugin.people.accounts import StoredAccounts
from rm_plugin.store import Database
from rm_plugin.store.connector_state import StoredState
from rm_plugin.store.models import Person

FIXTURES = Path(__file__).parent / "fixtures"
BASE = "https://moodle.example.org"
ENDPOINT = f"{BASE}/webservice/rest/server.php"
TOKEN = "f3c1e0a9b8d7c6e5f4a3b2c1d0e9f8a7"

BASE_CONFIG: dict[str, Any] = {
    "url": BASE,
    "token": TOKEN,
    "course": "rm-2026",
    "role_id": 5,
    "cohorts": ["rm-participants"],
    "milestones": {"agreement_signed": 310, "first_meeting": "First meeting", "final_retrospective": 312},
    "awards": {
        "reverse_mentor": {"route": "course_completion", "badge": "Reverse mentor"},
        "mentor_cohort": {"route": "cohort", "badge": 7, "cohort": "rm-badge-mentor"},
    },
}


def body(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def form(function: str, **fields: Any) -> dict[str, str]:
    """The exact form Moodle must receive: the three reserved fields plus the arguments."""
    return {"wstoken": TOKEN, "wsfunction": function, "moodlewsrestformat": "json", **fields}


Expect = Callable[..., responses.BaseResponse]


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def expect(mock: responses.RequestsMock) -> Expect:
    """``expect(function, fields, answer)``: one POST with exactly these form fields.

    ``any_fields=True`` matches the function alone, for calls another test already pins down.
    """

    def add(
        function: str,
        fields: Mapping[str, Any] | None = None,
        answer: Any = None,
        *,
        status: int = 200,
        **kw: Any,
    ) -> responses.BaseResponse:
        if kw.get("any_fields"):  # only the function is checked (the fields are asserted elsewhere)
            match = [
                matchers.urlencoded_params_matcher(
                    {"wsfunction": function}, allow_blank=False, strict_match=False
                )
            ]
        else:
            match = [matchers.urlencoded_params_matcher(form(function, **(fields or {})))]
        if "body" in kw:
            return mock.post(
                ENDPOINT,
                body=kw["body"],
                status=status,
                match=match,
                content_type=kw.get("content_type", "text/html"),
            )
        # Moodle sends JSON ``null`` for a function with no result, never an empty body.
        return mock.post(
            ENDPOINT, body=json.dumps(answer), status=status, match=match, content_type="application/json"
        )

    return add


def load_config(**overrides: Any) -> dict[str, Any]:
    raw = {**BASE_CONFIG, **overrides}
    return MoodleConfig().load(raw)


@pytest.fixture
def make_connection(tmp_path: Path) -> Iterator[Callable[..., MoodleConnection]]:
    made: list[MoodleConnection] = []

    def build(database: Database | None = None, *, state: bool = False, **overrides: Any) -> MoodleConnection:
        accounts = StoredAccounts(lambda: database) if database is not None else None
        stored = StoredState(lambda: database, "moodle") if state and database is not None else None
        context = ConnectionContext(
            "moodle",
            tmp_path / "connectors" / "moodle.toml",
            tmp_path,
            tmp_path / "out",
            accounts=accounts,
            state=stored,
        )
        connection = MoodleConnection(
            context, load_config(**overrides), retry=RetryPolicy(sleep=lambda s: None)
        )
        made.append(connection)
        return connection

    yield build
    for connection in made:
        connection.client.close()


@pytest.fixture
def people(db: Database) -> Database:
    """The database with the two people of the fixtures' pair (and one without a Moodle account)."""
    with db.transaction() as session:
        session.add_all(
            [
                Person(hr_id="E100", email="ada.senior@acme.example", given_name="Ada", family_name="Senior"),
                Person(hr_id="E200", email="Bo.Junior@acme.example", given_name="Bo", family_name="Junior"),
                Person(hr_id="E300", email="cy.nobody@acme.example", given_name="Cy", family_name="Nobody"),
            ]
        )
    return db
