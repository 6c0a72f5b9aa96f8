"""The portal organisation with a review panel: Rita (E1006) runs the programme and reviews;
Mara (E1007) manages Isla (E1001, a mentee) and reviews; Omar (E1008) reviews; Nadia (E1009)
runs another programme. Two proposals need two approvals each."""

from __future__ import annotations

import datetime as dt

from portal_org import SLUG, add_people, add_programme, apply_all

from rm_plugin.enrolment.programmes import create_programme
from rm_plugin.matching.service import propose
from rm_plugin.site import Site
from rm_plugin.store.models import Person, Programme
from rm_plugin.unit_of_work import unit_of_work

OTHER = "rm-other"
PANEL = ["E1006", "E1007", "E1008"]
MORE = {
    "E1007": ("Mara", "Quist", 10, "Engineering"),
    "E1008": ("Omar", "Haddad", 7, "Legal"),
    "E1009": ("Nadia", "Ruiz", 7, "People"),
}


def proposals(site: Site) -> dict[str, int]:
    """The organisation, both programmes, and the proposals; returns mentee HR id -> pair id."""
    add_people(site)
    with site.database.transaction() as s:
        for hr_id, (given, family, level, department) in MORE.items():
            s.add(
                Person(
                    hr_id=hr_id, email=f"{given.lower()}@example.com", given_name=given, family_name=family,
                    job_level=level, department=department, languages=["en"], time_zone="Europe/London",
                )
            )  # fmt: skip
        s.flush()
        isla = s.query(Person).filter_by(hr_id="E1001").one()
        isla.manager_hr_id = "E1007"
    with site.database.transaction() as s:
        exists = s.query(Programme).filter_by(slug=SLUG).one_or_none() is not None
    if not exists:  # the browser's portal fixture made it already
        add_programme(site)
    with site.database.transaction() as s:
        programme = s.query(Programme).filter_by(slug=SLUG).one()
        programme.reviewers_required = 2
        programme.settings = {**(programme.settings or {}), "reviewers": PANEL}
    with unit_of_work(site) as work:
        today = dt.date.today()
        create_programme(
            work.session, slug=OTHER, name="Another programme", defaults=site.programme_defaults,
            starts_on=today, ends_on=today + dt.timedelta(days=90), admin_hr_id="E1009",
        )  # fmt: skip
    apply_all(site)
    result = propose(site.database, site.pm, SLUG, actor="test")
    return {p.mentee: p.pair_id for p in result.proposed}
