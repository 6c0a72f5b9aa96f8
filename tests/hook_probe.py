"""A plugin that implements every hook of the contract and writes down each call it gets.

A test site loads it from ``hooks/probe.py`` (which imports this module), declares one
``probe`` connection with every role, and then runs the product through its services; the
calls written to :data:`CALLS` show which hooks the core really calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from marshmallow import Schema

from rm_plugin import hookimpl
from rm_plugin.connections import Connection, ConnectorType
from rm_plugin.domain.records import (
    Delivery,
    HealthReport,
    PeopleBatch,
    PersonRecord,
    ProgrammeInfo,
    Receipt,
)

#: (hook name, what it was called with, shortened) in the order the calls came.
CALLS: list[tuple[str, Any]] = []

ROSTER = (
    # hr_id, level, manager
    ("CEO", 9, None),
    ("VP-A", 8, "CEO"),
    ("VP-B", 8, "CEO"),
    ("SEN-A", 7, "VP-A"),
    ("SEN-B", 7, "VP-B"),
    ("JUN-B1", 2, "SEN-B"),
    ("REV-1", 5, "CEO"),
    ("REV-2", 5, "CEO"),
    ("REV-3", 5, "CEO"),
)


class ProbeConfig(Schema):
    pass


class ProbeConnection(Connection):
    """A host that takes everything and says so."""

    def _receipt(self, name: str, delivery: Delivery) -> Receipt | None:
        if delivery.connection != self.name:
            return None
        CALLS.append((name, delivery.key))
        return Receipt(host_ref=f"probe {delivery.key}")

    @hookimpl
    def rm_fetch_people(self, connection: str | None, since: str | None) -> PeopleBatch | None:
        if not self.owns(connection):
            return None
        CALLS.append(("rm_fetch_people", since))
        records = tuple(
            PersonRecord(
                hr_id=hr_id,
                email=f"{hr_id.lower()}@probe.example",
                given_name=hr_id,
                job_level=level,
                manager_hr_id=manager,
                time_zone="Europe/London",
                languages=("en",),
                source=self.name,
            )
            for hr_id, level, manager in ROSTER
        )
        return PeopleBatch(source=self.name, records=records)

    @hookimpl
    def rm_resolve_accounts(
        self, connection: str, people: Sequence[PersonRecord]
    ) -> Mapping[str, str] | None:
        if connection != self.name:
            return None
        CALLS.append(("rm_resolve_accounts", tuple(p.hr_id for p in people)))
        return {p.hr_id: f"probe-{p.hr_id}" for p in people}

    @hookimpl
    def rm_check_health(
        self, connection: str | None, programmes: Sequence[ProgrammeInfo] = ()
    ) -> HealthReport | None:
        if not self.owns(connection):
            return None
        CALLS.append(("rm_check_health", tuple(p.slug for p in programmes)))
        return HealthReport(self.name, summary="(probe)")

    @hookimpl
    def rm_prepare_programme(self, connection: str, programme: ProgrammeInfo) -> Receipt | None:
        if connection != self.name:
            return None
        CALLS.append(("rm_prepare_programme", programme.slug))
        return Receipt(host_ref=f"course {programme.slug}")

    @hookimpl
    def rm_enrol_pair(self, delivery: Delivery) -> Receipt | None:
        return self._receipt("rm_enrol_pair", delivery)

    @hookimpl
    def rm_close_pair(self, delivery: Delivery) -> Receipt | None:
        return self._receipt("rm_close_pair", delivery)

    @hookimpl
    def rm_record_milestone(self, delivery: Delivery) -> Receipt | None:
        return self._receipt("rm_record_milestone", delivery)

    @hookimpl
    def rm_award(self, delivery: Delivery) -> Receipt | None:
        return self._receipt("rm_award", delivery)

    @hookimpl
    def rm_put_calendar_event(self, delivery: Delivery) -> Receipt | None:
        return self._receipt("rm_put_calendar_event", delivery)

    @hookimpl
    def rm_send_notification(self, delivery: Delivery) -> Receipt | None:
        return self._receipt("rm_send_notification", delivery)


@hookimpl
def rm_register_connector_types(register: Any) -> None:
    CALLS.append(("rm_register_connector_types", None))
    register(
        ConnectorType(
            "probe",
            ProbeConfig,
            ProbeConnection,
            "writes down every call",
            ("people", "progress", "notify", "calendar"),
        )
    )


@hookimpl
def rm_register_commands(cli: Any) -> None:
    CALLS.append(("rm_register_commands", cli.name))


@hookimpl
def rm_match_score_terms(programme: ProgrammeInfo, pairs: Sequence[Any]) -> Mapping[str, Sequence[float]]:
    CALLS.append(("rm_match_score_terms", len(pairs)))
    return {"probe": [0.5] * len(pairs)}


@hookimpl
def rm_veto_pairs(programme: ProgrammeInfo, pairs: Sequence[Any]) -> Mapping[int, str] | None:
    CALLS.append(("rm_veto_pairs", len(pairs)))
    return None


@hookimpl
def rm_pair_approved(pair: Any, approved_by: Sequence[str]) -> None:
    CALLS.append(("rm_pair_approved", (pair.mentee_hr_id, pair.mentor_hr_id, tuple(approved_by))))


@hookimpl
def rm_pair_closed(pair: Any, reason: str) -> None:
    CALLS.append(("rm_pair_closed", (pair.mentee_hr_id, pair.mentor_hr_id, reason)))


@hookimpl
def rm_agreement_signed(pair: Any, version: int, signed_on: Any) -> None:
    CALLS.append(("rm_agreement_signed", (pair.id, version)))


@hookimpl
def rm_meeting_logged(pair: Any, meeting: Any) -> None:
    CALLS.append(("rm_meeting_logged", (pair.id, meeting.confirmed)))


@hookimpl
def rm_milestone_reached(pair: Any, milestone: str, people: Sequence[str], reached_on: Any) -> None:
    CALLS.append(("rm_milestone_reached", (milestone, tuple(people))))


@hookimpl
def rm_programme_closed(programme: ProgrammeInfo, summary: Mapping[str, Any]) -> None:
    CALLS.append(("rm_programme_closed", (programme.slug, summary["pairs_closed"])))
