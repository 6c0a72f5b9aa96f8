"""Grade services: the AGS client against the fake platform, and progress scores through the outbox."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from fake_platform import FakePlatform
from portal_helpers import add_web_table, launch, make_app
from sqlalchemy import select

from rm_plugin.http import InvalidRequest
from rm_plugin.lti import claims as c
from rm_plugin.lti import jose
from rm_plugin.lti.ags import AgsClient, PlatformGrant, Score, next_timestamp, scores_url
from rm_plugin.lti.keys import ToolKeys
from rm_plugin.lti.platforms import PlatformValues, save_platform
from rm_plugin.programme.milestones import default_milestones
from rm_plugin.site import Site
from rm_plugin.store.models import MilestoneReached, OutboxItem, Pair, Person, Programme
from rm_plugin.sync.worker import run_sync


@pytest.fixture
def keys(site: Site) -> ToolKeys:
    from rm_plugin.lti.settings import WebSettings

    tool_keys = ToolKeys(WebSettings.from_site(site).secret_key)
    with site.database.transaction() as s:
        tool_keys.ensure(s)
    return tool_keys


def client_for(site: Site, keys: ToolKeys, platform: FakePlatform) -> AgsClient:
    def sign(claims: dict) -> str:
        with site.database.transaction() as s:
            return keys.sign(s, claims)

    return AgsClient(PlatformGrant("lms", platform.client_id, platform.token_url), sign)


def test_tokens_come_by_a_signed_client_assertion_and_are_reused(
    site: Site, keys: ToolKeys, platform: FakePlatform, mock: responses.RequestsMock
) -> None:
    platform.serve(mock)
    client = client_for(site, keys, platform)
    first = client.token([c.AGS_SCOPE_SCORE])
    assert client.token([c.AGS_SCOPE_SCORE]) is first
    assert len(platform.token_requests) == 1
    form = platform.token_requests[0]
    assert form["grant_type"] == ["client_credentials"]
    assert form["client_assertion_type"] == ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"]
    assert form["scope"] == [c.AGS_SCOPE_SCORE]
    with site.database.transaction() as s:
        published = keys.published(s)["keys"][0]
    assertion = jose.verify(form["client_assertion"][0], published)
    assert assertion["iss"] == assertion["sub"] == platform.client_id
    assert assertion["aud"] == platform.token_url
    assert assertion["exp"] > assertion["iat"] and assertion["jti"]


def test_a_line_item_is_found_by_tag_before_one_is_made(
    site: Site, keys: ToolKeys, platform: FakePlatform, mock: responses.RequestsMock
) -> None:
    platform.serve(mock)
    client = client_for(site, keys, platform)
    made = client.ensure_line_item(
        platform.lineitems_url(), label="RM progress", score_maximum=6, tag="rm", resource_link_id="4"
    )
    again = client.ensure_line_item(
        platform.lineitems_url(), label="RM progress", score_maximum=6, tag="rm", resource_link_id="4"
    )
    assert again["id"] == made["id"]
    assert len(platform.line_items) == 1
    assert platform.line_items[0] == {
        "label": "RM progress",
        "scoreMaximum": 6,
        "tag": "rm",
        "resourceLinkId": "4",
        "id": made["id"],
    }
    gets = [
        call.request
        for call in mock.calls
        if call.request.method == "GET" and "lineitems" in call.request.url
    ]
    assert parse_qs(urlsplit(gets[0].url).query) == {
        "type_id": ["3"],
        "tag": ["rm"],
        "resource_link_id": ["4"],
    }
    assert gets[0].headers["Accept"] == "application/vnd.ims.lis.v2.lineitemcontainer+json"


def test_scores_go_after_the_line_item_path_with_strictly_later_timestamps(
    site: Site, keys: ToolKeys, platform: FakePlatform, mock: responses.RequestsMock
) -> None:
    platform.serve(mock)
    client = client_for(site, keys, platform)
    item = client.ensure_line_item(platform.lineitems_url(), label="RM", score_maximum=6, tag="rm")
    assert scores_url(item["id"]).endswith("/lineitem/scores?type_id=3")
    now = dt.datetime.now(dt.UTC)
    client.post_score(item["id"], Score("7", 2, 6), now)
    with pytest.raises(InvalidRequest) as refused:  # the same second again: the platform says 409
        client.post_score(item["id"], Score("7", 3, 6), now)
    assert refused.value.retryable and refused.value.status == 409
    client.post_score(item["id"], Score("7", 3, 6), next_timestamp(now, now))
    assert [s["scoreGiven"] for s in platform.scores] == [2, 3]
    sent = platform.scores[-1]
    assert sent["userId"] == "7" and sent["scoreMaximum"] == 6
    assert sent["activityProgress"] == "InProgress" and sent["gradingProgress"] == "FullyGraded"
    assert sent["url"].endswith("/lineitem/scores?type_id=3")


def test_next_timestamp_is_strictly_increasing() -> None:
    now = dt.datetime(2026, 11, 29, 9, 0, 0, 500000, tzinfo=dt.UTC)
    assert next_timestamp(now, None) == now
    assert next_timestamp(now, now) == now + dt.timedelta(seconds=1)
    assert next_timestamp(now, now - dt.timedelta(seconds=5)) == now


def programme_with_a_pair(site: Site) -> int:
    with site.database.transaction() as s:
        ada = s.scalar(select(Person).where(Person.hr_id == "E1001"))
        alan = s.scalar(select(Person).where(Person.hr_id == "E1002"))
        programme = Programme(
            slug="rm-2026", name="RM 2026", status="running", milestones=default_milestones()
        )
        s.add(programme)
        s.flush()
        pair = Pair(programme_id=programme.id, mentee_id=ada.id, mentor_id=alan.id, status="active")
        s.add(pair)
        s.flush()
        s.add(
            MilestoneReached(
                pair_id=pair.id, milestone="agreement_signed", person_id=ada.id, reached_on=dt.date.today()
            )
        )
        return pair.id


def grades_site(site_root: Path) -> Site:
    """A site with the portal set up, the ``lti_grades`` connection enabled, and two people."""
    add_web_table(site_root)
    (site_root / "connectors" / "lti_grades.toml").write_text('type = "lti_grades"\n', encoding="utf-8")
    site = Site.load(site_root, load_entrypoints=False)
    with site.database.transaction() as s:
        s.add(Person(hr_id="E1001", email="ada@example.com", given_name="Ada", family_name="Lovelace"))
        s.add(Person(hr_id="E1002", email="alan@example.com", given_name="Alan", family_name="Turing"))
    return site


def test_progress_reaches_the_gradebook_through_the_outbox(
    site_root: Path, platform: FakePlatform, mock: responses.RequestsMock
) -> None:
    site = grades_site(site_root)
    platform.serve(mock)
    with site.database.transaction() as s:
        save_platform(
            s,
            PlatformValues(
                platform.issuer,
                platform.client_id,
                platform.auth_url,
                platform.jwks_url,
                platform.token_url,
                (platform.deployment_id,),
            ),
        )
    pair_id = programme_with_a_pair(site)
    client = make_app(site).test_client()
    lineitem = platform.lineitems_url().replace("lineitems?", "lineitems/9/lineitem?")
    ags = {
        "scope": [c.AGS_SCOPE_LINEITEM, c.AGS_SCOPE_SCORE],
        "lineitems": platform.lineitems_url(),
        "lineitem": lineitem,
    }
    assert launch(client, platform, **{c.AGS_ENDPOINT: ags}).status_code == 303
    with site.database.transaction() as s:
        queued = s.scalars(select(OutboxItem).where(OutboxItem.connection == "lti_grades")).all()
        assert [(row.action, row.payload["person"], row.payload["pair_id"]) for row in queued] == [
            ("completion", "E1001", pair_id)
        ]
    summary = run_sync(site)
    assert summary.delivered >= 1 and summary.parked == 0, summary
    assert platform.scores[-1]["scoreGiven"] == 1
    assert platform.scores[-1]["scoreMaximum"] == len(default_milestones())
    assert platform.scores[-1]["userId"] == "7"
    assert platform.scores[-1]["url"].startswith(lineitem.split("?")[0] + "/scores?")
    assert launch(client, platform, **{c.AGS_ENDPOINT: ags}).status_code == 303
    assert run_sync(site).handled == 0  # a second launch from the same link queues nothing
    posted = len(platform.scores)
    # the next milestone: the milestone service queues one completion per progress connection
    from rm_plugin.outbox import enqueue
    from rm_plugin.programme.milestones import outbox_rows

    with site.database.transaction() as s:
        pair = s.get(Pair, pair_id)
        programme = s.get(Programme, pair.programme_id)
        ada = s.scalar(select(Person).where(Person.hr_id == "E1001"))
        s.add(
            MilestoneReached(
                pair_id=pair_id, milestone="first_meeting", person_id=ada.id, reached_on=dt.date.today()
            )
        )
        item = next(m for m in programme.milestones if m["key"] == "first_meeting")
        for row in outbox_rows(programme, pair, item, "E1001", dt.date.today(), ("lti_grades",)):
            enqueue(s, **row)
    summary = run_sync(site)
    assert summary.parked == 0 and len(platform.scores) == posted + 1
    assert platform.scores[-1]["scoreGiven"] == 2
    assert run_sync(site).handled == 0  # nothing new: no call
    site.close()


def test_a_person_who_never_launched_gets_a_readable_skip(
    site_root: Path, platform: FakePlatform, mock: responses.RequestsMock
) -> None:
    site = grades_site(site_root)
    pair_id = programme_with_a_pair(site)
    from rm_plugin.outbox import enqueue

    with site.database.transaction() as s:
        enqueue(
            s,
            key="completion:rm-2026:agreement_signed:x",
            connection="lti_grades",
            action="completion",
            payload={
                "programme": "rm-2026",
                "milestone": "agreement_signed",
                "person": "E1001",
                "pair_id": pair_id,
            },
        )
    summary = run_sync(site)
    assert summary.skipped == 1 and platform.scores == []
    site.close()
