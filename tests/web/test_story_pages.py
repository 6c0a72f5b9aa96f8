"""Success stories through the Flask test client: a member drafts, both consent, the programme's
admin publishes, the newsletter shows each person only as they consented, a withdrawal takes it
down; a non-member may not draft, and the admin of another programme may not publish."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fake_platform import FakePlatform
from flask import Flask
from flask.testing import FlaskClient
from portal_helpers import TOOL
from portal_org import SLUG, active_programme
from test_participant_pages import post, sign_in, text

from rm_plugin.site import Site

NEWSLETTER = f"/stories/{SLUG}/newsletter.html"
ADMIN_PAGE = f"/admin/{SLUG}/stories"


@pytest.fixture
def pairs(site: Site) -> dict[str, int]:
    return active_programme(site)


def _follow(client: FlaskClient, response: Any) -> str:
    assert response.status_code == 303, text(response)
    return text(client.get(response.headers["Location"], base_url=TOOL))


def test_a_story_is_drafted_consented_published_and_withdrawn(
    app: Flask, platform: FakePlatform, pairs: dict[str, int]
) -> None:
    pair_id = pairs["E1001"]
    story = f"/portal/pairs/{pair_id}/story"
    mentee, mentor, admin = (sign_in(app, platform, hr_id) for hr_id in ("E1001", "E1002", "E1006"))
    assert story in text(mentee.get(f"/portal/pairs/{pair_id}/", base_url=TOOL))  # linked from the pair
    empty = _follow(mentee, post(mentee, story, story, {"title": " ", "learned": ""}))
    assert "the title must not be empty" in empty and "what you learned or what changed" in empty
    drafted = _follow(
        mentee, post(mentee, story, story, {"title": "Boards, not decks", "learned": "Less is more."})
    )
    assert "has not consented yet" in drafted and "Boards, not decks" in drafted

    listed = text(admin.get(ADMIN_PAGE, base_url=TOOL))
    assert "Boards, not decks" in listed and "Publish: Boards, not decks" not in listed
    story_id = int(re.search(rf"{ADMIN_PAGE}/(\d+)", listed).group(1))  # type: ignore[union-attr]
    publish = f"{ADMIN_PAGE}/{story_id}/publish"
    early = _follow(admin, post(admin, publish, f"{ADMIN_PAGE}/{story_id}", {}))
    assert "cannot be published" in early
    assert "Boards, not decks" not in text(mentee.get(NEWSLETTER, base_url=TOOL))

    _follow(mentee, post(mentee, f"{story}/consent", story, {"shown_as": "name"}))
    consented = _follow(mentor, post(mentor, f"{story}/consent", story, {"shown_as": "anonymous"}))
    assert "consented, named" in consented and "consented, not named" in consented
    published = _follow(admin, post(admin, publish, f"{ADMIN_PAGE}/{story_id}", {}))
    assert "Published" in published
    letter = mentor.get(NEWSLETTER, base_url=TOOL)
    assert letter.headers["Content-Type"].startswith("text/html")
    body = text(letter)
    assert (
        "Boards, not decks" in body and "Isla Bauer" in body and "a mentor who chose not to be named" in body
    )
    assert "Yusuf" not in body and "Okafor" not in body
    markdown = mentee.get(f"/stories/{SLUG}/intranet.md", base_url=TOOL)
    assert markdown.headers["Content-Type"].startswith("text/markdown") and "Boards, not decks" in text(
        markdown
    )

    # The admin edits: a new version, taken down until both consent again.
    edit = f"{ADMIN_PAGE}/{story_id}"
    assert "Less is more." in text(admin.get(edit, base_url=TOOL))
    edited = _follow(
        admin, post(admin, edit, edit, {"title": "Boards, not decks", "learned": "Less, and sooner."})
    )
    assert "version 2" in edited and "consented to an earlier version" in edited
    assert "Boards, not decks" not in text(mentee.get(NEWSLETTER, base_url=TOOL))
    for client in (mentee, mentor):
        _follow(client, post(client, f"{story}/consent", story, {"shown_as": "name"}))
    _follow(admin, post(admin, publish, f"{ADMIN_PAGE}/{story_id}", {}))
    assert "Yusuf Okafor" in text(mentee.get(NEWSLETTER, base_url=TOOL))

    # Either member withdraws: unpublished at once.
    withdrawn = _follow(mentor, post(mentor, f"{story}/withdraw", story, {}))
    assert "withdrew their consent" in withdrawn and "Not published" in withdrawn
    assert "Boards, not decks" not in text(admin.get(NEWSLETTER, base_url=TOOL))


def test_only_members_tell_a_pairs_story_and_only_its_admin_publishes(
    app: Flask, platform: FakePlatform, site: Site, pairs: dict[str, int]
) -> None:
    from rm_plugin.enrolment.programmes import create_programme
    from rm_plugin.unit_of_work import unit_of_work

    pair_id = pairs["E1001"]
    story = f"/portal/pairs/{pair_id}/story"
    other = sign_in(app, platform, "E1004")  # in the other pair
    assert other.get(story, base_url=TOOL).status_code == 403
    own = f"/portal/pairs/{pairs['E1004']}/story"
    refused = post(other, story, own, {"title": "Not ours", "learned": "x"})
    assert refused.status_code == 403
    assert post(other, f"{story}/consent", own, {"shown_as": "name"}).status_code == 403
    mentee = sign_in(app, platform, "E1001")
    _follow(mentee, post(mentee, story, story, {"title": "Ours", "learned": "Plenty."}))

    with unit_of_work(site) as work:  # E1004 runs another programme: no rights over this one
        create_programme(work.session, slug="other-26", name="Other", defaults=site.programme_defaults,
                         admin_hr_id="E1004")  # fmt: skip
    assert other.get(ADMIN_PAGE, base_url=TOOL).status_code == 403
    assert post(other, f"{ADMIN_PAGE}/1/publish", own, {}).status_code == 403
    assert post(mentee, f"{ADMIN_PAGE}/1/publish", story, {}).status_code == 403
    assert other.get("/stories/other-26/newsletter.html", base_url=TOOL).status_code == 200
    assert other.get(f"/stories/{SLUG}/report.html", base_url=TOOL).status_code == 404
