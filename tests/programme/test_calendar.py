"""The agreed schedule sent to calendars: every occurrence to the end, and a revision number."""

from __future__ import annotations

import datetime as dt
import re

import icalendar
from dateutil import rrule
from sqlalchemy import select

from rm_plugin.programme import agreements
from rm_plugin.store.models import Pair, Programme

DAY = dt.date(2026, 3, 1)
START = dt.date(2026, 3, 2)  # the test programme's start (conftest); it runs 180 days


def sign(world, ctx, pair_id: int) -> None:
    with world.db.transaction() as s:
        agreements.sign_agreement(s, ctx, pair_id, "SENIOR", DAY)
        agreements.sign_agreement(s, ctx, pair_id, "JUNIOR", DAY)


def signed_pair(world, ctx) -> int:
    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        agreements.draft_agreement(s, ctx, pair_id, DAY)
    sign(world, ctx, pair_id)
    return pair_id


def event_of(payload) -> icalendar.Event:
    (event,) = icalendar.Calendar.from_ical(payload["ics"]).walk("VEVENT")
    return event


def expand(event: icalendar.Event) -> list[str]:
    rule = event["RRULE"].to_ical().decode()
    return [o.isoformat() for o in rrule.rrulestr(rule, dtstart=event["DTSTART"].dt)]


def test_every_occurrence_to_the_programme_end_is_sent(world, ctx) -> None:
    signed_pair(world, ctx)  # every 14 days from Wednesday 4 March to the end, 29 August
    (payload,) = [item.payload for item in world.outbox("calendar") if item.connection == "files"]
    occurrences = [dt.datetime.fromisoformat(o) for o in payload["occurrences"]]
    assert len(occurrences) == 13  # more than the first ten
    assert occurrences[0].date() == dt.date(2026, 3, 4)
    assert occurrences[-1].date() == dt.date(2026, 8, 19) <= START + dt.timedelta(days=180)
    assert payload["occurrences"] == expand(event_of(payload))


def test_a_long_daily_schedule_lists_at_most_a_hundred(world, ctx) -> None:
    with world.db.transaction() as s:
        programme = s.scalar(select(Programme))
        programme.cadence_days, programme.ends_on = 1, START + dt.timedelta(days=400)
    signed_pair(world, ctx)
    payload = world.outbox("calendar")[0].payload
    assert len(payload["occurrences"]) == agreements.CALENDAR_OCCURRENCE_CAP == 100
    assert len(expand(event_of(payload))) > 100  # the event itself still runs to the end


def test_an_agreed_end_after_the_programme_end_stops_at_the_programme_end(world, ctx) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        agreements.draft_agreement(s, ctx, pair_id, DAY)
        agreements.edit_agreement(s, ctx, pair_id, "SENIOR", {"ends_on": "2027-03-01"})
    sign(world, ctx, pair_id)
    payload = world.outbox("calendar")[0].payload
    programme_end = START + dt.timedelta(days=180)
    assert dt.datetime.fromisoformat(payload["occurrences"][-1]).date() <= programme_end
    assert payload["occurrences"] == expand(event_of(payload))


def test_a_revised_schedule_keeps_the_uid_and_raises_the_sequence(world, ctx) -> None:
    pair_id = signed_pair(world, ctx)
    with world.db.transaction() as s:
        agreements.edit_agreement(s, ctx, pair_id, "JUNIOR", {"schedule": {"weekday": "thu"}})
    sign(world, ctx, pair_id)
    first, second = (
        event_of(item.payload) for item in world.outbox("calendar") if item.connection == "files"
    )
    assert first["UID"] == second["UID"]
    assert (first["SEQUENCE"], second["SEQUENCE"]) == (1, 2)
    assert second["DTSTART"].dt.weekday() == 3


def test_attendees_need_to_act_until_they_have_signed(world, ctx) -> None:
    from rm_plugin.programme import agreements

    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        agreements.draft_agreement(s, ctx, pair_id, START)
        agreements.sign_agreement(s, ctx, pair_id, "SENIOR", START)
        agreement = agreements.get_agreement(s, pair_id)
        draft_ics, _ = agreements.calendar_for(s, s.get(Pair, pair_id), agreement)
        agreements.sign_agreement(s, ctx, pair_id, "JUNIOR", START)
        signed_ics, _ = agreements.calendar_for(s, s.get(Pair, pair_id), agreement)

    def partstats(ics: str) -> dict[str, str]:
        unfolded = ics.replace("\r\n ", "")
        return dict(re.findall(r"ATTENDEE;CN=\"?(\w+) Test\"?;PARTSTAT=([A-Z-]+)", unfolded))

    assert partstats(draft_ics) == {"SENIOR": "ACCEPTED", "JUNIOR": "NEEDS-ACTION"}
    assert partstats(signed_ics) == {"SENIOR": "ACCEPTED", "JUNIOR": "ACCEPTED"}
