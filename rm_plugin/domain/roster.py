"""Checks that need the whole roster: duplicate HR ids, unknown managers, management cycles.

Row-level checks (a missing email, a bad date) belong to each source; these apply to every
source alike. Bad records are reported and left out; the good ones go through.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rm_plugin.domain.orgtree import find_cycles
from rm_plugin.domain.records import PersonRecord, RowProblem


@dataclass(frozen=True)
class Located:
    """A record with where it came from, so a problem can point at the line."""

    record: PersonRecord
    where: str


def check_roster(
    rows: Sequence[Located],
    known_hr_ids: Iterable[str] = (),
    rejected: Mapping[str, RowProblem] | None = None,
    *,
    trust_rejected_managers: bool = True,
) -> tuple[list[Located], list[RowProblem]]:
    """Return the rows that pass, and one problem per row that does not.

    :param known_hr_ids: people already stored; a manager may be one of them.
    :param rejected: HR id -> the problem, for records the source itself rejected (a bad
        email, say). Such a person exists in HR, so a source keeps a row reporting to them
        (``trust_rejected_managers``); the central check, which must know every manager
        before the chain rule relies on it, skips the row and names the manager's problem.
    """
    rejected = rejected or {}
    problems: list[RowProblem] = []
    first_seen: dict[str, str] = {}
    email_seen: dict[str, tuple[str, str]] = {}
    unique: list[Located] = []
    for row in rows:
        hr_id = row.record.hr_id
        if hr_id in first_seen:
            problems.append(
                _problem(row, f"duplicate HR id {hr_id} (first seen at {first_seen[hr_id]}); skipped")
            )
            continue
        email = row.record.email.lower()
        if email in email_seen:
            other, where = email_seen[email]
            problems.append(
                _problem(row, f"work email {row.record.email} is also {other}'s ({where}); skipped")
            )
            continue
        first_seen[hr_id] = row.where
        email_seen[email] = (hr_id, row.where)
        unique.append(row)

    in_batch = {row.record.hr_id for row in unique}
    known = set(known_hr_ids)
    with_manager: list[Located] = []
    for row in unique:
        manager = row.record.manager_hr_id
        if manager and manager not in in_batch and manager not in known:
            if manager in rejected and trust_rejected_managers:
                with_manager.append(row)
                continue
            if manager in rejected:
                own = rejected[manager]
                reason = (
                    f"manager {manager}'s own record was rejected ({own.where}: {own.reason}); fix it first"
                )
            else:
                reason = f"manager {manager} does not exist in the roster"
            problems.append(_problem(row, reason))
            continue
        with_manager.append(row)

    managers = {row.record.hr_id: row.record.manager_hr_id for row in with_manager}
    cycle = find_cycles(managers)
    good: list[Located] = []
    for row in with_manager:
        if row.record.hr_id in cycle:
            members = ", ".join(sorted(cycle))
            problems.append(_problem(row, f"management cycle (reports to itself through {members})"))
            continue
        good.append(row)
    return good, problems


def _problem(row: Located, reason: str) -> RowProblem:
    return RowProblem(source=row.record.source, where=row.where, reason=reason, hr_id=row.record.hr_id)
