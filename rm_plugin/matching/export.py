"""Matching as files other tools can read: proposals and active pairs, and who is unmatched and why.

``match export`` writes a programme's proposed and active pairs with their score terms as
reviewers see them (value, weight, points; never a term computed from opt-in demographic
data, and no demographic field at all), and the people the latest matching run left
unmatched, with the reason, as CSV (one file per table) and as JSON (both tables).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from rm_plugin.matching.review import (
    approvals_by_pair,
    display_names,
    matched_skills,
    reviewer_breakdown,
    reviewer_score,
)
from rm_plugin.matching.state import load_programme
from rm_plugin.store.models import AuditEntry, Pair, Person
from rm_plugin.store.types import utcnow
from rm_plugin.unit_of_work import UnitOfWork

EXPORTED_STATUSES = ("proposed", "active")
FORMATS = ("csv", "json")


@dataclass(frozen=True)
class ExportedPair:
    pair_id: int
    status: str
    mentee_hr_id: str
    mentee_name: str
    mentor_hr_id: str
    mentor_name: str
    score: float | None  # the visible score
    terms: dict[str, dict[str, float]]  # term -> value, weight, points (visible terms only)
    skills_matched: list[str]
    skills_missing: list[str]
    approvals: int
    reviewers_required: int
    pinned: bool
    run_id: str


@dataclass(frozen=True)
class ExportedUnmatched:
    hr_id: str
    name: str
    role: str
    kind: str
    reason: str


@dataclass(frozen=True)
class MatchingExport:
    programme: str
    exported_at: str
    run_id: str  # the matching run the unmatched list comes from ("" if none ran yet)
    run_at: str
    objective: str
    pairs: list[ExportedPair]
    unmatched: list[ExportedUnmatched]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"

    def pairs_csv(self) -> str:
        terms = sorted({term for pair in self.pairs for term in pair.terms})
        head = [
            "pair_id",
            "status",
            "mentee_hr_id",
            "mentee_name",
            "mentor_hr_id",
            "mentor_name",
            "score",
            *(f"{term}.{part}" for term in terms for part in ("value", "weight", "points")),
            "skills_matched",
            "skills_missing",
            "approvals",
            "reviewers_required",
            "pinned",
            "run_id",
        ]
        rows: list[list[Any]] = []
        for p in self.pairs:
            parts = [
                p.terms.get(term, {}).get(part, "")
                for term in terms
                for part in ("value", "weight", "points")
            ]
            rows.append(
                [
                    p.pair_id,
                    p.status,
                    p.mentee_hr_id,
                    p.mentee_name,
                    p.mentor_hr_id,
                    p.mentor_name,
                    "" if p.score is None else p.score,
                    *parts,
                    ";".join(p.skills_matched),
                    ";".join(p.skills_missing),
                    p.approvals,
                    p.reviewers_required,
                    "yes" if p.pinned else "no",
                    p.run_id,
                ]
            )
        return _csv(head, rows)

    def unmatched_csv(self) -> str:
        head = ["hr_id", "name", "role", "kind", "reason"]
        return _csv(head, [[u.hr_id, u.name, u.role, u.kind, u.reason] for u in self.unmatched])


def _csv(head: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(head)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def _cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is prefixed with a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def matching_export(work: UnitOfWork, programme_slug: str) -> MatchingExport:
    """A programme's proposed and active pairs, and the latest run's unmatched people."""
    session = work.session
    programme = load_programme(session, programme_slug)
    pairs = list(
        session.scalars(
            select(Pair)
            .where(Pair.programme_id == programme.id, Pair.status.in_(EXPORTED_STATUSES))
            .order_by(Pair.id)
        )
    )
    names = display_names(session, {p.mentee_id for p in pairs} | {p.mentor_id for p in pairs})
    skills = matched_skills(session, programme, pairs)
    approvals = approvals_by_pair(session, programme)
    exported = [
        ExportedPair(
            pair_id=p.id,
            status=p.status,
            mentee_hr_id=names[p.mentee_id][0],
            mentee_name=names[p.mentee_id][1],
            mentor_hr_id=names[p.mentor_id][0],
            mentor_name=names[p.mentor_id][1],
            score=reviewer_score(p.breakdown or {}) if p.score is not None else None,
            terms={
                term: {key: float(parts[key]) for key in ("value", "weight", "points")}
                for term, parts in sorted(reviewer_breakdown(p.breakdown or {}).items())
            },
            skills_matched=[skill for skill, _ in skills[p.id][0]],
            skills_missing=[skill for skill, _ in skills[p.id][1]],
            approvals=approvals.get(p.id, 0),
            reviewers_required=programme.reviewers_required,
            pinned=p.pinned,
            run_id=p.run_id,
        )
        for p in pairs
    ]
    run = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.action == "match.propose",
            AuditEntry.entity == "programme",
            AuditEntry.entity_id == str(programme.id),
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    detail = run.detail if run is not None else {}
    paired = {p.mentee_hr_id for p in exported} | {p.mentor_hr_id for p in exported}
    listed = [
        (u["hr_id"], u["role"], u.get("kind", ""), u["reason"])
        for u in [*detail.get("excluded", []), *detail.get("unmatched", [])]
        if u["hr_id"] not in paired  # matched since (pinned, say): no longer unmatched
    ]
    people = dict(
        session.execute(
            select(Person.hr_id, Person.id).where(Person.hr_id.in_({hr for hr, *_ in listed} or {""}))
        ).all()
    )
    known = display_names(session, set(people.values()))
    unmatched = [
        ExportedUnmatched(hr, known.get(people.get(hr, -1), (hr, hr))[1], role, kind, reason)
        for hr, role, kind, reason in listed
    ]
    return MatchingExport(
        programme=programme.slug,
        exported_at=utcnow().isoformat(timespec="seconds"),
        run_id=str(detail.get("run_id", "")),
        run_at=run.at.isoformat(timespec="seconds") if run is not None else "",
        objective=str(detail.get("objective", "")),
        pairs=exported,
        unmatched=unmatched,
    )


def write_export(
    work: UnitOfWork, programme_slug: str, folder: Path, formats: tuple[str, ...] = FORMATS
) -> list[Path]:
    """Write ``<slug>-pairs.csv`` and ``<slug>-unmatched.csv`` and/or ``<slug>-matching.json``."""
    export = matching_export(work, programme_slug)
    folder.mkdir(parents=True, exist_ok=True)
    files: list[tuple[str, str]] = []
    if "csv" in formats:
        files += [(f"{export.programme}-pairs.csv", export.pairs_csv())]
        files += [(f"{export.programme}-unmatched.csv", export.unmatched_csv())]
    if "json" in formats:
        files += [(f"{export.programme}-matching.json", export.to_json())]
    written = []
    for name, text in files:
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
