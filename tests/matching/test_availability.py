"""Availability across time zones and daylight saving, and readable errors for bad windows."""

from __future__ import annotations

import datetime as dt

import pytest

from rm_plugin.matching.availability import AvailabilityError, overlap_hours, weekly_slots

MON_9_11 = [{"day": "mon", "start": "09:00", "end": "11:00"}]
WINTER, SUMMER = dt.date(2026, 1, 12), dt.date(2026, 7, 13)


def test_overlap_follows_the_time_zones_and_their_daylight_saving() -> None:
    berlin = weekly_slots(MON_9_11, "Europe/Berlin", WINTER)  # 08-10 UTC
    london = weekly_slots(MON_9_11, "Europe/London", WINTER)  # 09-11 UTC
    assert overlap_hours(berlin, london) == 1.0
    new_york = weekly_slots([{"day": "mon", "start": "04:00", "end": "06:00"}], "America/New_York", WINTER)
    assert overlap_hours(new_york, london) == 2.0  # 09-11 UTC in winter
    tokyo = [{"day": "mon", "start": "18:00", "end": "20:00"}]  # 09-11 UTC all year: Japan keeps no DST
    assert overlap_hours(weekly_slots(tokyo, "Asia/Tokyo", WINTER), london) == 2.0
    london_summer = weekly_slots(MON_9_11, "Europe/London", SUMMER)  # 08-10 UTC
    assert overlap_hours(weekly_slots(tokyo, "Asia/Tokyo", SUMMER), london_summer) == 1.0


def test_a_window_that_crosses_the_week_boundary_wraps() -> None:
    tokyo = weekly_slots(
        [{"day": "mon", "start": "07:00", "end": "08:00"}], "Asia/Tokyo", WINTER
    )  # Sun 22 UTC
    utc = weekly_slots([{"day": "sun", "start": "22:00", "end": "23:00"}], "", WINTER)
    assert overlap_hours(tokyo, utc) == 1.0


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ({"day": "funday", "start": "09:00", "end": "10:00"}, "day 'funday' is not one of"),
        ({"day": "mon", "start": "9", "end": "10:00"}, "expected a time like '09:30', got '9'"),
        ({"day": "mon", "start": "10:00", "end": "09:00"}, "end 09:00 is not after start 10:00"),
        ({"day": "mon", "start": "09:75", "end": "10:00"}, "'09:75' is not a time of day"),
    ],
)
def test_bad_windows_are_named(window: dict, message: str) -> None:
    with pytest.raises(AvailabilityError, match=message):
        weekly_slots([{"day": "tue", "start": "09:00", "end": "10:00"}, window], "", WINTER)
    with pytest.raises(AvailabilityError, match="availability window 2"):
        weekly_slots([{"day": "tue", "start": "09:00", "end": "10:00"}, window], "", WINTER)


def test_an_unknown_zone_is_named() -> None:
    with pytest.raises(AvailabilityError, match="unknown time zone 'Mars/Olympus'"):
        weekly_slots(MON_9_11, "Mars/Olympus", WINTER)
