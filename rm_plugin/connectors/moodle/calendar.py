"""A pair's agreed meetings as Moodle calendar events, kept equal to the latest signed schedule.

Every event the connector writes carries the pair's tag, ``[rm-pair-<id>]``, in its description.
A delivery reads the pair's tagged events, creates the occurrences Moodle lacks and deletes the
ones the schedule no longer has. So a re-signed agreement (a new outbox key per version) moves the
meetings instead of adding a second set next to the first, and a repeat after a crash finds what
an earlier try made and writes nothing.

Moodle 4.4 returns a group's events only when asked with ``options[userevents]=1``, and only to a
user with ``moodle/site:accessallgroups`` (in the site course, so from a system role) or in the
group; with 0, or without the capability, it returns none and says no error. A
delete naming one id Moodle no longer has fails as a whole (``invalidrecord``) and deletes none,
so such a delete is sent again with only the ids a fresh read still shows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rm_plugin.connectors.moodle.client import MoodleClient
from rm_plugin.connectors.moodle.errors import MoodleError

GET_EVENTS = "core_calendar_get_calendar_events"
CREATE_EVENTS = "core_calendar_create_calendar_events"
DELETE_EVENTS = "core_calendar_delete_calendar_events"

#: What connectors before the per-pair tag wrote: a tag per delivery key. Such an event found in
#: the pair's own group is the pair's, so an upgrade moves those meetings too.
_KEY_TAG = re.compile(r"\[rm-[0-9a-f]{20}\]")


def pair_tag(pair_id: int | str) -> str:
    """The text in an event's description that ties it to one pair (like its group's ID number)."""
    return f"[rm-pair-{pair_id}]"


@dataclass(frozen=True)
class EventPlan:
    """What one delivery changes: events kept (by start time), starts to create, event ids to delete."""

    keep: Mapping[int, int] = field(default_factory=dict)
    create: Sequence[int] = ()
    delete: Sequence[int] = ()

    @property
    def writes(self) -> bool:
        return bool(self.create or self.delete)


def pair_events(
    events: Iterable[Mapping[str, Any]], pair_id: int | str, group_id: int
) -> list[Mapping[str, Any]]:
    """The events among ``events`` that belong to the pair: its tag, or an older tag in its group."""
    tag = pair_tag(pair_id)
    mine = []
    for event in events:
        text = str(event.get("description") or "")
        if tag in text or (group_id and int(event.get("groupid") or 0) == group_id and _KEY_TAG.search(text)):
            mine.append(event)
    return mine


def plan_events(existing: Iterable[Mapping[str, Any]], starts: Sequence[int], duration: int) -> EventPlan:
    """Keep one event per wanted start of the right length; everything else of the pair goes.

    An event whose length changed is replaced, and a second event at the same start (a duplicate
    an older connector made) is deleted, so Moodle ends up with exactly the schedule.
    """
    wanted = set(starts)
    keep: dict[int, int] = {}
    delete: list[int] = []
    for event in sorted(existing, key=lambda e: int(e["id"])):
        start, event_id = int(event["timestart"]), int(event["id"])
        if start in wanted and start not in keep and int(event.get("timeduration") or 0) == duration:
            keep[start] = event_id
        else:
            delete.append(event_id)
    return EventPlan(keep, [s for s in starts if s not in keep], delete)


def read_events(
    client: MoodleClient, course_id: int, group_id: int, *, event_ids: Sequence[int] = ()
) -> list[Mapping[str, Any]]:
    """All events of the course (and of the pair's group) at any time: old occurrences included.

    With ``event_ids`` only those events (any that still exist), whatever the course and group.
    """
    where: dict[str, list[int]] = {"eventids": list(event_ids)} if event_ids else {"courseids": [course_id]}
    if group_id:
        where["groupids"] = [group_id]
    answer = (
        client.call(
            GET_EVENTS,
            {
                "events": where,
                # userevents 1: the events the integration user made (0 returns no group event at all);
                # timeend 0 is "no end" to Moodle; from 0 so dropped past occurrences are found too
                "options": {"userevents": True, "siteevents": False, "timestart": 0, "timeend": 0},
            },
        )
        or {}
    )
    return list(answer.get("events") or [])


def delete_events(
    client: MoodleClient, event_ids: Sequence[int], still_there: Callable[[], Iterable[int]]
) -> list[int]:
    """Delete single events (not series: the connector never creates repeating events).

    If Moodle lacks one of them (another worker deleted it since the read), the whole call failed
    and deleted nothing: ``still_there()`` reads the pair's event ids again and only those are
    sent. Returns the ids deleted.
    """
    wanted = list(event_ids)
    for attempt in (1, 2):
        if not wanted:
            return []
        try:
            client.call(DELETE_EVENTS, {"events": [{"eventid": i, "repeat": False} for i in wanted]})
            return wanted
        except MoodleError as exc:
            if exc.code != "invalidrecord" or attempt == 2:
                raise
            present = set(still_there())
            wanted = [i for i in wanted if i in present]
    return wanted
