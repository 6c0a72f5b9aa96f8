"""The agreed schedule as a valid RFC 5545 recurring event that keeps local time across DST."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import icalendar
from dateutil import rrule as du_rrule

from rm_plugin.programme.schedule import Attendee, Schedule, to_ics

LONDON = zoneinfo.ZoneInfo("Europe/London")


def schedule(**changes) -> Schedule:
    values = dict(
        cadence_days=14,
        weekday="tue",
        time=dt.time(10, 0),
        minutes=45,
        time_zone="Europe/London",
        starts_on=dt.date(2026, 3, 1),
        ends_on=dt.date(2026, 6, 30),
    )
    values.update(changes)
    return Schedule(**values)


def ics_of(s: Schedule) -> str:
    return to_ics(
        s,
        uid="rm-pair-7@rm-2026.rm-plugin",
        summary="Reverse mentoring",
        description="Our agreed meeting",
        organiser=Attendee("Sam Senior", "sam@example.com"),
        other=Attendee("Jo Junior", "jo@example.com"),
    )


def test_occurrences_keep_local_wall_clock_time_across_the_march_change() -> None:
    occurrences = schedule().occurrences()
    assert occurrences[0] == dt.datetime(2026, 3, 3, 10, 0, tzinfo=LONDON)
    before, after = occurrences[1], occurrences[2]  # 17 March (GMT) and 31 March (BST)
    assert (before.date(), after.date()) == (dt.date(2026, 3, 17), dt.date(2026, 3, 31))
    assert before.hour == after.hour == 10
    assert before.utcoffset() == dt.timedelta(0) and after.utcoffset() == dt.timedelta(hours=1)
    assert all(o.weekday() == 1 and o.time() == dt.time(10, 0) for o in occurrences)
    assert occurrences[-1].date() <= dt.date(2026, 6, 30)


def test_the_ics_is_valid_and_parses_back_to_the_same_occurrences() -> None:
    s = schedule()
    text = ics_of(s)
    cal = icalendar.Calendar.from_ical(text)
    assert cal["VERSION"] == "2.0" and cal["PRODID"]
    tz_ids = [tz["TZID"] for tz in cal.walk("VTIMEZONE")]
    assert tz_ids == ["Europe/London"]
    (event,) = cal.walk("VEVENT")
    assert event["UID"] == "rm-pair-7@rm-2026.rm-plugin"
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert event["DTEND"].dt - event["DTSTART"].dt == dt.timedelta(minutes=45)
    assert str(event["ORGANIZER"]) == "mailto:sam@example.com"
    attendees = sorted(str(a) for a in event["ATTENDEE"])
    assert attendees == ["mailto:jo@example.com", "mailto:sam@example.com"]
    # Expand the RRULE as a calendar client would: from the parsed DTSTART and rule text.
    rule_text = event["RRULE"].to_ical().decode()
    start = event["DTSTART"].dt
    expanded = list(du_rrule.rrulestr(rule_text, dtstart=start))
    assert [e.isoformat() for e in expanded] == [o.isoformat() for o in s.occurrences()]
    # Every line is CRLF-terminated and folded to 75 octets (RFC 5545 §3.1).
    lines = text.split("\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)


def test_a_cadence_that_is_not_whole_weeks_repeats_daily_by_interval() -> None:
    s = schedule(cadence_days=10, weekday="mon")
    rule = s.rule()
    assert rule["FREQ"] == "DAILY" and rule["INTERVAL"] == 10
    occurrences = s.occurrences(limit=3)
    assert [o.date() for o in occurrences] == [
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 12),
        dt.date(2026, 3, 22),
    ]


def test_autumn_change_in_another_zone_also_keeps_local_time() -> None:
    s = schedule(time_zone="America/New_York", starts_on=dt.date(2026, 10, 20), ends_on=dt.date(2026, 11, 30))
    occurrences = s.occurrences()
    assert {o.hour for o in occurrences} == {10}
    assert {o.utcoffset() for o in occurrences} == {dt.timedelta(hours=-4), dt.timedelta(hours=-5)}
