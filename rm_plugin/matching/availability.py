"""Weekly availability as half-hour slots of a UTC week, so overlap across time zones is a bit count.

Windows are given in a person's own time zone (``{"day": "mon", "start": "09:00", "end": "11:00"}``)
and converted with the zone's offset in a reference week (the programme's start), so daylight
saving time is taken into account for the weeks that matter.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

SLOT_MINUTES = 30
SLOTS_PER_WEEK = 7 * 24 * 60 // SLOT_MINUTES
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class AvailabilityError(ValueError):
    """A window that cannot be read; the message names the window and what is wrong."""


def _minutes(text: object, where: str) -> int:
    value = _parse_time(text) if isinstance(text, str) else None
    if value is None:
        raise AvailabilityError(f"{where}: expected a time like '09:30', got {text!r}")
    if value < 0:
        raise AvailabilityError(f"{where}: {text!r} is not a time of day")
    return value


@functools.lru_cache(maxsize=4096)
def _parse_time(text: str) -> int | None:
    """Minutes since midnight; None if not ``HH:MM``; -1 if out of range."""
    parts = text.split(":")
    if len(parts) != 2 or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    hours, minutes = int(parts[0]), int(parts[1])
    value = hours * 60 + minutes
    return -1 if minutes >= 60 or value > 24 * 60 else value


@functools.lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo | None:
    """The time zone called ``name``; ``None`` for an empty name (treated as UTC)."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise AvailabilityError(
            f"unknown time zone {name!r} (use an IANA name like 'Europe/Berlin')"
        ) from exc


def weekly_slots(windows: Sequence[Mapping[str, object]], time_zone: str, week_of: dt.date) -> np.ndarray:
    """A boolean array of the UTC half-hour slots (Monday 00:00 UTC first) the windows cover.

    A window's start is rounded down and its end up to whole slots.
    """
    slots = np.zeros(SLOTS_PER_WEEK, dtype=bool)
    slots[list(slot_numbers(windows, time_zone, week_of))] = True
    return slots


def slot_numbers(windows: Sequence[Mapping[str, object]], time_zone: str, week_of: dt.date) -> set[int]:
    """The UTC half-hour slots the windows cover, as slot numbers (see :func:`weekly_slots`)."""
    zone(time_zone)  # a bad zone is named even when there are no windows
    monday = week_of - dt.timedelta(days=week_of.weekday())
    out: set[int] = set()
    for number, window in enumerate(windows, start=1):
        where = f"availability window {number}"
        if not isinstance(window, Mapping):
            raise AvailabilityError(f"{where}: expected {{day, start, end}}, got {window!r}")
        day = str(window.get("day", "")).strip().lower()[:3]
        if day not in DAYS:
            raise AvailabilityError(f"{where}: day {window.get('day')!r} is not one of {', '.join(DAYS)}")
        start = _minutes(window.get("start"), where)
        end = _minutes(window.get("end"), where)
        if end <= start:
            raise AvailabilityError(
                f"{where}: end {window.get('end')} is not after start {window.get('start')}"
            )
        out.update(_window_slots(DAYS.index(day), start, end, time_zone, monday))
    return out


@functools.lru_cache(maxsize=65536)
def _window_slots(day: int, start: int, end: int, time_zone: str, monday: dt.date) -> tuple[int, ...]:
    """UTC slot numbers of one local window (cached: the same windows recur across people)."""
    tz = zone(time_zone) or dt.UTC
    week_start = dt.datetime.combine(monday, dt.time(), tzinfo=dt.UTC)
    local_day = dt.datetime.combine(monday + dt.timedelta(days=day), dt.time())
    out: list[int] = []
    for minute in range(start - start % SLOT_MINUTES, end, SLOT_MINUTES):
        aware = (local_day + dt.timedelta(minutes=minute)).replace(tzinfo=tz)
        offset = (aware.astimezone(dt.UTC) - week_start) // dt.timedelta(minutes=SLOT_MINUTES)
        out.append(int(offset) % SLOTS_PER_WEEK)
    return tuple(out)


def overlap_hours(a: np.ndarray, b: np.ndarray) -> float:
    """Hours per week both are available."""
    return float(np.count_nonzero(a & b)) * SLOT_MINUTES / 60
