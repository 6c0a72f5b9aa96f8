"""Reading a pair's agreed schedule (ISO occurrences and the iCalendar text) into Moodle event times."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import icalendar


def occurrence_times(occurrences: Iterable[str]) -> list[int]:
    """Unix times of the occurrences, sorted and unique; a time without zone is taken as UTC."""
    times: set[int] = set()
    for text in occurrences:
        try:
            when = dt.datetime.fromisoformat(str(text))
        except ValueError as exc:
            raise ValueError(f"occurrence {text!r} is not an ISO date-time") from exc
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        times.add(int(when.timestamp()))
    return sorted(times)


def event_duration(ics: str) -> int:
    """Seconds each meeting lasts, from the first VEVENT's DURATION or DTEND; 0 when it says neither."""
    if not ics.strip():
        return 0
    calendar = icalendar.Calendar.from_ical(ics)
    for event in calendar.walk("VEVENT"):
        if event.get("DURATION") is not None:
            return int(event.decoded("DURATION").total_seconds())
        if event.get("DTSTART") is not None and event.get("DTEND") is not None:
            return int((event.decoded("DTEND") - event.decoded("DTSTART")).total_seconds())
        return 0
    return 0
