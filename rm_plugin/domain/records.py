"""Plain values that cross the hook seam.

Hooks receive and return these frozen dataclasses, never ORM objects, so a plugin cannot
reach into a database session and a host connector never sees more than it needs (no note
text, no opt-in demographic data).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PersonRecord:
    """One person as an HR source describes them; `hr_id` is the join key across sources."""

    hr_id: str
    email: str
    given_name: str = ""
    family_name: str = ""
    job_level: int | None = None
    title: str = ""
    department: str = ""
    team: str = ""
    manager_hr_id: str | None = None
    location: str = ""
    time_zone: str = ""
    languages: tuple[str, ...] = ()
    hire_date: dt.date | None = None
    termination_date: dt.date | None = None
    status: str = "active"  # "active" or "left"
    source: str = ""

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip() or self.hr_id


# The person fields a roster can carry, in the order rosters list them ("source" is ours).
PERSON_FIELDS: tuple[str, ...] = (
    "hr_id",
    "email",
    "given_name",
    "family_name",
    "job_level",
    "title",
    "department",
    "team",
    "manager_hr_id",
    "location",
    "time_zone",
    "languages",
    "hire_date",
    "termination_date",
    "status",
)


@dataclass(frozen=True)
class RowProblem:
    """A record a source could not use: where it was, and why. The good rows still go through."""

    source: str
    where: str  # "line 14", "employee 4021", "Report_Entry[7]"
    reason: str
    hr_id: str | None = None

    def __str__(self) -> str:
        who = f" ({self.hr_id})" if self.hr_id else ""
        return f"{self.source}: {self.where}{who}: {self.reason}"


@dataclass(frozen=True)
class PeopleBatch:
    """What one HR source returns from `rm_fetch_people`.

    `complete` is True for a full roster (people absent from it are marked as left) and
    False for an incremental pull (absence means "unchanged"). `cursor` is stored and
    handed back as `since` on the next incremental run.
    """

    source: str
    records: tuple[PersonRecord, ...]
    problems: tuple[RowProblem, ...] = ()
    complete: bool = True
    cursor: str | None = None


@dataclass(frozen=True)
class HealthReport:
    """A connection's answer to `rm_check_health`: what it reached, every problem found, and
    warnings (things that work but will leave some deliveries undone, e.g. people without an
    account on the host)."""

    connection: str
    summary: str = ""
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class ProgrammeInfo:
    """What a host needs to know about a programme to prepare its structures.

    ``milestones`` are the keys of the programme's milestone list; ``definitions`` the list
    itself (key, rule, and the ``records`` each host keeps), so a connector's health check can
    say which milestone or award its config does not map (empty where it is not needed).
    """

    id: int
    slug: str
    name: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    milestones: tuple[str, ...] = ()
    objectives: tuple[str, ...] = ()
    definitions: tuple[Mapping[str, Any], ...] = field(default=(), compare=False, hash=False)


@dataclass(frozen=True)
class ApplicantView:
    """An applicant as matching plugins see them. Opt-in demographic data is never here."""

    hr_id: str
    role: str  # "mentor" (the junior) or "mentee" (the senior)
    job_level: int | None
    department: str = ""
    location: str = ""
    time_zone: str = ""
    languages: tuple[str, ...] = ()
    skills_offered: tuple[str, ...] = ()
    skills_wanted: Mapping[str, int] = field(default_factory=dict)  # skill -> priority 1..3
    interests: tuple[str, ...] = ()
    learning_style: str = ""
    meeting_mode: str = ""


@dataclass(frozen=True)
class MeetingInfo:
    """A logged meeting without its private notes, which never leave the pair."""

    id: int
    pair_id: int
    held_on: dt.date
    minutes: int
    mode: str
    topics: tuple[str, ...] = ()
    confirmed: bool = False


@dataclass(frozen=True)
class PairInfo:
    """A pair as hooks see it: the people by HR id, never anyone's private data."""

    id: int
    programme_slug: str
    mentee_hr_id: str
    mentor_hr_id: str
    status: str
    score: float | None = None


@dataclass(frozen=True)
class Delivery:
    """One outbox row handed to a connector.

    `key` is the idempotency key: the same fact always has the same key, so a connector
    can look up its stored receipt (`previous_receipt`) or the host before repeating a
    write the host does not make idempotent.
    """

    id: int
    key: str
    connection: str
    action: str  # enrol | completion | award | calendar | notify | prepare | mentorship | close
    payload: Mapping[str, Any]
    attempt: int = 1
    previous_receipt: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Receipt:
    """What a connector returns after a delivery: the host's own reference to what it did."""

    host_ref: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    #: True when no write call was made: the host already had it, or (with ``data["reason"]``)
    #: the host declined it, which ``sync`` and ``sync status`` show as "skipped" with the reason.
    skipped: bool = False


@dataclass(frozen=True)
class Notification:
    """A message to people, rendered from a template; `audience` holds HR ids."""

    key: str
    audience: tuple[str, ...]
    subject: str
    body: str
    kind: str = "info"  # invitation | reminder | nudge | announcement | info
