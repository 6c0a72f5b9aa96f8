"""Which hook delivers which outbox action, turning a row into that hook's arguments, and what
the engine settles itself before any host is asked.

A pair's schedule is queued anew at each signature, so an older ``calendar`` row retried after a
newer one was queued is settled as superseded without a host call: it must not undo the newer
schedule. Before ``enrol`` rows are delivered, the connection is asked for the accounts of the
people they name (``rm_resolve_accounts``), in one batch, and the answer is recorded in the
site's account directory.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from rm_plugin.connections import AccountDirectory
from rm_plugin.domain.records import Delivery, ProgrammeInfo, Receipt
from rm_plugin.store import Database
from rm_plugin.sync.leases import Claimed, later_schedules

log = logging.getLogger(__name__)

HOOKS: Mapping[str, str] = {
    "enrol": "rm_enrol_pair",
    "close": "rm_close_pair",
    "completion": "rm_record_milestone",
    "award": "rm_award",
    "calendar": "rm_put_calendar_event",
    "notify": "rm_send_notification",
    "prepare": "rm_prepare_programme",
}


class Undeliverable(Exception):
    """A row no connector can take as it is (unknown action, malformed payload, nobody owns it)."""

    retryable = False


def deliver(hook: Any, item: Claimed, db: Database | None = None) -> Receipt:
    """Call the one hook that delivers ``item``; raise :class:`Undeliverable` if nobody answered.

    A calendar row a newer one of the same pair replaced is settled here instead: the claim
    found the newer row (``item.superseded_by``), or, given ``db``, it is looked up now.
    """
    name = HOOKS.get(item.action)
    if name is None:
        raise Undeliverable(f"unknown action {item.action!r}; expected one of {', '.join(sorted(HOOKS))}")
    if item.action == "calendar":
        newer = item.superseded_by or (superseded_by(db, item) if db is not None else None)
        if newer is not None:
            return Receipt(data={"superseded_by": newer}, skipped=True)
    caller = getattr(hook, name)
    if item.action == "prepare":
        result = caller(connection=item.connection, programme=programme_info(item.payload))
    else:
        delivery = Delivery(
            id=item.id,
            key=item.key,
            connection=item.connection,
            action=item.action,
            payload=item.payload,
            attempt=item.attempt,
            previous_receipt=item.previous_receipt,
        )
        result = caller(delivery=delivery)
    if result is None:
        raise Undeliverable(f"no enabled connection named {item.connection!r} delivers {item.action!r}")
    if not isinstance(result, Receipt):
        raise Undeliverable(
            f"the connector for {item.connection!r} returned {type(result).__name__}, not a Receipt"
        )
    return result


def programme_info(payload: Mapping[str, Any]) -> ProgrammeInfo:
    """The :class:`ProgrammeInfo` a ``prepare`` row describes (ids, slug, name, ISO dates)."""
    missing = [key for key in ("id", "slug", "name") if key not in payload]
    if missing:
        raise Undeliverable(f"prepare payload lacks {', '.join(missing)}")
    try:
        return ProgrammeInfo(
            id=int(payload["id"]),
            slug=str(payload["slug"]),
            name=str(payload["name"]),
            starts_on=_date(payload.get("starts_on")),
            ends_on=_date(payload.get("ends_on")),
            milestones=tuple(payload.get("milestones") or ()),
            objectives=tuple(payload.get("objectives") or ()),
        )
    except (TypeError, ValueError) as exc:
        raise Undeliverable(f"prepare payload is malformed: {exc}") from exc


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    return dt.date.fromisoformat(str(value))


def superseded_by(db: Database, item: Claimed) -> str | None:
    """The key of a later ``calendar`` row of the same pair on the same connection, if one was queued.

    Rows are numbered in the order they were queued; a parked later row does not count.
    """
    with db.transaction() as session:
        return later_schedules(session, [item]).get(item.id)


def resolve_before_enrolling(
    hook: Any, accounts: AccountDirectory, connection: str, items: Sequence[Claimed]
) -> int:
    """Ask ``connection`` for the host accounts of the people its ``enrol`` rows name who have
    none recorded yet, in one ``rm_resolve_accounts`` call, and record the answer.

    Returns how many links were added. A failure is logged and left to the deliveries, which
    report it with the row they could not deliver.
    """
    wanted = list(
        dict.fromkeys(
            str(item.payload[role])
            for item in items
            if item.action == "enrol"
            for role in ("mentee", "mentor")
            if item.payload.get(role)
        )
    )
    if not wanted:
        return 0
    try:
        known = accounts.accounts(connection, wanted)
        people = accounts.people([hr_id for hr_id in wanted if hr_id not in known])
        if not people:
            return 0
        found = hook.rm_resolve_accounts(
            connection=connection, people=[people[h] for h in wanted if h in people]
        )
        if not found:
            return 0
        return accounts.link(connection, {h: str(a) for h, a in found.items() if h in people})
    except Exception as exc:  # the enrolment itself reports what is wrong, with its row
        log.warning("could not resolve accounts on %s before enrolling: %s", connection, exc)
        return 0
