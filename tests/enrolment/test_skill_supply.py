"""Skill supply against demand on a hand-made set of applications: the counts and flags are
computed in the test from the same hand-written rows, not read back from the service."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from rm_plugin.cli import build_cli
from rm_plugin.enrolment.programmes import create_programme
from rm_plugin.enrolment.skill_supply import skill_supply
from rm_plugin.site import Site
from rm_plugin.store.models import Application, Person
from rm_plugin.unit_of_work import unit_of_work

SLUG = "skills-26"
# hr_id -> (role, skills, application status, person status). Mentees want, mentors offer.
APPLICANTS = {
    "S1": ("mentee", ["generative ai", "social media", "tiktok"], "submitted", "active"),
    "S2": ("mentee", ["generative ai", "Data Visualisation"], "submitted", "active"),
    "S3": ("mentee", ["generative ai", "podcasting"], "submitted", "active"),
    "S4": ("mentee", ["esports"], "withdrawn", "active"),  # withdrawn: wants nothing any more
    "S5": ("mentee", ["esports"], "submitted", "left"),  # left the company: counts for nothing
    "J1": ("mentor", ["generative ai", "data visualisation"], "submitted", "active"),
    "J2": ("mentor", ["social media", "data visualisation", "gaming"], "submitted", "active"),
    "J3": ("mentor", ["podcasting"], "withdrawn", "active"),
    "J4": ("mentor", ["tiktok"], "submitted", "left"),
}


def _add(site: Site) -> None:
    with unit_of_work(site) as work:
        programme = create_programme(work.session, slug=SLUG, name="Skills", defaults=site.programme_defaults)
        for n, (hr_id, (role, skills, status, person_status)) in enumerate(APPLICANTS.items()):
            person = Person(
                hr_id=hr_id, email=f"{hr_id.lower()}@x.com", job_level=8 if role == "mentee" else 2,
                status=person_status,
            )  # fmt: skip
            work.session.add(person)
            work.session.flush()
            work.session.add(
                Application(
                    programme_id=programme.id, person_id=person.id, role=role, status=status,
                    skills_offered=skills if role == "mentor" else [],
                    skills_wanted={s: 1 + n % 3 for s in skills} if role == "mentee" else {},
                )
            )  # fmt: skip


def _expected() -> dict[str, tuple[int, int]]:
    counted = [
        (role, [s.lower() for s in skills])
        for role, skills, status, person_status in APPLICANTS.values()
        if status == "submitted" and person_status == "active"
    ]
    wanted = Counter(s for role, skills in counted if role == "mentee" for s in skills)
    offered = Counter(s for role, skills in counted if role == "mentor" for s in skills)
    return {skill: (wanted[skill], offered[skill]) for skill in wanted}


def test_each_wanted_skill_is_weighed_against_the_mentors_who_offer_it(site_root: Path) -> None:
    site = Site.load(site_root, load_entrypoints=False)
    site.database.upgrade()
    _add(site)
    with unit_of_work(site) as work:
        balances = skill_supply(work, SLUG)
    site.close()
    expected = _expected()
    assert {b.skill: (b.mentees, b.mentors) for b in balances} == expected
    assert {b.skill for b in balances if b.unmet} == {s for s, (_, o) in expected.items() if o == 0}
    assert {b.skill for b in balances if b.short} == {s for s, (w, o) in expected.items() if o < w}
    # the hand-made set has each case: unmet, short but offered, and covered
    assert {"tiktok", "podcasting"} <= {b.skill for b in balances if b.unmet}
    assert "generative ai" in {b.skill for b in balances if b.short and not b.unmet}
    assert "gaming" not in expected and "esports" not in expected
    # the scarcest first: each balance has no more mentors per mentee wanting than the next
    gaps = [b.mentors - b.mentees for b in balances]
    assert gaps == sorted(gaps)


def test_the_command_prints_the_balance_and_what_to_recruit(site_root: Path) -> None:
    site = Site.load(site_root, load_entrypoints=False)
    site.database.upgrade()
    _add(site)
    site.close()
    result = CliRunner().invoke(build_cli(), ["--site", str(site_root), "applications", "skills", SLUG])
    assert result.exit_code == 0, result.output
    lines = {line.split("  ")[0].strip(): line for line in result.output.splitlines()}
    assert "no mentor offers it" in lines["tiktok"]
    assert "too few mentors" in lines["generative ai"]
    assert "too few" not in lines["data visualisation"] and "no mentor" not in lines["data visualisation"]
    short = sum(1 for w, o in _expected().values() if o < w)
    assert f"{short} skill(s) need more mentors" in result.output
