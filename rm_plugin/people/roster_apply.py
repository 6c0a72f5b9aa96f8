"""Applying people from HR sources to the store: merge, upsert by HR id, mark leavers.

A person is never deleted: one missing from a later full roster of their own source is
marked ``left`` (their termination date kept or set), which the retention metric needs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_plugin.domain.records import PERSON_FIELDS, PeopleBatch, PersonRecord, RowProblem
from rm_plugin.domain.roster import BrokenLink
from rm_plugin.store.models import Person, RosterProblem

FIELDS = tuple(name for name in PERSON_FIELDS if name != "hr_id")


MASS_LEAVERS_SHARE = 0.2
MASS_LEAVERS_MIN = 5


SHOWN_PER_MANAGER = 5


@dataclass
class RosterReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    left: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    failed_sources: list[str] = field(default_factory=list)
    #: source -> why it could not be read (nothing changed for it)
    source_errors: dict[str, str] = field(default_factory=dict)
    broken_new: list[BrokenLink] = field(default_factory=list)  # reported now, once
    broken_open: int = 0  # reported by an earlier sync, still not fixed
    broken_fixed: int = 0
    notes: list[str] = field(default_factory=list)  # what the sync did besides (pairs of leavers)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def nothing_imported(self) -> bool:
        """Every source failed, or records were offered and none could be used."""
        tried = bool(self.problems or self.failed_sources)
        return tried and self.imported == 0 and self.left == 0

    def lines(self) -> list[str]:
        head = (
            f"people: {self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.left} marked as left; {len(self.problems)} record(s) skipped"
        )
        failed = [
            f"  source failed, nothing changed for it: {name}: {self.source_errors.get(name) or 'no reason'}"
            for name in self.failed_sources
        ]
        return [head, *failed, *(f"  skipped: {p}" for p in self.problems), *self.broken_lines(), *self.notes]

    def broken_lines(self) -> list[str]:
        """New broken manager links, one line per manager; the older ones as a count."""
        out: list[str] = []
        by_manager: dict[tuple[str, str, str], list[str]] = {}
        for link in self.broken_new:
            by_manager.setdefault((link.manager, link.kind, link.detail), []).append(link.hr_id)
        if by_manager:
            count = len(self.broken_new)
            out.append(f"broken manager links: {count} person(s) kept with a manager to fix in HR")
        for (manager, kind, detail), people in sorted(by_manager.items()):
            shown = ", ".join(people[:SHOWN_PER_MANAGER])
            if len(people) > SHOWN_PER_MANAGER:
                shown += f" and {len(people) - SHOWN_PER_MANAGER} more"
            if kind == "manager_missing":
                effect = "they are left out of matching and reviews until it is fixed"
                out.append(f"  manager {manager} {detail}: {shown} report to them; {effect}")
            else:
                out.append(f"  manager {manager} {detail}: {shown} still report to them")
        if self.broken_open:
            out.append(
                f"broken manager links: {self.broken_open} reported before are not fixed yet "
                "(`rm-plugin people show HR_ID` shows each)"
            )
        if self.broken_fixed:
            out.append(f"broken manager links: {self.broken_fixed} fixed since the last sync")
        return out


def merge_batches(batches: Sequence[PeopleBatch]) -> tuple[list[PersonRecord], list[RowProblem]]:
    """Merge sources by HR id, then by work email; a disagreement is reported, never merged silently.

    The first source (in the given order) wins a conflict; the other source's record is
    skipped with a problem naming both sources and the differing fields.
    """
    by_id: dict[str, PersonRecord] = {}
    by_email: dict[str, PersonRecord] = {}
    problems: list[RowProblem] = []
    for batch in batches:
        for record in batch.records:
            email = record.email.lower()
            existing = by_id.get(record.hr_id)
            if existing is None and email in by_email:
                other = by_email[email]
                problems.append(
                    RowProblem(
                        record.source,
                        f"HR id {record.hr_id}",
                        f"work email {record.email} already belongs to {other.hr_id} from {other.source}; "
                        "not merged",
                        record.hr_id,
                    )
                )
                continue
            if existing is None:
                by_id[record.hr_id] = record
                by_email[email] = record
                continue
            merged, differing = _merge(existing, record)
            if differing:
                problems.append(
                    RowProblem(
                        record.source,
                        f"HR id {record.hr_id}",
                        f"disagrees with {existing.source} on {', '.join(differing)}; "
                        f"kept {existing.source}'s",
                        record.hr_id,
                    )
                )
            by_id[record.hr_id] = merged
    return list(by_id.values()), problems


def _merge(first: PersonRecord, second: PersonRecord) -> tuple[PersonRecord, list[str]]:
    """Fill blanks of ``first`` from ``second``; name the fields where both have different values."""
    changes = {}
    differing = []
    for name in FIELDS:
        a, b = getattr(first, name), getattr(second, name)
        if _blank(a) and not _blank(b):
            changes[name] = b
        elif not _blank(a) and not _blank(b) and _norm(a) != _norm(b):
            differing.append(name)
    return dataclasses.replace(first, **changes), differing


def _blank(value: object) -> bool:
    return value is None or value == "" or value == ()


def _norm(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def apply_people(
    session: Session,
    records: Sequence[PersonRecord],
    complete_sources: Sequence[str],
    today: dt.date | None = None,
    still_present: Collection[str] = (),
    accept_leavers: bool = False,
) -> RosterReport:
    """Upsert records by HR id; people of a complete source missing from it are marked as left.

    ``still_present`` holds HR ids a source did return but whose record was rejected (a bad
    row, a conflict): they are reported and left as they are, never taken for leavers.
    A roster that would make more than a fifth of a source's active people (and at least
    :data:`MASS_LEAVERS_MIN`) leave at once looks truncated: nobody is marked unless
    ``accept_leavers``, and the report says why.
    """
    today = today or dt.date.today()
    report = RosterReport()
    existing = {p.hr_id: p for p in session.scalars(select(Person))}
    seen: set[str] = set()
    for record in records:
        seen.add(record.hr_id)
        values = {name: getattr(record, name) for name in FIELDS}
        values["languages"] = list(record.languages)
        person = existing.get(record.hr_id)
        if person is None:
            session.add(Person(hr_id=record.hr_id, source=record.source, **values))
            report.created += 1
            continue
        changed = {k: v for k, v in values.items() if getattr(person, k) != v}
        if person.source != record.source:
            changed["source"] = record.source
        if changed:
            for key, value in changed.items():
                setattr(person, key, value)
            report.updated += 1
        else:
            report.unchanged += 1
    leaving: dict[str, list[Person]] = {}
    for person in existing.values():
        if person.hr_id in seen or person.hr_id in still_present:
            continue
        if person.source not in complete_sources or person.status == "left":
            continue
        leaving.setdefault(person.source, []).append(person)
    contributed = {record.source for record in records}
    for source, people in sorted(leaving.items()):
        active = sum(1 for p in existing.values() if p.source == source and p.status == "active")
        if source not in contributed:
            reason = (
                f"the roster has no usable record, so none of its {active} active people was marked as left"
            )
            report.problems.append(RowProblem(source, "roster", reason))
            continue
        if (
            not accept_leavers
            and len(people) >= MASS_LEAVERS_MIN
            and len(people) > MASS_LEAVERS_SHARE * active
        ):
            report.problems.append(
                RowProblem(
                    source,
                    "roster",
                    f"{len(people)} of {active} active people are missing from this full roster; none was "
                    "marked as left, since a truncated export looks the same. If they really left, run "
                    "`rm-plugin people sync --accept-leavers`",
                )
            )
            continue
        for person in people:
            person.status = "left"
            person.termination_date = person.termination_date or today
            report.left += 1
    return report


def track_broken_links(session: Session, links: Sequence[BrokenLink], report: RosterReport) -> None:
    """Store the broken links as roster problems: new ones go in the report (once), fixed ones go."""
    stored = {row.hr_id: row for row in session.scalars(select(RosterProblem))}
    current = {link.hr_id: link for link in links}
    for hr_id, row in stored.items():
        if hr_id not in current:
            session.delete(row)
            report.broken_fixed += 1
    for hr_id, link in current.items():
        row = stored.get(hr_id)
        if row is not None and (row.kind, row.manager_hr_id) == (link.kind, link.manager):
            row.detail = link.detail
            report.broken_open += 1
            continue
        if row is None:
            session.add(
                RosterProblem(hr_id=hr_id, kind=link.kind, manager_hr_id=link.manager, detail=link.detail)
            )
        else:
            row.kind, row.manager_hr_id, row.detail = link.kind, link.manager, link.detail
        report.broken_new.append(link)
