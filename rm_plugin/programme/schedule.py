"""The agreed contact schedule as an RFC 5545 recurring event.

The event is anchored in the agreement's own time zone (DTSTART with TZID and a VTIMEZONE
covering the whole programme), so every occurrence keeps its local wall-clock time across
daylight-saving changes. The mentee, who owns the relationship, is the organiser.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import icalendar
from dateutil import rrule

from rm_plugin.programme.agreement_body import WEEKDAYS

PRODID = "-//rm-plugin//reverse mentoring//EN"


@dataclass(frozen=True)
class Attendee:
    name: str
    email: str
    accepted: bool = False  # signed the agreement this schedule comes from (PARTSTAT=ACCEPTED)


@dataclass(frozen=True)
class Schedule:
    """A recurring meeting: every ``cadence_days`` on ``weekday`` at ``time`` in ``time_zone``."""

    cadence_days: int
    weekday: str
    time: dt.time
    minutes: int
    time_zone: str
    starts_on: dt.date
    ends_on: dt.date

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Schedule:
        s = body["schedule"]
        hour, minute = (int(part) for part in s["time"].split(":"))
        return cls(
            cadence_days=s["cadence_days"],
            weekday=s["weekday"],
            time=dt.time(hour, minute),
            minutes=s["minutes"],
            time_zone=s["time_zone"],
            starts_on=dt.date.fromisoformat(body["starts_on"]),
            ends_on=dt.date.fromisoformat(body["ends_on"]),
        )

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def first(self) -> dt.datetime:
        """The first meeting: the first ``weekday`` on or after the start date."""
        offset = (WEEKDAYS.index(self.weekday) - self.starts_on.weekday()) % 7
        return dt.datetime.combine(self.starts_on + dt.timedelta(days=offset), self.time, tzinfo=self.zone)

    def rule(self) -> dict[str, Any]:
        """The RRULE: weekly when the cadence is whole weeks (so it stays on its weekday)."""
        until = dt.datetime.combine(self.ends_on, dt.time(23, 59, 59), tzinfo=self.zone).astimezone(dt.UTC)
        if self.cadence_days % 7 == 0:
            return {"FREQ": "WEEKLY", "INTERVAL": self.cadence_days // 7, "UNTIL": until}
        return {"FREQ": "DAILY", "INTERVAL": self.cadence_days, "UNTIL": until}

    def occurrences(self, limit: int | None = None) -> list[dt.datetime]:
        """Every meeting's local start (aware), stepping the wall clock, not elapsed hours."""
        start = self.first()
        naive = rrule.rrule(
            rrule.WEEKLY if self.cadence_days % 7 == 0 else rrule.DAILY,
            interval=self.cadence_days // 7 if self.cadence_days % 7 == 0 else self.cadence_days,
            dtstart=start.replace(tzinfo=None),
            until=dt.datetime.combine(self.ends_on, dt.time(23, 59, 59)),
            count=None,
        )
        out: list[dt.datetime] = []
        for when in naive:
            out.append(when.replace(tzinfo=self.zone))
            if limit is not None and len(out) >= limit:
                break
        return out


def to_ics(
    schedule: Schedule,
    *,
    uid: str,
    summary: str,
    description: str,
    organiser: Attendee,
    other: Attendee,
    sequence: int = 0,
) -> str:
    """A VCALENDAR with one recurring VEVENT and the VTIMEZONE it needs, as text.

    ``sequence`` is the event's revision (RFC 5545 SEQUENCE): a calendar that already has
    ``uid`` replaces it only with a higher one, so a revised schedule must carry a new number.
    """
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", dt.datetime.combine(schedule.starts_on, dt.time(0, 0), tzinfo=dt.UTC))
    start = schedule.first()
    event.add("dtstart", start)
    event.add("dtend", start + dt.timedelta(minutes=schedule.minutes))
    event.add("rrule", schedule.rule())
    event.add("summary", summary)
    event.add("description", description)
    organizer = icalendar.vCalAddress(f"mailto:{organiser.email}")
    organizer.params["cn"] = icalendar.vText(organiser.name)
    event.add("organizer", organizer)
    for person, role in ((organiser, "CHAIR"), (other, "REQ-PARTICIPANT")):
        attendee = icalendar.vCalAddress(f"mailto:{person.email}")
        attendee.params["cn"] = icalendar.vText(person.name)
        attendee.params["role"] = icalendar.vText(role)
        # Until a person signs, the meetings are proposed to them, not agreed (RFC 5545 3.2.12).
        attendee.params["partstat"] = icalendar.vText("ACCEPTED" if person.accepted else "NEEDS-ACTION")
        event.add("attendee", attendee, encode=0)
    cal.add_component(event)
    cal.add_missing_timezones(
        first_date=schedule.starts_on - dt.timedelta(days=7),
        last_date=schedule.ends_on + dt.timedelta(days=7),
    )
    return cal.to_ical().decode("utf-8")
