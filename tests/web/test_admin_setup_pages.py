"""The admin's programme setup and recruitment pages through the Flask test client: who may open
them (the programme's admin only, never from the LMS role), every bad setup value named at once
next to its field with nothing saved, creating a programme, skill supply against demand, the
applicant filters, and invitations and the reminder sent once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fake_platform import FakePlatform
from flask import Flask
from flask.testing import FlaskClient
from portal_helpers import TOOL, make_app
from portal_org import MENTEE, MENTOR, SLUG, add_people, add_programme, apply_all
from sqlalchemy import select
from test_participant_pages import post, sign_in, text

from rm_plugin.enrolment import apply as applying
from rm_plugin.enrolment.programmes import create_programme
from rm_plugin.programme.settings import update_programme
from rm_plugin.site import Site
from rm_plugin.store.models import Programme
from rm_plugin.unit_of_work import unit_of_work

SETUP = f"/admin/{SLUG}/setup"
RECRUITMENT = f"/admin/{SLUG}/recruitment"
ADMIN = "E1006"
#: The extra mentee's wishes: one skill no mentor offers, one more mentee for a skill mentors offer.
EXTRA = applying.Answers(
    role="mentee", skills_wanted={"podcasting": 3, "data visualisation": 1},
    availability=["mon-09"], consent=True,
)  # fmt: skip


def _other_programme(site: Site, slug: str = "other-26", admin: str = "E1004", **options: Any) -> None:
    with unit_of_work(site) as work:
        create_programme(
            work.session, slug=slug, name="Another programme", defaults=site.programme_defaults,
            admin_hr_id=admin, **options,
        )  # fmt: skip


def _programme(site: Site, slug: str = SLUG) -> Programme:
    with site.database.transaction() as s:
        found = s.scalar(select(Programme).where(Programme.slug == slug))
        assert found is not None
        s.expunge(found)
        return found


def _follow(client: FlaskClient, response: Any) -> str:
    assert response.status_code == 303, text(response)
    return text(client.get(response.headers["Location"], base_url=TOOL))


@pytest.fixture
def org(site: Site) -> Site:
    add_people(site)
    add_programme(site)
    return site


def test_only_the_programmes_admin_opens_its_pages(app: Flask, platform: FakePlatform, org: Site) -> None:
    _other_programme(org)
    member = sign_in(
        app,
        platform,
        "E1001",
        roles=["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"],
    )
    for path in (SETUP, RECRUITMENT, f"/admin/{SLUG}/stories", "/admin/new"):
        assert member.get(path, base_url=TOOL).status_code == 403, path
    admin = sign_in(app, platform, ADMIN)
    for path in (SETUP, RECRUITMENT, f"/admin/{SLUG}/stories", "/admin/new"):
        assert admin.get(path, base_url=TOOL).status_code == 200, path
    for path in ("/admin/other-26/setup", "/admin/other-26/recruitment", "/admin/other-26/stories"):
        assert admin.get(path, base_url=TOOL).status_code == 403, path
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(admin.get(SETUP, base_url=TOOL)))
    assert token
    refused = admin.post(
        "/admin/other-26/setup", data={"csrf_token": token.group(1), "cadence_days": "3"}, base_url=TOOL
    )
    assert refused.status_code == 403 and _programme(org, "other-26").cadence_days != 3
    remind = admin.post(
        "/admin/other-26/recruitment/remind", data={"csrf_token": token.group(1)}, base_url=TOOL
    )
    assert remind.status_code == 403


def test_every_bad_setup_value_is_named_at_its_field_and_nothing_is_saved(
    app: Flask, platform: FakePlatform, org: Site
) -> None:
    before = _programme(org)
    admin = sign_in(app, platform, ADMIN)
    bad = {
        "name": "x" * 300,
        "ends_on": (before.starts_on.replace(year=before.starts_on.year - 1)).isoformat(),
        "reviewers_required": "0",
        "cadence_days": "every fortnight",
        "mentor_capacity": "99",
        "admin_hr_id": "E1003",  # has left
        "rules.min_overlap_hours": "-2",
        "weights.skills": "lots",
        "reminder_days": "soon",
        "milestones": '[{"key": "x", "rule": "magic"}]',
        "enrolment": "open",
    }
    response = post(admin, SETUP, SETUP, bad)
    assert response.status_code == 400
    page = text(response)
    fields = {
        "name": "at most 200", "ends_on": "must be after", "reviewers_required": "from 1 to 10",
        "cadence_days": "every fortnight", "mentor_capacity": "from 1 to 20",
        "admin_hr_id": "not an active person",
        "rules-min_overlap_hours": "hours &gt;= 0", "weights-skills": "lots", "reminder_days": "soon",
        "milestones": "magic",
    }  # fmt: skip
    for field, words in fields.items():
        found = re.search(rf'<p class="problems" id="{field}-problem">([^<]*)', page)
        assert found and words in found.group(1), (field, found and found.group(1))
        assert f'id="{field}"' in page and "aria-invalid" in page
    linked = set(re.findall(r'<li><a href="#([\w-]+)">', page))
    assert linked == set(fields)  # the summary names every problem, each linked to its field
    assert 'value="every fortnight"' in page  # what was typed comes back to be fixed
    after = _programme(org)
    for key in ("name", "ends_on", "reviewers_required", "cadence_days", "mentor_capacity", "admin_hr_id",
                "rules", "weights", "settings", "milestones"):  # fmt: skip
        assert getattr(after, key) == getattr(before, key), key

    good = post(admin, SETUP, SETUP, {
        "name": before.name, "cadence_days": "21", "rules.not_same_department": "on", "weights.skills": "2.5",
        "enrolment": "invite", "reminder_days": "3",
    })  # fmt: skip
    saved = re.search(r"Saved: ([^<]+)\.", _follow(admin, good))
    assert saved and set(saved.group(1).split(", ")) == {
        "cadence_days",
        "enrolment",
        "reminder_days",
        "rules.not_same_department",
        "weights.skills",
    }
    after = _programme(org)
    assert (after.cadence_days, after.enrolment, after.settings["reminder_days"]) == (21, "invite", 3)
    assert after.rules == {"not_same_department": True} and after.weights == {"skills": 2.5}
    assert after.milestones == before.milestones  # the unchanged list was not resent


def test_the_start_date_stays_once_a_pair_is_approved(app: Flask, platform: FakePlatform, org: Site) -> None:
    from portal_org import match_and_approve

    apply_all(org)
    match_and_approve(org)
    admin = sign_in(app, platform, ADMIN)
    response = post(admin, SETUP, SETUP, {"starts_on": "2020-01-01"})
    assert response.status_code == 400 and "no longer changes" in text(response)


def test_a_programme_is_created_by_someone_who_runs_one_or_whom_the_site_lists(
    app: Flask, platform: FakePlatform, org: Site
) -> None:
    admin = sign_in(app, platform, ADMIN)
    refused = post(admin, "/admin/new", "/admin/new", {"slug": "Bad Slug", "name": " ", "cadence_days": "x",
                                                        "weights.skills": "-1"})  # fmt: skip
    assert refused.status_code == 400
    page = text(refused)
    for field in ("slug", "name", "cadence_days", "weights-skills"):
        assert f'id="{field}-problem"' in page, field
    with org.database.transaction() as s:
        assert s.scalars(select(Programme.slug)).all() == [SLUG]
    created = post(admin, "/admin/new", "/admin/new", {
        "slug": "rm-2027", "name": "Reverse mentoring 2027",
        "starts_on": "2027-01-04", "ends_on": "2027-06-30",
        "objectives": "digital-skills", "enrolment": "invite", "cadence_days": "10", "allow_mutual": "on",
        "rules.shared_language": "on", "weights.interests": "2",
    })  # fmt: skip
    assert "Programme Reverse mentoring 2027 created" in _follow(admin, created)
    home = admin.get("/admin/", base_url=TOOL).get_data(as_text=True)
    for page in ("setup", "recruitment", "stories", "running", "report"):
        assert f'href="/admin/rm-2027/{page}"' in home, page
    new = _programme(org, "rm-2027")
    assert (new.admin_hr_id, new.enrolment, new.cadence_days, new.allow_mutual) == (ADMIN, "invite", 10, True)
    assert new.objectives == ["digital-skills"] and new.rules == {"shared_language": True}
    assert new.weights == {"interests": 2} and new.milestones  # the default milestones

    # Someone who runs nothing creates one only when the site lists them.
    assert sign_in(app, platform, "E1001").get("/admin/new", base_url=TOOL).status_code == 403
    with (org.root / "rm-plugin.toml").open("a", encoding="utf-8") as fh:
        fh.write('programme_creators = ["E1001"]\n')  # [web] is the file's last table
    listed = Site.load(org.root, load_entrypoints=False)
    try:
        other = make_app(listed)
        creator = sign_in(other, platform, "E1001")
        assert creator.get("/admin/new", base_url=TOOL).status_code == 200
        home = creator.get("/admin/", base_url=TOOL)  # their way in, before they run anything
        assert home.status_code == 200 and 'href="/admin/new"' in home.get_data(as_text=True)
    finally:
        listed.close()


def test_recruitment_shows_skill_supply_against_demand_and_filters_applicants(
    app: Flask, platform: FakePlatform, org: Site
) -> None:
    apply_all(org)
    with unit_of_work(org) as work:
        applying.apply(work, "E1006", SLUG, EXTRA)
    mentees = [MENTEE, MENTEE, EXTRA]
    mentors = [MENTOR, MENTOR]
    admin = sign_in(app, platform, ADMIN)
    page = text(admin.get(RECRUITMENT, base_url=TOOL))
    rows = dict(
        (skill, (int(w), int(o)))
        for skill, w, o in re.findall(r'<tr><th scope="row">([^<]+)</th><td>(\d+)</td><td>(\d+)</td>', page)
    )
    wanted = {skill for answers in mentees for skill in answers.skills_wanted}
    expected = {
        skill: (
            sum(skill in a.skills_wanted for a in mentees),
            sum(skill in a.skills_offered for a in mentors),
        )
        for skill in wanted
    }
    assert rows == expected
    assert expected["podcasting"] == (1, 0) and expected["data visualisation"] == (3, 2)
    short = sum(1 for w, o in expected.values() if o < w)
    assert f"Recruit mentors for {short} skill(s)" in page
    assert "No mentor offers it" in page and "Too few mentors" in page

    def names(query: str) -> set[str]:
        shown = text(admin.get(RECRUITMENT + query, base_url=TOOL))
        if "No application matches." in shown:
            return set()
        table = shown.split('id="applications"')[1]
        return set(re.findall(r'<th scope="row">([A-Z][a-z]+ [A-Z][a-z]+) <span', table.split("</table>")[0]))

    assert names("") == {"Isla Bauer", "Grace Hopper", "Yusuf Okafor", "Linus Berg", "Rita Levi"}
    assert names("?role=mentor") == {"Yusuf Okafor", "Linus Berg"}
    assert names("?level=9") == {"Isla Bauer"}
    assert names("?department=Finance") == {"Grace Hopper"}
    assert names("?role=mentee&department=Sales") == set()


def test_invitations_and_the_reminder_go_once(app: Flask, platform: FakePlatform, org: Site) -> None:
    _other_programme(org, "inv-26", ADMIN, enrolment="invite")
    with unit_of_work(org) as work:
        update_programme(work.session, work.ctx, "inv-26", settings={"reminder_days": 0})
    admin = sign_in(app, platform, ADMIN)
    page = "/admin/inv-26/recruitment"
    sent = post(admin, page + "/invite", page, {"hr_ids": "E1001, E1004 E9999", "min_level": ""})
    shown = _follow(admin, sent)
    assert "Sent to 2 person(s); 0 had been invited before." in shown
    assert "E9999 is not an active person" in shown
    again = _follow(admin, post(admin, page + "/invite", page, {"hr_ids": "E1001 E1004"}))
    assert "Sent to 0 person(s); 2 had been invited before." in again
    bad = _follow(admin, post(admin, page + "/invite", page, {"min_level": "senior", "max_level": "²"}))
    assert "min level must be a job level" in bad and "max level must be a job level" in bad
    assert "Reminded 2 person(s)." in _follow(admin, post(admin, page + "/remind", page, {}))
    final = _follow(admin, post(admin, page + "/remind", page, {}))
    assert "Reminded 0 person(s)." in final and "2 invited, 0 applied" in final
