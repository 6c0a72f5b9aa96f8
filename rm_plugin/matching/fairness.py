"""The fairness audit: per group, how applications turn into proposals and approvals.

Groups are department, level band, location, and each opt-in attribute people gave. A
group whose rate is below 80% of the best group's rate (the four-fifths rule) is flagged.
Groups smaller than ``min_group`` are neither flagged nor used as the best group, and
opt-in groups that small are not shown at all, so nobody's opt-in data can be singled out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_plugin.matching.state import load_programme
from rm_plugin.store import Database
from rm_plugin.store.models import Application, Pair, Person

PROPOSED_STATUSES = ("proposed", "active", "closed", "rejected")
APPROVED_STATUSES = ("active", "closed")
SMALL = "(small groups)"


@dataclass(frozen=True)
class GroupRates:
    dimension: str  # department | level_band | location | opt-in:<key>
    role: str
    group: str
    applied: int
    proposed: int
    approved: int
    flags: tuple[str, ...] = ()

    @property
    def proposal_rate(self) -> float | None:
        return self.proposed / self.applied if self.applied else None

    @property
    def approval_rate(self) -> float | None:
        return self.approved / self.proposed if self.proposed else None


def level_band(level: int | None, width: int = 2) -> str:
    if level is None:
        return "unknown"
    low = (level - 1) // width * width + 1
    return f"{low}-{low + width - 1}"


def audit(
    db: Database, programme_slug: str, *, threshold: float = 0.8, min_group: int = 5
) -> list[GroupRates]:
    """Rates per group and role; ``flags`` names each rate below ``threshold`` x the best."""
    with db.transaction() as session:
        return audit_in(session, programme_slug, threshold=threshold, min_group=min_group)


def audit_in(
    session: Session, programme_slug: str, *, threshold: float = 0.8, min_group: int = 5
) -> list[GroupRates]:
    """:func:`audit` inside the caller's transaction (the programme report reads it there)."""
    programme = load_programme(session, programme_slug)
    apps = session.execute(
        select(Application, Person)
        .join(Person, Person.id == Application.person_id)
        .where(Application.programme_id == programme.id, Application.status == "submitted")
    ).all()
    pairs = session.execute(
        select(Pair.mentee_id, Pair.mentor_id, Pair.status).where(Pair.programme_id == programme.id)
    ).all()
    proposed: set[tuple[int, str]] = set()
    approved: set[tuple[int, str]] = set()
    for mentee, mentor, status in pairs:
        for person, role in ((mentee, "mentee"), (mentor, "mentor")):
            if status in PROPOSED_STATUSES:
                proposed.add((person, role))
            if status in APPROVED_STATUSES:
                approved.add((person, role))
    counts: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for app, person in apps:
        groups = {
            "department": person.department or "unknown",
            "level_band": level_band(person.job_level),
            "location": person.location or "unknown",
        }
        for key, value in sorted((app.demographics or {}).items()):
            if value not in (None, ""):
                groups[f"opt-in:{key}"] = str(value)
        key_person = (person.id, app.role)
        for dimension, group in groups.items():
            cell = counts[(dimension, app.role, group)]
            cell[0] += 1
            cell[1] += key_person in proposed
            cell[2] += key_person in approved
    rows: list[GroupRates] = []
    for (dimension, role, group), (applied, n_proposed, n_approved) in sorted(counts.items()):
        if dimension.startswith("opt-in:") and applied < min_group:
            group = SMALL
        rows.append(GroupRates(dimension, role, group, applied, n_proposed, n_approved))
    rows = _merge_small(rows)
    return _flag(rows, threshold, min_group)


def _merge_small(rows: list[GroupRates]) -> list[GroupRates]:
    merged: dict[tuple[str, str, str], GroupRates] = {}
    for row in rows:
        key = (row.dimension, row.role, row.group)
        if key in merged:
            old = merged[key]
            row = GroupRates(
                row.dimension,
                row.role,
                row.group,
                old.applied + row.applied,
                old.proposed + row.proposed,
                old.approved + row.approved,
            )
        merged[key] = row
    return list(merged.values())


def _flag(rows: list[GroupRates], threshold: float, min_group: int) -> list[GroupRates]:
    best: dict[tuple[str, str, str], float] = {}
    for row in rows:
        if row.applied < min_group or row.group == SMALL:
            continue
        for name in ("proposal_rate", "approval_rate"):
            rate = getattr(row, name)
            if rate is not None:
                key = (row.dimension, row.role, name)
                best[key] = max(best.get(key, 0.0), rate)
    out: list[GroupRates] = []
    for row in rows:
        flags: list[str] = []
        if row.applied >= min_group and row.group != SMALL:
            for name in ("proposal_rate", "approval_rate"):
                rate, top = getattr(row, name), best.get((row.dimension, row.role, name))
                if rate is not None and top and rate < threshold * top:
                    label = name.replace("_", " ")
                    flags.append(f"{label} {rate:.0%} is below {threshold:.0%} of the best group's {top:.0%}")
        out.append(
            GroupRates(
                row.dimension, row.role, row.group, row.applied, row.proposed, row.approved, tuple(flags)
            )
        )
    return out
