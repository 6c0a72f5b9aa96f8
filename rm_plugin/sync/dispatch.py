"""Which hook delivers which outbox action, and turning a row into that hook's arguments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from rm_plugin.domain.records import Delivery, ProgrammeInfo, Receipt
from rm_plugin.sync.leases import Claimed

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


def deliver(hook: Any, item: Claimed) -> Receipt:
    """Call the one hook that delivers ``item``; raise :class:`Undeliverable` if nobody answered."""
    name = HOOKS.get(item.action)
    if name is None:
        raise Undeliverable(f"unknown action {item.action!r}; expected one of {', '.join(sorted(HOOKS))}")
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
