"""Workers from a RaaS report row or a Get_Workers ``Worker`` element, as person records."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from rm_plugin.connectors.workday import soap
from rm_plugin.domain.records import PersonRecord

#: Our field -> the report column (its XML alias) it is read from; config overrides any of them.
DEFAULT_COLUMNS: dict[str, str] = {
    "hr_id": "Employee_ID",
    "email": "Work_Email",
    "given_name": "First_Name",
    "family_name": "Last_Name",
    "job_level": "Job_Level",
    "title": "Business_Title",
    "department": "Supervisory_Organization",
    "team": "Team",
    "manager_hr_id": "Manager_Employee_ID",
    "location": "Location",
    "time_zone": "Time_Zone",
    "hire_date": "Hire_Date",
    "termination_date": "Termination_Date",
    "active": "Active",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_FALSE = {"0", "false", "no", "n", "inactive", "terminated"}


class RecordError(ValueError):
    """Why one worker cannot become a person record."""


def from_report_row(
    row: Mapping[str, Any],
    columns: Mapping[str, str],
    levels: Mapping[str, int],
    *,
    source: str,
    today: dt.date,
) -> PersonRecord:
    def get(name: str) -> str:
        value = row.get(columns.get(name, ""))
        if isinstance(value, Mapping):  # a reference column: {"Descriptor": ..., "ID": ...}
            value = value.get("ID") or value.get("Descriptor")
        return "" if value is None else str(value).strip()

    return _record(
        source=source,
        today=today,
        levels=levels,
        hr_id=get("hr_id"),
        email=get("email"),
        given_name=get("given_name"),
        family_name=get("family_name"),
        level=get("job_level"),
        title=get("title"),
        department=get("department"),
        team=get("team"),
        manager=get("manager_hr_id"),
        location=get("location"),
        time_zone=get("time_zone"),
        hire=get("hire_date"),
        termination=get("termination_date"),
        active=get("active"),
        id_name=columns.get("hr_id", "hr_id"),
    )


def from_worker(
    worker: ET.Element, levels: Mapping[str, int], *, source: str, today: dt.date
) -> PersonRecord:
    """A Get_Workers ``Worker`` (paths from host-apis §3.5)."""
    data = soap.find(worker, "Worker_Data")
    personal = soap.find(data, "Personal_Data")
    name = soap.find(personal, "Name_Data/Preferred_Name_Data/Name_Detail_Data")
    if not soap.text(name, "First_Name"):
        name = soap.find(personal, "Name_Data/Legal_Name_Data/Name_Detail_Data")
    jobs = soap.findall(data, "Employment_Data/Worker_Job_Data")
    job = next((j for j in jobs if j.get(soap.q("Primary_Job")) in ("1", "true")), jobs[0] if jobs else None)
    position = soap.find(job, "Position_Data")
    status = soap.find(data, "Employment_Data/Worker_Status_Data")
    managers = soap.findall(position, "Manager_as_of_last_detected_manager_change_Reference")
    department = ""
    for org in soap.findall(data, "Organization_Data/Worker_Organization_Data/Organization_Data"):
        org_type = soap.ref_id(soap.find(org, "Organization_Type_Reference"), "Organization_Type_ID")
        if org_type == "Supervisory":
            department = soap.text(org, "Organization_Name")
            break
    level_ref = soap.find(position, "Job_Profile_Summary_Data/Management_Level_Reference")
    return _record(
        source=source,
        today=today,
        levels=levels,
        hr_id=soap.text(data, "Worker_ID")
        or soap.ref_id(soap.find(worker, "Worker_Reference"), "Employee_ID"),
        email=_work_email(personal),
        given_name=soap.text(name, "First_Name"),
        family_name=soap.text(name, "Last_Name"),
        level=soap.ref_id(level_ref, "Management_Level_ID"),
        title=soap.text(position, "Business_Title") or soap.text(position, "Position_Title"),
        department=department,
        team="",
        manager=next((m for m in (soap.ref_id(r, "Employee_ID") for r in managers) if m), ""),
        location=soap.text(position, "Business_Site_Summary_Data/Name"),
        time_zone="",
        hire=soap.text(status, "Hire_Date"),
        termination=soap.text(status, "Termination_Date") or soap.text(status, "End_Employment_Date"),
        active=soap.text(status, "Active"),
        id_name="Worker_ID",
    )


def _work_email(personal: ET.Element | None) -> str:
    emails = soap.findall(personal, "Contact_Data/Email_Address_Data")
    for email in emails:
        for usage in soap.findall(email, "Usage_Data/Type_Data/Type_Reference"):
            if soap.ref_id(usage, "Communication_Usage_Type_ID") == "WORK":
                return soap.text(email, "Email_Address")
    return soap.text(emails[0], "Email_Address") if emails else ""


def _record(
    *,
    source: str,
    today: dt.date,
    levels: Mapping[str, int],
    hr_id: str,
    email: str,
    level: str,
    hire: str,
    termination: str,
    active: str,
    manager: str,
    id_name: str,
    **text: str,
) -> PersonRecord:
    if not hr_id:
        raise RecordError(f"no worker id ({id_name})")
    if not email:
        raise RecordError("no work email")
    if not _EMAIL.match(email):
        raise RecordError(f"work email {email!r} is not an email address")
    hire_date = _date(hire, "hire date")
    termination_date = _date(termination, "termination date")
    left = (termination_date is not None and termination_date <= today) or active.lower() in _FALSE
    return PersonRecord(
        hr_id=hr_id,
        email=email,
        job_level=_level(level, levels),
        manager_hr_id=manager or None,
        hire_date=hire_date,
        termination_date=termination_date,
        status="left" if left else "active",
        source=source,
        **text,
    )


def _level(value: str, levels: Mapping[str, int]) -> int | None:
    if not value:
        return None
    if value in levels:
        return levels[value]
    if value.isdigit():
        return int(value)
    raise RecordError(
        f"job level {value!r} is not a whole number; map it in [job_levels] of the connector file"
    )


def _date(value: str, what: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])  # Workday writes dates as 2020-01-15-08:00
    except ValueError:
        raise RecordError(f"{what} {value!r} is not a date (YYYY-MM-DD)") from None
