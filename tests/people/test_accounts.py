"""The account directory: a person's account per host connection, kept once, found both ways."""

from __future__ import annotations

from rm_plugin.people.accounts import StoredAccounts
from rm_plugin.store import Database
from rm_plugin.store.models import Person


def directory(db: Database) -> StoredAccounts:
    with db.transaction() as session:
        session.add_all(
            [
                Person(hr_id="E100", email="ada@acme.example", given_name="Ada", family_name="Senior"),
                Person(hr_id="E200", email="bo@acme.example", given_name="Bo", family_name="Junior"),
                Person(hr_id="E300", email="cy@acme.example", status="left"),
            ]
        )
    return StoredAccounts(lambda: db)


def test_links_are_kept_per_connection_and_found_both_ways(db: Database) -> None:
    accounts = directory(db)
    assert accounts.link("moodle", {"E100": "41", "E200": "57", "E999": "1"}) == 2  # no such person: E999
    assert accounts.link("lti", {"E100": "lms-user-7"}) == 1
    assert accounts.accounts("moodle", ["E100", "E200", "E300"]) == {"E100": "41", "E200": "57"}
    assert accounts.person_for("lti", "lms-user-7") == "E100"
    assert accounts.person_for("moodle", "lms-user-7") is None


def test_a_person_keeps_the_link_recorded_first(db: Database) -> None:
    accounts = directory(db)
    accounts.link("moodle", {"E100": "41"})
    assert accounts.link("moodle", {"E100": "99", "E200": "57"}) == 1
    assert accounts.accounts("moodle", ["E100", "E200"]) == {"E100": "41", "E200": "57"}


def test_people_are_read_with_what_a_host_matches_on(db: Database) -> None:
    accounts = directory(db)
    found = accounts.people(["E100", "E404"])
    assert list(found) == ["E100"]
    assert (found["E100"].email, found["E100"].given_name) == ("ada@acme.example", "Ada")
    assert [p.hr_id for p in accounts.active_people()] == ["E100", "E200"]
