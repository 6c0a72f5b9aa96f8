"""Turning BambooHR employee objects into person records; an unusable one becomes a RowProblem."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rm_plugin.domain.records import PersonRecord

#: Our person field -> the BambooHR list-employees field it comes from (config may override).
DEFAULT_FIELDS: dict[str, str] = {
    "email": "workEmail",
    "given_name": "firstName",
    "family_name": "lastName",
    "title": "jobTitleName",
    "department": "departmentName",
    "team": "divisionName",
    "location": "locationName",
    "manager": "reportsToId",
    "hire_date": "hireDate",
    "termination_date": "terminationDate",
    "status": "status",
}
#: Our fields BambooHR has no standard field for: read only when [fields] names a custom field.
OPTIONAL_FIELDS = ("languages", "time_zone")
_LANGUAGE_SPLIT = re.compile(r"[;,]")

#: The same for the custom report an API key reads, which takes get-employee field names.
REPORT_FIELDS: dict[str, str] = {
    **DEFAULT_FIELDS,
    "department": "department",
    "team": "division",
    "location": "location",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_EMPTY_DATES = {"", "0000-00-00"}


class RecordError(ValueError):
    """Why one employee object cannot become a person record."""


@dataclass(frozen=True)
class FieldMap:
    """How this connection reads an employee: which fields, which id, how levels are spelt."""

    fields: Mapping[str, str]
    hr_id: str  # "employeeId" or "employeeNumber"
    job_level_key: str | None  # the key the custom field's value arrives under
    job_levels: Mapping[str, int]  # level text -> number, for text-valued level fields

    def request_fields(self) -> list[str]:
        wanted = ["employeeId", *(f for f in self.fields.values() if f)]
        if self.hr_id != "employeeId":
            wanted.append(self.hr_id)
        if self.job_level_key:
            wanted.append(self.job_level_key)
        return list(dict.fromkeys(wanted))


def employee_id(raw: Mapping[str, Any]) -> str:
    value = raw.get("employeeId", raw.get("id"))
    return "" if value is None else str(value)


def to_record(
    raw: Mapping[str, Any],
    mapping: FieldMap,
    *,
    source: str,
    manager_hr_id: str | None,
    today: dt.date,
) -> PersonRecord:
    """One employee as a PersonRecord; raises RecordError naming the bad field."""

    def get(name: str) -> str:
        value = raw.get(mapping.fields.get(name, ""))
        return "" if value is None else str(value).strip()

    hr_id = employee_id(raw) if mapping.hr_id == "employeeId" else str(raw.get(mapping.hr_id) or "").strip()
    if not hr_id:
        raise RecordError(f"no {mapping.hr_id} (the configured hr_id field)")
    email = get("email")
    if not email:
        raise RecordError(f"no work email ({mapping.fields['email']})")
    if not _EMAIL.match(email):
        raise RecordError(f"work email {email!r} is not an email address")
    time_zone = get("time_zone")
    if time_zone:
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise RecordError(
                f"time zone {time_zone!r} is not an IANA time zone (e.g. Europe/London)"
            ) from None
    hire_date = _date(get("hire_date"), "hire date")
    termination_date = _date(get("termination_date"), "termination date")
    status = get("status").lower()
    left = (termination_date is not None and termination_date <= today) or (
        status in {"inactive", "terminated"} and (hire_date is None or hire_date <= today)
    )
    return PersonRecord(
        hr_id=hr_id,
        email=email,
        given_name=get("given_name"),
        family_name=get("family_name"),
        job_level=_level(raw, mapping),
        title=get("title"),
        department=get("department"),
        team=get("team"),
        manager_hr_id=manager_hr_id,
        location=get("location"),
        time_zone=time_zone,
        languages=tuple(x.strip() for x in _LANGUAGE_SPLIT.split(get("languages")) if x.strip()),
        hire_date=hire_date,
        termination_date=termination_date,
        status="left" if left else "active",
        source=source,
    )


def _level(raw: Mapping[str, Any], mapping: FieldMap) -> int | None:
    if not mapping.job_level_key:
        return None
    value = raw.get(mapping.job_level_key)
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    if text in mapping.job_levels:
        return mapping.job_levels[text]
    try:
        return int(float(text)) if float(text).is_integer() else _bad_level(text)
    except ValueError:
        return _bad_level(text)


def _bad_level(text: str) -> int:
    raise RecordError(
        f"job level {text!r} is not a whole number; map such values in [job_levels] of the connector file"
    )


def _date(text: str, what: str) -> dt.date | None:
    if text in _EMPTY_DATES:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise RecordError(f"{what} {text!r} is not a date (YYYY-MM-DD)") from None
