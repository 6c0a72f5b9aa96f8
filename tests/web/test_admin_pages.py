"""The admin and reviewer pages through the Flask test client: rights from rm-plugin's data
(403 for everyone else, and for the admin of another programme), the review queue (only pairs
the reviewer may decide, several approved at once, a rejection needs a reason, a refusal shows
why), running pairs with a nudge dry run that sends nothing, the sync state with retry, and
the dashboard's downloads without note text."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from admin_org import OTHER, proposals
from fake_platform import FakePlatform
from flask import Flask
from flask.testing import FlaskClient
from portal_helpers import TOOL
from portal_org import SLUG
from sqlalchemy import select
from test_participant_pages import csrf, sign_in, text

from rm_plugin.programme import agreements, meetings
from rm_plugin.site import Site
from rm_plugin.store.models import AuditEntry, Nudge, OutboxItem, Pair, ReviewDecision
from rm_plugin.unit_of_work import unit_of_work

REVIEW = f"/admin/{SLUG}/review/"
PAGES = [
    "/admin/",
    f"/admin/{SLUG}/running",
    f"/admin/{SLUG}/report",
    f"/admin/{SLUG}/report/all.json",
    f"/admin/{SLUG}/report/pairs.csv",
    "/admin/sync",
    REVIEW,
]
POSTS = [f"/admin/{SLUG}/running/nudges", "/admin/sync/retry", REVIEW]


@pytest.fixture
def pairs(site: Site) -> dict[str, int]:
    return proposals(site)


def decide(client: FlaskClient, data: dict[str, Any]) -> str:
    """Post a decision from the queue page; returns the queue page it leads back to."""
    sent = client.post(REVIEW, data={**data, "csrf_token": csrf(client, REVIEW)}, base_url=TOOL)
    assert sent.status_code == 303, text(sent)
    return text(client.get(sent.headers["Location"], base_url=TOOL))


def shown_pairs(page: str) -> set[int]:
    return {int(n) for n in re.findall(r'name="pair" value="(\d+)"', page)}


def test_someone_who_runs_and_reviews_nothing_is_refused_every_admin_page(
    app: Flask, platform: FakePlatform, pairs: dict[str, int]
) -> None:
    client = sign_in(app, platform, "E1002", roles=[
        "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"
    ])  # fmt: skip
    token = csrf(client, f"/portal/programmes/{SLUG}/apply")
    assert "/admin/" not in text(client.get("/portal/", base_url=TOOL))  # no link in the header
    for path in PAGES:
        assert client.get(path, base_url=TOOL).status_code == 403, path
    for path in POSTS:
        answer = client.post(path, data={"csrf_token": token, "pair": pairs["E1001"], "decision": "approve"},
                             base_url=TOOL)  # fmt: skip
        assert answer.status_code == 403, path
    with unit_of_work(app.extensions["rm_portal"].site) as work:
        assert work.session.scalar(select(ReviewDecision)) is None


def test_the_admin_of_one_programme_cannot_open_another(
    app: Flask, platform: FakePlatform, pairs: dict[str, int]
) -> None:
    rita = sign_in(app, platform, "E1006")
    home = text(rita.get("/admin/", base_url=TOOL))
    assert "Reverse mentoring 2026" in home and "Another programme" not in home
    assert 'href="/admin/"' in text(rita.get("/portal/", base_url=TOOL))  # the header links to it
    for page in ("running", "report", "report/all.json", "review/"):
        assert rita.get(f"/admin/{OTHER}/{page}", base_url=TOOL).status_code == 403, page
        assert rita.get(f"/admin/no-such/{page}", base_url=TOOL).status_code == 403, page
    nadia = sign_in(app, platform, "E1009")
    assert nadia.get(f"/admin/{SLUG}/running", base_url=TOOL).status_code == 403
    assert nadia.get(f"/admin/{OTHER}/running", base_url=TOOL).status_code == 200
    assert nadia.get(REVIEW, base_url=TOOL).status_code == 403  # not on that panel


def test_a_reviewer_sees_no_pair_in_their_own_chain_and_is_refused_it_with_the_reason(
    app: Flask, platform: FakePlatform, pairs: dict[str, int]
) -> None:
    mara = sign_in(app, platform, "E1007")  # Isla's manager
    page = text(mara.get(REVIEW, base_url=TOOL))
    assert shown_pairs(page) == {pairs["E1004"]}
    assert "1 proposal is not shown: you may not review it." in page
    assert "Isla Bauer" not in page and "Grace Hopper" in page
    after = decide(mara, {"pair": [pairs["E1001"]], "decision": "approve"})
    assert f"Pair {pairs['E1001']}: refused:" in after and "E1007 is in E1001&#39;s management chain" in after


def test_a_reviewer_approves_two_together_and_the_second_approval_activates_them(
    app: Flask, platform: FakePlatform, site: Site, pairs: dict[str, int]
) -> None:
    both = sorted(pairs.values())
    rita = sign_in(app, platform, "E1006")
    page = text(rita.get(REVIEW, base_url=TOOL))
    assert shown_pairs(page) == set(both) and "Approvals: 0 of 2" in page
    assert "data visualisation" in page  # the matched skills
    after = decide(rita, {"pair": both, "decision": "approve"})
    assert "You approved 2 proposal(s); 0 now active." in after
    assert shown_pairs(after) == set() and "You already decided 2 open proposals." in after
    omar = sign_in(app, platform, "E1008")
    assert "Approvals: 1 of 2" in text(omar.get(REVIEW, base_url=TOOL))
    assert "2 now active" in decide(omar, {"pair": both, "decision": "approve"})
    with site.database.transaction() as s:
        assert {p.status for p in s.scalars(select(Pair).where(Pair.id.in_(both)))} == {"active"}
        approvals = s.execute(
            select(AuditEntry.actor, AuditEntry.action).where(AuditEntry.action == "match.approve")
        )
        assert sorted(approvals) == sorted(
            [("E1006", "match.approve")] * 2 + [("E1008", "match.approve")] * 2
        )


def test_a_rejection_needs_a_reason_and_is_kept_with_it(
    app: Flask, platform: FakePlatform, site: Site, pairs: dict[str, int]
) -> None:
    omar = sign_in(app, platform, "E1008")
    refused = decide(omar, {"pair": [pairs["E1004"]], "decision": "reject", "reason": "  "})
    assert "a rejection needs a reason" in refused and shown_pairs(refused) == set(pairs.values())
    nothing = decide(omar, {"decision": "reject", "reason": "no"})
    assert "select at least one proposal to reject" in nothing
    decide(omar, {"pair": [pairs["E1004"]], "decision": "reject", "reason": "Same floor, same team lunches"})
    with site.database.transaction() as s:
        decision = s.scalar(select(ReviewDecision).where(ReviewDecision.pair_id == pairs["E1004"]))
        assert decision is not None and decision.decision == "reject"
        assert decision.reason == "Same floor, same team lunches"
        assert s.get(Pair, pairs["E1004"]).status == "rejected"  # type: ignore[union-attr]


def _activate(site: Site, pairs: dict[str, int], started_days_ago: int) -> None:
    from rm_plugin.matching.review import approve_pair

    with unit_of_work(site) as work:
        for pair_id in pairs.values():
            approve_pair(work, pair_id, "E1006")
            approve_pair(work, pair_id, "E1008")
    with site.database.transaction() as s:
        for pair_id in pairs.values():
            s.get(Pair, pair_id).starts_on = dt.date.today() - dt.timedelta(days=started_days_ago)  # type: ignore[union-attr]


def test_running_pairs_show_their_state_and_the_nudge_dry_run_sends_nothing(
    app: Flask, platform: FakePlatform, site: Site, pairs: dict[str, int]
) -> None:
    _activate(site, pairs, started_days_ago=20)
    rita = sign_in(app, platform, "E1006")
    page = f"/admin/{SLUG}/running"
    shown = text(rita.get(page, base_url=TOOL))
    assert "Isla Bauer" in shown and "not signed" in shown and "0 of " in shown
    assert "A nudge run today would send:" in shown
    assert f"#{pairs['E1001']}</span>: a reminder to both members to sign the agreement" in shown
    assert "0 of 0 pair(s) answering are flagged." in shown
    with site.database.transaction() as s:
        assert s.scalar(select(Nudge)) is None  # the page only looked
    sent = rita.post(page + "/nudges", data={"csrf_token": csrf(rita, page)}, base_url=TOOL)
    assert "2 nudge(s) queued for delivery." in text(rita.get(sent.headers["Location"], base_url=TOOL))
    with site.database.transaction() as s:
        assert {n.pair_id for n in s.scalars(select(Nudge))} == set(pairs.values())
    assert "Nothing to send today" in text(rita.get(page, base_url=TOOL))


def test_the_sync_page_counts_rows_and_retry_queues_a_parked_one_again(
    app: Flask, platform: FakePlatform, site: Site, pairs: dict[str, int]
) -> None:
    with site.database.transaction() as s:
        s.add(OutboxItem(key="enrol:1:moodle", connection="moodle", action="enrol", status="parked",
                         attempts=5, last_error="the host refused: course 12 does not exist"))  # fmt: skip
        s.add(OutboxItem(key="enrol:2:moodle", connection="moodle", action="enrol", status="done"))
    rita = sign_in(app, platform, "E1006")
    page = text(rita.get("/admin/sync", base_url=TOOL))
    assert "course 12 does not exist" in page and "Attempts: 5" in page
    counts = re.search(r'<th scope="row">moodle</th>(.*?)</tr>', page, re.S)
    assert counts and re.findall(r"<td>(\d+)</td>", counts.group(1)) == ["0", "0", "0", "1", "0", "0", "1"]
    row = re.search(r'name="row" value="(\d+)"', page)
    assert row
    nothing = rita.post("/admin/sync/retry", data={"csrf_token": csrf(rita, "/admin/sync")}, base_url=TOOL)
    assert "Choose a row to retry" in text(rita.get(nothing.headers["Location"], base_url=TOOL))
    sent = rita.post("/admin/sync/retry", data={"csrf_token": csrf(rita, "/admin/sync"), "row": row.group(1)},
                     base_url=TOOL)  # fmt: skip
    assert "1 row(s) queued again" in text(rita.get(sent.headers["Location"], base_url=TOOL))
    with site.database.transaction() as s:
        item = s.get(OutboxItem, int(row.group(1)))
        assert item is not None and item.status == "pending" and item.attempts == 1
        assert s.scalar(select(AuditEntry.actor).where(AuditEntry.action == "outbox.requeued")) == "E1006"
    assert "No row is parked." in text(rita.get("/admin/sync", base_url=TOOL))


def test_the_dashboard_shows_the_report_and_its_downloads_carry_no_note_text(
    app: Flask, platform: FakePlatform, site: Site, pairs: dict[str, int]
) -> None:
    _activate(site, pairs, started_days_ago=20)
    secret = "NOTE-Isla-told-me-in-confidence"
    day = dt.date.today() - dt.timedelta(days=3)
    with unit_of_work(site) as work:
        agreements.show_to_member(work, "E1001", pair_id=pairs["E1001"])
        agreements.sign_as_member(work, "E1001", pair_id=pairs["E1001"])
        agreements.sign_as_member(work, "E1002", pair_id=pairs["E1001"])
        logged = meetings.log_as_member(work, "E1002", held_on=day, minutes=40, mode="video",
                                        private_note=secret, pair_id=pairs["E1001"])  # fmt: skip
        meetings.confirm_as_member(work, "E1001", logged.meeting_id)
    rita = sign_in(app, platform, "E1006")
    page = rita.get(f"/admin/{SLUG}/report", base_url=TOOL)
    body = text(page)
    assert page.status_code == 200 and "<svg" in body and 'role="img"' in body and 'class="rm-table"' in body
    assert "/admin/report.css" in body and secret not in body
    css = rita.get("/admin/report.css", base_url=TOOL)
    assert css.headers["Content-Type"].startswith("text/css") and ".rm-report" in text(css)
    everything = rita.get(f"/admin/{SLUG}/report/all.json", base_url=TOOL)
    assert "attachment" in everything.headers["Content-Disposition"]
    document = json.loads(text(everything))
    assert {"pairs", "milestones_reached"} <= set(document["tables"]) and secret not in text(everything)
    keys = re.findall(rf'href="/admin/{SLUG}/report/([a-z_]+)\.csv"', body)
    assert "pairs" in keys and len(keys) == len(document["tables"])
    for key in keys:
        answer = rita.get(f"/admin/{SLUG}/report/{key}.csv", base_url=TOOL)
        assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
        assert secret not in text(answer)
    pairs_csv = text(rita.get(f"/admin/{SLUG}/report/pairs.csv", base_url=TOOL))
    assert str(pairs["E1001"]) in pairs_csv and "E1001" in pairs_csv
    assert rita.get(f"/admin/{SLUG}/report/nothing.csv", base_url=TOOL).status_code == 404
