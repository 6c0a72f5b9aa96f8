"""Giving a feedback badge at most once, although Workday's Give Feedback always adds.

A timeout or a 5xx on the send leaves it unknown whether Workday started the business process,
and the sync engine tries the row again later. So every comment carries a reference made from the
delivery's idempotency key, and a later attempt (``Delivery.attempt > 1``, which includes a parked
row that was requeued) first looks among the worker's received feedback for that reference:
over REST ``GET …/workers/{ID}/anytimeFeedbackEvents``, over SOAP ``Get_Workers`` with
``Include_Feedback_Received``. When Workday cannot be asked, the row is parked with
:class:`FeedbackUnverified` so that a person checks, instead of risking a second badge.
"""

from __future__ import annotations

import hashlib

from rm_plugin.connectors.workday import soap
from rm_plugin.connectors.workday.client import WorkdayApi
from rm_plugin.connectors.workday.rest import WorkdayRest
from rm_plugin.http import HostError


def reference(key: str) -> str:
    """A short, stable tag for a delivery, written into the comment so a retry can find it."""
    return "rm-" + hashlib.sha256(key.encode()).hexdigest()[:20]


def tagged(comment: str, tag: str) -> str:
    return f"{comment} [{tag}]"


class FeedbackUnverified(HostError):
    """An earlier try may have given the feedback and Workday could not tell: a person must check.

    Never retryable: sending again could give the badge twice.
    """

    default_retryable = False


def unverified(host: str, call: str, person: str, tag: str, why: str) -> FeedbackUnverified:
    return FeedbackUnverified(
        f"{why}; so rm-plugin will not send it again. Check in Workday whether worker {person} "
        f"already received feedback whose comment ends with [{tag}]: if so, mark this row done; "
        "if not, requeue it",
        host=host,
        call=call,
    )


def found_over_rest(rest: WorkdayRest, worker_wid: str, tag: str) -> str | None:
    """The id of the worker's feedback event whose comment carries ``[tag]``, or None."""
    for event in rest.feedback_events(worker_wid):
        if f"[{tag}]" in str(event.get("comment") or ""):
            return str(event.get("id") or "")
    return None


def found_over_soap(api: WorkdayApi, employee_id: str, tag: str) -> str | None:
    """The date of the worker's received feedback that carries ``[tag]`` (Get_Workers), or None."""
    body = api.new_request("Get_Workers")
    references = soap.add(body, "Request_References")
    soap.add_ref(references, "Worker_Reference", "Employee_ID", employee_id)
    group = soap.add(body, "Response_Group")
    soap.add(group, "Include_Reference", True)
    soap.add(group, "Include_Feedback_Received", True)
    response = api.call("Human_Resources", body, idempotent=True)
    for received in soap.findall(
        response, "Response_Data/Worker/Worker_Data/Feedback_Received_Data/Feedback_Received"
    ):
        if f"[{tag}]" in "".join(received.itertext()):
            return soap.text(received, "Date") or "found"
    return None
