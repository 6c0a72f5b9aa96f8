"""Checks that need the whole roster: duplicate HR ids, management cycles, broken manager links.

Row-level checks (a missing email, a bad date) belong to each source; these apply to every
source alike. Bad records are reported and left out; the good ones go through. A manager
who is not in the roster skips nobody: the link is kept and reported as broken.
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


def check_roster(rows: Sequence[Located]) -> tuple[list[Located], list[RowProblem]]:
    """Return the rows that pass, and one problem per row that does not.

    Duplicate HR ids or work emails and management cycles are skipped. A manager missing
    from the roster is not a reason to skip anyone: the row is kept, and the broken link is
    reported by :func:`broken_links` where the stored people are known.
    """
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

    managers = {row.record.hr_id: row.record.manager_hr_id for row in unique}
    cycle = find_cycles(managers)
    good: list[Located] = []
    for row in unique:
        if row.record.hr_id in cycle:
            members = ", ".join(sorted(cycle))
            problems.append(_problem(row, f"management cycle (reports to itself through {members})"))
            continue
        good.append(row)
    return good, problems


@dataclass(frozen=True)
class BrokenLink:
    """An active person whose manager is not an active person of the roster."""

    hr_id: str
    manager: str
    kind: str  # manager_missing (not stored: the chain above is unknown) | manager_left
    detail: str  # why the manager is missing, for the admin


def broken_links(
    people: Iterable[tuple[str, str | None, str]], why_missing: Mapping[str, str] | None = None
) -> list[BrokenLink]:
    """The broken management links among stored ``people`` (HR id, manager HR id, status).

    :param why_missing: HR id -> why that record is not stored (rejected by its source,
        skipped as a duplicate or in a cycle), to say more than "not in the roster".
    """
    why_missing = why_missing or {}
    status = {hr_id: state for hr_id, _, state in people}
    out: list[BrokenLink] = []
    for hr_id, manager, state in people:
        if state != "active" or not manager or manager == hr_id:
            continue
        if manager not in status:
            detail = why_missing.get(manager, "is not in the roster")
            out.append(BrokenLink(hr_id, manager, "manager_missing", detail))
        elif status[manager] != "active":
            out.append(BrokenLink(hr_id, manager, "manager_left", "has left (no longer in the roster)"))
    return sorted(out, key=lambda link: (link.manager, link.hr_id))


def _problem(row: Located, reason: str) -> RowProblem:
    return RowProblem(source=row.record.source, where=row.where, reason=reason, hr_id=row.record.hr_id)
