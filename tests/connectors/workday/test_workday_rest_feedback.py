"""Recognition over REST: anytime feedback with a badge, given once, errors in Workday's REST model."""

from __future__ import annotations

import json

import pytest
from responses import matchers
from workday_fakes import OAUTH, RAAS, REST, TOKEN, make_connection

from rm_plugin.connectors.workday.feedback import reference
from rm_plugin.domain.records import Delivery
from rm_plugin.http import HostUnavailable, InvalidRequest, NotFound

WORKER_WID = "3aa5550b7fe348b98d7b5741afc65534"
BADGE_WID = "c4f78be1a8f14da0ab49ce1162348a5e"
CONFIG = {**OAUTH, "feedback": "rest", "badges": {"mentor_recognised": "RM_Mentor"}}
BADGES = {
    "total": 2,
    "data": [
        {"id": "0d2a", "descriptor": "Team Player", "feedbackBadgeID": "Team_Player"},
        {"id": BADGE_WID, "descriptor": "Reverse Mentor", "feedbackBadgeID": "RM_Mentor"},
    ],
}
WORKERS = {
    "total": 2,
    "data": [
        {"id": "9e1f", "descriptor": "Someone Else (210445)", "workerId": "210445"},
        {"id": WORKER_WID, "descriptor": "Jo Junior (21044)", "workerId": "21044"},
    ],
}


def award(previous=None) -> Delivery:
    payload = {"programme": "rm-2026", "award": "mentor_recognised", "person": "21044", "pair_id": 7}
    return Delivery(4, "award:7", "workday", "award", payload, previous_receipt=previous)


def serve_lookups(mocked) -> None:
    mocked.post(TOKEN, json={"access_token": "access-1", "token_type": "Bearer", "expires_in": 3600})
    mocked.get(
        f"{REST}/workers",
        json=WORKERS,
        match=[matchers.query_param_matcher({"search": "21044", "limit": "100"})],
    )
    mocked.get(f"{REST}/feedbackBadges", json=BADGES)


def test_feedback_is_given_over_rest_once_and_the_receipt_stops_a_repeat(tmp_path, mocked):
    serve_lookups(mocked)
    post = mocked.post(
        f"{REST}/workers/{WORKER_WID}/anytimeFeedbackEvents",
        status=201,
        json={"id": "fe-77", "descriptor": "Feedback for Jo Junior"},
        match=[matchers.header_matcher({"Authorization": "Bearer access-1"})],
    )
    connection = make_connection(tmp_path, CONFIG)
    receipt = connection.rm_award(award())
    assert json.loads(post.calls[0].request.body) == {
        "toWorker": {"id": WORKER_WID},
        "badge": {"id": BADGE_WID},
        "comment": f"Recognised in the reverse mentoring programme rm-2026 [{reference('award:7')}]",
        "showFeedbackProviderName": True,
    }
    assert receipt.host_ref == "anytimeFeedbackEvent fe-77" and not receipt.skipped
    calls = len(mocked.calls)
    rerun = connection.rm_award(award(dict(receipt.data, host_ref=receipt.host_ref)))
    assert rerun.skipped and rerun.host_ref == "anytimeFeedbackEvent fe-77"
    assert len(mocked.calls) == calls


def test_rest_validation_errors_name_the_field_and_are_not_retried(tmp_path, mocked):
    serve_lookups(mocked)
    mocked.post(
        f"{REST}/workers/{WORKER_WID}/anytimeFeedbackEvents",
        status=400,
        json={
            "error": "Validation error occurred. Invalid request",
            "errors": [
                {"error": "The badge is inactive.", "code": "S22", "field": "badge", "path": "badge.id"}
            ],
        },
    )
    with pytest.raises(InvalidRequest) as caught:
        make_connection(tmp_path, CONFIG).rm_award(award())
    assert str(caught.value) == (
        "workday: POST /performanceEnablement/v5/workers/{ID}/anytimeFeedbackEvents failed: S22: "
        "Validation error occurred. Invalid request; The badge is inactive. (field badge) (HTTP 400)"
    )
    assert not caught.value.retryable


def test_a_server_error_on_the_post_is_left_to_the_outbox(tmp_path, mocked):
    serve_lookups(mocked)
    mocked.post(f"{REST}/workers/{WORKER_WID}/anytimeFeedbackEvents", status=500, json={"error": "boom"})
    with pytest.raises(HostUnavailable) as caught:
        make_connection(tmp_path, CONFIG).rm_award(award())
    assert caught.value.retryable
    assert sum(1 for c in mocked.calls if "anytimeFeedbackEvents" in c.request.url) == 1


def test_an_unknown_worker_is_named(tmp_path, mocked):
    mocked.post(TOKEN, json={"access_token": "access-1", "token_type": "Bearer"})
    mocked.get(f"{REST}/workers", json={"total": 1, "data": [WORKERS["data"][0]]})
    with pytest.raises(NotFound, match=r"no single worker has the Employee_ID '21044' \(0 found\)"):
        make_connection(tmp_path, CONFIG).rm_award(award())


def test_health_names_a_badge_workday_does_not_have(tmp_path, mocked):
    mocked.post(TOKEN, json={"access_token": "access-1", "token_type": "Bearer"})
    mocked.get(RAAS, json={"Report_Entry": []})
    mocked.get(f"{REST}/feedbackBadges", json={"total": 1, "data": BADGES["data"][:1]})
    report = make_connection(tmp_path, CONFIG).health()
    assert report.problems == (
        "badges.mentor_recognised = 'RM_Mentor': no active feedback badge with that ID or name in Workday",
    )
    assert len([c for c in mocked.calls if c.request.url == TOKEN]) == 1  # one token for both calls


def test_rest_feedback_needs_the_oauth_keys():
    from marshmallow import ValidationError

    from rm_plugin.connectors.workday import WorkdayConfig

    with pytest.raises(ValidationError) as caught:
        WorkdayConfig().load(
            {
                "host": "https://wd2-impl-services1.workday.com",
                "tenant": "acme",
                "roster": "none",
                "mentorships": False,
                "feedback": "rest",
                "badges": {"mentor_recognised": "RM_Mentor"},
            }
        )
    assert caught.value.messages == {
        "feedback": [
            'feedback = "rest" needs the OAuth keys: '
            "oauth_client_id, oauth_client_secret, oauth_refresh_token"
        ]
    }
