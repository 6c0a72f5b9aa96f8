"""The participant pages through the Flask test client, signed in by a fake platform launch:
apply, the pair and why, the agreement (edit, versions, sign, .ics), meetings (log, confirm,
notes), the pulse, retrospectives, milestones; and every page refused (403) to a member of
another pair."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from fake_platform import FakePlatform
from flask import Flask
from flask.testing import FlaskClient
from portal_helpers import TOOL, launch
from portal_org import MENTEE, SLUG, active_programme, add_people, add_programme

from rm_plugin import lti
from rm_plugin.site import Site

LIS = lti.claims.LIS


def sign_in(app: Flask, platform: FakePlatform, hr_id: str, **claims: Any) -> FlaskClient:
    client = app.test_client()
    response = launch(client, platform, **{LIS: {"person_sourcedid": hr_id}}, **claims)
    assert response.status_code == 303, response.get_data(as_text=True)
    client.get(response.headers["Location"], base_url=TOOL)  # the landing claims the hand-off
    return client


def csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path, base_url=TOOL)
    assert page.status_code == 200, page.get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert found, f"no form on {path}"
    return found.group(1)


def post(client: FlaskClient, path: str, form_page: str, data: dict[str, Any]) -> Any:
    data = {**data, "csrf_token": csrf(client, form_page)}
    return client.post(path, data=data, base_url=TOOL)


def text(response: Any) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def pairs(site: Site) -> dict[str, int]:
    return active_programme(site)


def test_a_person_applies_with_the_week_grid_and_every_problem_is_shown(
    app: Flask, platform: FakePlatform, site: Site
) -> None:
    add_people(site)
    add_programme(site)
    client = sign_in(app, platform, "E1001")
    home = text(client.get("/portal/", base_url=TOOL))
    assert "Reverse mentoring 2026" in home and f"/portal/programmes/{SLUG}/apply" in home
    page = f"/portal/programmes/{SLUG}/apply"
    form = text(client.get(page, base_url=TOOL))
    assert 'name="availability" value="mon-09"' in form and "Europe/London" in form
    assert "Not open to you" in form  # level 9 cannot mentor: nobody is two levels above
    refused = post(client, page, page, {"role": "mentee", "availability": ["xyz-99"]})
    assert refused.status_code == 400
    body = text(refused)
    for problem in ("skills wanted", "availability", "consent"):
        assert problem in body
    sent = post(
        client, page, page,
        {"role": "mentee", "wanted_skill_1": "Data visualisation", "wanted_priority_1": "3",
         "availability": ["mon-09", "mon-10", "wed-15"], "meeting_mode": "remote", "consent": "yes"},
    )  # fmt: skip
    assert sent.status_code == 302
    home = text(client.get("/portal/", base_url=TOOL))
    assert "You applied as a mentee." in home
    again = text(client.get(page, base_url=TOOL))  # the answers come back, windows as grid cells
    assert 'value="mon-10" id="cell-mon-10" checked' in again
    assert 'value="data visualisation"' in again


def test_the_pair_page_shows_the_partner_and_why_without_demographic_terms(
    app: Flask, platform: FakePlatform, site: Site, pairs: dict[str, int]
) -> None:
    from rm_plugin.store.models import Pair

    pair_id = pairs["E1001"]
    with site.database.transaction() as s:
        pair = s.get(Pair, pair_id)
        assert pair is not None
        pair.breakdown = {**pair.breakdown, "diverse_pair": {"value": 1.0, "weight": 0.5, "points": 0.5}}
    client = sign_in(app, platform, "E1001")
    page = text(client.get(f"/portal/pairs/{pair_id}/", base_url=TOOL))
    assert "Yusuf Okafor" in page and "You are the mentee" in page
    assert "data visualisation" in page and "Skills: what one wants and the other offers" in page
    assert "diverse" not in page
    assert "Agreement signed: not yet" in page


def test_the_agreement_is_edited_versioned_signed_by_both_and_downloaded(
    app: Flask, platform: FakePlatform, pairs: dict[str, int]
) -> None:
    pair_id = pairs["E1001"]
    base = f"/portal/pairs/{pair_id}/agreement"
    mentee, mentor = sign_in(app, platform, "E1001"), sign_in(app, platform, "E1002")
    first = text(mentee.get(base, base_url=TOOL))
    assert "Draft:" in first and "Isla Bauer (mentee, owner of the relationship)" in first
    edit_page = base + "?edit=1"
    saved = post(mentee, base, edit_page, {"based_on": "1", "purpose": "Learn to tell stories with data."})
    assert saved.status_code == 303
    # The mentor opened version 1 before the save: their edit is refused, nothing is lost.
    stale = post(mentor, base, edit_page, {"based_on": "1", "purpose": "Something else"})
    assert "your partner saved version 2" in text(mentor.get(stale.headers["Location"], base_url=TOOL))
    read = text(mentor.get(base, base_url=TOOL))
    assert "What version 2 changed" in read and "Learn to tell stories with data." in read
    bad = post(mentor, base, edit_page, {"based_on": "2", "schedule.time": "25:99"})
    assert "schedule.time must be HH:MM" in text(mentor.get(bad.headers["Location"], base_url=TOOL))
    for client in (mentee, mentor):
        signed = post(client, base + "/sign", base, {"version": "2"})
        assert signed.status_code == 303
    done = text(mentor.get(base, base_url=TOOL))
    assert "In force:" in done and "signed by Isla Bauer, Yusuf Okafor" in done
    assert f'href="/portal/pairs/{pair_id}/agreement?version=1"' in done
    ics = mentee.get(base + ".ics", base_url=TOOL)
    assert ics.headers["Content-Type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in text(ics) and "attachment" in ics.headers["Content-Disposition"]
    assert "Agreement signed: reached" in text(mentee.get(f"/portal/pairs/{pair_id}/", base_url=TOOL))


def _signed(app: Flask, platform: FakePlatform, pair_id: int) -> tuple[FlaskClient, FlaskClient]:
    mentee, mentor = sign_in(app, platform, "E1001"), sign_in(app, platform, "E1002")
    base = f"/portal/pairs/{pair_id}/agreement"
    for client in (mentee, mentor):
        post(client, base + "/sign", base, {"version": "1"})
    return mentee, mentor


def test_a_meeting_is_logged_confirmed_by_the_partner_then_the_pulse_follows(
    app: Flask, platform: FakePlatform, pairs: dict[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    pair_id = pairs["E1001"]
    mentee, mentor = _signed(app, platform, pair_id)
    meetings = f"/portal/pairs/{pair_id}/meetings"
    import datetime as dt

    today = dt.date.today().isoformat()
    logged = post(
        mentor, meetings, meetings,
        {"held_on": today, "minutes": "50", "mode": "video", "topics": "dashboards, tone",
         "note": "Nervous at first"},
    )  # fmt: skip
    assert logged.status_code == 303
    page = text(mentee.get(meetings, base_url=TOOL))
    assert "Nervous at first" in page and "Confirm this meeting" in page  # notes: the pair sees them
    home = text(mentee.get("/portal/", base_url=TOOL))
    assert "Confirm the meeting your partner logged" in home
    meeting_id = int(re.search(r"/meetings/(\d+)/confirm", page).group(1))  # type: ignore[union-attr]
    confirmed = post(mentee, f"{meetings}/{meeting_id}/confirm", meetings, {})
    assert confirmed.headers["Location"].endswith(f"/meetings/{meeting_id}/pulse")
    pulse_page = confirmed.headers["Location"]
    assert "How did your meeting" in text(mentee.get(pulse_page, base_url=TOOL))
    answered = post(mentee, pulse_page, pulse_page, {"rating": "4", "comment": "good"})
    assert answered.status_code == 303
    assert "You answered already" in text(mentee.get(pulse_page, base_url=TOOL))
    pair_page = text(mentee.get(f"/portal/pairs/{pair_id}/", base_url=TOOL))
    assert "First meeting: reached" in pair_page
    # the milestones link to the person's own verifiable credentials, none issued yet
    raw = mentee.get(f"/portal/pairs/{pair_id}/", base_url=TOOL).get_data(as_text=True)
    assert 'href="/portal/mine/credentials"' in raw
    assert "No credential yet" in text(mentee.get("/portal/mine/credentials", base_url=TOOL))
    assert "Say how your last meeting went" in text(mentor.get("/portal/", base_url=TOOL))
    assert "Nervous" not in caplog.text and "Isla" not in caplog.text  # nothing private in logs


def test_the_retrospective_asks_about_each_goal_skill(
    app: Flask, platform: FakePlatform, pairs: dict[str, int]
) -> None:
    pair_id = pairs["E1001"]
    mentee, _ = _signed(app, platform, pair_id)
    page = f"/portal/pairs/{pair_id}/retrospective/midpoint"
    form = text(mentee.get(page, base_url=TOOL))
    assert "Your confidence with data visualisation" in form
    missing = post(mentee, page, page, {"went_well": "a lot"})
    assert "How much you learned (1 to 5) is required" in text(
        mentee.get(missing.headers["Location"], base_url=TOOL)
    )
    answers = {"went_well": "a lot", "learning_gained": "4", "relationship_quality": "5"}
    skills = re.findall(r'name="(skill_\d+_(?:before|after))"', form)
    answers.update({name: "2" if name.endswith("before") else "4" for name in skills})
    sent = post(mentee, page, page, answers)
    assert sent.headers["Location"].endswith(f"/portal/pairs/{pair_id}/")
    assert "Midpoint retrospective: reached" in text(mentee.get(f"/portal/pairs/{pair_id}/", base_url=TOOL))


PAIR_PAGES = [
    ("GET", "/portal/pairs/{pair}/"),
    ("GET", "/portal/pairs/{pair}/agreement"),
    ("GET", "/portal/pairs/{pair}/agreement?version=1"),
    ("GET", "/portal/pairs/{pair}/agreement.ics"),
    ("POST", "/portal/pairs/{pair}/agreement"),
    ("POST", "/portal/pairs/{pair}/agreement/sign"),
    ("POST", "/portal/pairs/{pair}/agreement/calendar"),
    ("GET", "/portal/pairs/{pair}/meetings"),
    ("POST", "/portal/pairs/{pair}/meetings"),
    ("POST", "/portal/pairs/{pair}/meetings/{meeting}/confirm"),
    ("GET", "/portal/pairs/{pair}/meetings/{meeting}/pulse"),
    ("POST", "/portal/pairs/{pair}/meetings/{meeting}/pulse"),
    ("GET", "/portal/pairs/{pair}/retrospective/midpoint"),
    ("POST", "/portal/pairs/{pair}/retrospective/final"),
]


def test_a_member_of_another_pair_gets_403_on_every_page_of_this_one(
    app: Flask, platform: FakePlatform, site: Site, pairs: dict[str, int]
) -> None:
    import datetime as dt

    pair_id = pairs["E1001"]
    mentee, mentor = _signed(app, platform, pair_id)
    meetings = f"/portal/pairs/{pair_id}/meetings"
    post(
        mentor, meetings, meetings, {"held_on": dt.date.today().isoformat(), "minutes": "30", "mode": "chat"}
    )
    page = text(mentee.get(meetings, base_url=TOOL))
    meeting_id = re.search(r"/meetings/(\d+)/confirm", page).group(1)  # type: ignore[union-attr]
    post(mentee, f"{meetings}/{meeting_id}/confirm", meetings, {})
    other = sign_in(app, platform, "E1004")  # in the other pair
    token = csrf(other, f"/portal/pairs/{pairs['E1004']}/agreement")
    for method, template in PAIR_PAGES:
        path = template.format(pair=pair_id, meeting=meeting_id)
        if method == "GET":
            answer = other.get(path, base_url=TOOL)
        else:
            answer = other.post(path, data={"csrf_token": token, "version": "1"}, base_url=TOOL)
        assert answer.status_code == 403, (method, path, answer.status_code)
        assert "Nervous" not in text(answer) and "Isla" not in text(answer)
    # ...and the pulse of a meeting of this pair reached through the other pair's address
    crossed = other.get(f"/portal/pairs/{pairs['E1004']}/meetings/{meeting_id}/pulse", base_url=TOOL)
    assert crossed.status_code == 403


def test_pages_need_a_sign_in_and_every_form_needs_the_csrf_token(
    app: Flask, platform: FakePlatform, pairs: dict[str, int]
) -> None:
    anonymous = app.test_client()
    for method, template in PAIR_PAGES:
        if method == "GET":
            path = template.format(pair=pairs["E1001"], meeting=1)
            assert anonymous.get(path, base_url=TOOL).status_code == 401, path
    member = sign_in(app, platform, "E1001")
    forms = [t.format(pair=pairs["E1001"], meeting=1) for m, t in PAIR_PAGES if m == "POST"]
    forms += [f"/portal/programmes/{SLUG}/apply", f"/portal/programmes/{SLUG}/accept"]
    for path in forms:
        refused = member.post(path, data={"version": "1", "rating": "5"}, base_url=TOOL)
        assert refused.status_code == 400 and "Reload the page" in text(refused), path
    assert "Draft:" in text(member.get(f"/portal/pairs/{pairs['E1001']}/agreement", base_url=TOOL))


def test_an_invitation_is_accepted_in_one_click_with_earlier_answers(
    app: Flask, platform: FakePlatform, site: Site
) -> None:
    from rm_plugin.enrolment import apply as applying
    from rm_plugin.enrolment.programmes import create_programme
    from rm_plugin.programme.recruitment import invite
    from rm_plugin.unit_of_work import unit_of_work

    add_people(site)
    add_programme(site)
    with unit_of_work(site) as work:
        applying.apply(work, "E1001", SLUG, MENTEE)
        create_programme(
            work.session, slug="rm-invite", name="Leaders 2027", defaults=site.programme_defaults,
            enrolment="invite",
        )  # fmt: skip
    with unit_of_work(site) as work:
        invite(work.session, work.ctx, "rm-invite", hr_ids=["E1001"])
    client = sign_in(app, platform, "E1001")
    home = text(client.get("/portal/", base_url=TOOL))
    assert "You are invited." in home and "Accept the invitation" in home
    accepted = post(client, "/portal/programmes/rm-invite/accept", "/portal/", {})
    assert accepted.status_code == 302
    home = text(client.get("/portal/", base_url=TOOL))
    assert "You accepted the invitation" in home
    assert home.count("You applied as a mentee.") == 2
    # someone not invited cannot open the invite-only programme's form
    stranger = sign_in(app, platform, "E1004")
    assert stranger.get("/portal/programmes/rm-invite/apply", base_url=TOOL).status_code == 403


def test_the_launch_locale_chooses_the_catalogue_and_a_site_may_add_one(
    app: Flask, platform: FakePlatform, site: Site
) -> None:
    """A company's own catalogue under the site's translations/ is used for a launch in its language."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    catalog = Catalog(locale="de")
    catalog.add("Your programmes", "Ihre Programme")
    catalog.add("Hello, %(name)s", "Hallo, %(name)s")
    folder = site.root / "translations" / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.mo").open("wb") as fh:
        write_mo(fh, catalog)
    from portal_helpers import make_app

    german_app = make_app(site)
    add_people(site)
    presentation = {"locale": "de-DE", "document_target": "iframe"}
    german = sign_in(german_app, platform, "E1001", **{lti.claims.LAUNCH_PRESENTATION: presentation})
    page = text(german.get("/portal/", base_url=TOOL))
    assert "Ihre Programme" in page and "Hallo, Isla Bauer" in page and '<html lang="de">' in page
    english = text(sign_in(german_app, platform, "E1002").get("/portal/", base_url=TOOL))
    assert "Your programmes" in english and '<html lang="en">' in english


def test_times_show_in_the_persons_own_time_zone(
    app: Flask, platform: FakePlatform, site: Site, pairs: dict[str, int]
) -> None:
    import zoneinfo

    from babel.dates import format_datetime
    from sqlalchemy import select

    from rm_plugin.store.models import AgreementVersion

    pair_id = pairs["E1004"]  # Grace Hopper works in New York, her mentor in Berlin
    mentee, mentor = sign_in(app, platform, "E1004"), sign_in(app, platform, "E1005")
    first = text(mentee.get(f"/portal/pairs/{pair_id}/agreement", base_url=TOOL))
    with site.database.transaction() as s:
        created = s.scalar(select(AgreementVersion.created_at))
    assert created is not None
    for page, zone in (
        (first, "America/New_York"),
        (text(mentor.get(f"/portal/pairs/{pair_id}/agreement", base_url=TOOL)), "Europe/Berlin"),
    ):
        shown = format_datetime(created, "medium", tzinfo=zoneinfo.ZoneInfo(zone), locale="en")
        assert shown in page, zone


@pytest.mark.parametrize("typed", ["²", "9" * 5000, "-5", "1e3"])
def test_minutes_that_are_not_a_whole_number_are_refused_on_the_page_not_with_a_crash(
    app: Flask, platform: FakePlatform, pairs: dict[str, int], typed: str
) -> None:
    pair_id = pairs["E1001"]
    _mentee, mentor = _signed(app, platform, pair_id)
    meetings = f"/portal/pairs/{pair_id}/meetings"
    import datetime as dt

    form = {
        "held_on": dt.date.today().isoformat(),
        "minutes": typed,
        "mode": "video",
        "topics": "",
        "note": "",
    }
    answered = post(mentor, meetings, meetings, form)
    assert answered.status_code == 303
    assert "minutes" in text(mentor.get(meetings, base_url=TOOL)).lower()
