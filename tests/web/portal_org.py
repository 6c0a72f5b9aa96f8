"""A small organisation for the participant pages: two seniors who want to learn, two juniors who
can teach, a reviewer, and an open programme; pairs are proposed and approved by the services."""

from __future__ import annotations

import datetime as dt

from rm_plugin.enrolment import apply as applying
from rm_plugin.enrolment.programmes import create_programme
from rm_plugin.matching.review import approve_pair
from rm_plugin.matching.service import propose
from rm_plugin.site import Site
from rm_plugin.store.models import Person
from rm_plugin.unit_of_work import unit_of_work

SLUG = "rm-2026"
#: hr_id -> (given, family, level, department, time zone)
PEOPLE = {
    "E1001": ("Isla", "Bauer", 9, "Engineering", "Europe/London"),
    "E1002": ("Yusuf", "Okafor", 3, "Marketing", "Europe/London"),
    "E1004": ("Grace", "Hopper", 8, "Finance", "America/New_York"),
    "E1005": ("Linus", "Berg", 2, "Sales", "Europe/Berlin"),
    "E1006": ("Rita", "Levi", 6, "People", "Europe/London"),
}
MENTEE = applying.Answers(
    role="mentee",
    skills_wanted={"data visualisation": 3, "social media": 2},
    learning_style="hands-on",
    interests=["music"],
    availability=["mon-09", "mon-10", "tue-14"],
    meeting_mode="remote",
    goals="See how my team could use data better",
    consent=True,
)
MENTOR = applying.Answers(
    role="mentor",
    skills_offered=["data visualisation", "social media"],
    learning_style="hands-on",
    interests=["music"],
    availability=["mon-09", "mon-10", "mon-11"],
    meeting_mode="either",
    consent=True,
)


def add_people(site: Site) -> None:
    """Give the people the web tests' site already has levels, and add the rest."""
    with site.database.transaction() as s:
        known = {p.hr_id: p for p in s.query(Person)}
        for hr_id, (given, family, level, department, zone) in PEOPLE.items():
            person = known.get(hr_id) or Person(hr_id=hr_id, email=f"{given.lower()}@example.com")
            person.given_name, person.family_name = given, family
            person.job_level, person.department, person.time_zone = level, department, zone
            person.languages = ["en"]
            s.add(person)


def add_programme(site: Site, today: dt.date | None = None) -> None:
    today = today or dt.date.today()
    with unit_of_work(site) as work:
        create_programme(
            work.session,
            slug=SLUG,
            name="Reverse mentoring 2026",
            defaults=site.programme_defaults,
            starts_on=today - dt.timedelta(days=30),
            ends_on=today + dt.timedelta(days=150),
            reviewers_required=1,
            admin_hr_id="E1006",
        )


def apply_all(site: Site) -> None:
    for hr_id, answers in (("E1001", MENTEE), ("E1004", MENTEE), ("E1002", MENTOR), ("E1005", MENTOR)):
        with unit_of_work(site) as work:
            applying.apply(work, hr_id, SLUG, answers)


def match_and_approve(site: Site) -> dict[str, int]:
    """Propose pairs and have the reviewer approve each; returns mentee HR id -> pair id."""
    result = propose(site.database, site.pm, SLUG, actor="test")
    pairs = {}
    for proposal in result.proposed:
        with unit_of_work(site) as work:
            approve_pair(work, proposal.pair_id, "E1006")
        pairs[proposal.mentee] = proposal.pair_id
    return pairs


def active_programme(site: Site) -> dict[str, int]:
    add_people(site)
    add_programme(site)
    apply_all(site)
    return match_and_approve(site)
