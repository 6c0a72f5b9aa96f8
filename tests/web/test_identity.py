"""Matching a launch's user to a person by the claim a site chose."""

from __future__ import annotations

from rm_plugin.lti import claims as c
from rm_plugin.people.accounts import IdentityRule, claim_value, person_for_launch
from rm_plugin.site import Site

CLAIMS = {
    "sub": "7",
    "email": "Ada.Lovelace@Example.com",
    c.LIS: {"person_sourcedid": "E1001"},
    c.CUSTOM: {"hr_id": " E1002 "},
    "https://example.com/claims/employee": "E1002",
}


def test_claims_are_read_by_short_name_or_full_name() -> None:
    assert claim_value(CLAIMS, "lis.person_sourcedid") == "E1001"
    assert claim_value(CLAIMS, "custom.hr_id") == "E1002"
    assert claim_value(CLAIMS, "https://example.com/claims/employee") == "E1002"
    assert claim_value(CLAIMS, "custom.missing") == ""
    assert claim_value(CLAIMS, "sub") == "7"


def test_each_rule_finds_its_person(site: Site) -> None:
    with site.database.transaction() as s:
        ids = {
            rule: person_for_launch(s, CLAIMS, rule).person_id
            for rule in (
                IdentityRule(),
                IdentityRule(claim="custom.hr_id"),
                IdentityRule(claim="email", matches="email"),
                IdentityRule(claim="https://example.com/claims/employee"),
            )
        }
        from sqlalchemy import select

        from rm_plugin.store.models import Person

        by_hr = dict(s.execute(select(Person.hr_id, Person.id)).all())
    assert list(ids.values()) == [by_hr["E1001"], by_hr["E1002"], by_hr["E1001"], by_hr["E1002"]]


def test_the_moodle_user_id_never_matches_an_hr_id(site: Site) -> None:
    with site.database.transaction() as s:
        found = person_for_launch(s, {"sub": "E1001"}, IdentityRule())
    assert found.person_id is None and found.reason == "no_value"


def test_a_launch_records_the_lms_user_as_the_persons_account(site: Site) -> None:
    """The account directory holds the one mapping: issuer + sub -> person, moved when the claim
    names somebody else for the same LMS user."""
    from rm_plugin.people.accounts import StoredAccounts, lti_connection

    accounts = StoredAccounts(lambda: site.database)
    issuer = "https://lms.example"
    with site.database.transaction() as s:
        person_for_launch(s, CLAIMS, IdentityRule(), issuer=issuer, sub="7")
    assert accounts.person_for(lti_connection(issuer), "7") == "E1001"
    with site.database.transaction() as s:  # the same LMS user now says it is E1002
        person_for_launch(s, CLAIMS, IdentityRule(claim="custom.hr_id"), issuer=issuer, sub="7")
    assert accounts.person_for(lti_connection(issuer), "7") == "E1002"
    assert accounts.accounts(lti_connection(issuer), ["E1001", "E1002"]) == {"E1002": "7"}
    with site.database.transaction() as s:  # E1002's LMS account was recreated with a new id
        person_for_launch(s, CLAIMS, IdentityRule(claim="custom.hr_id"), issuer=issuer, sub="12")
    assert accounts.accounts(lti_connection(issuer), ["E1002"]) == {"E1002": "12"}
    assert lti_connection("https://x.example/" + "p" * 80).startswith("lti:sha256:")
    assert len(lti_connection("https://x.example/" + "p" * 80)) <= 64
