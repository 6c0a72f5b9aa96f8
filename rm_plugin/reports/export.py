"""Writing the programme report: one HTML file, or its figures with the pairs and milestones as
CSV files or one JSON file.

The CSV and JSON exports hold exactly the report's tables (:func:`~rm_plugin.reports.sections.tables`)
plus one row per pair and per milestone reached. No meeting note, survey answer, comment or
opt-in demographic value is read for them, so none can be written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from rm_plugin.errors import ProgrammeError
from rm_plugin.programme import lookups
from rm_plugin.programme.cadence import agreed_cadences
from rm_plugin.reports import metrics, render
from rm_plugin.reports.sections import Column, Table, tables
from rm_plugin.store.models import Meeting, MilestoneReached, Pair, Person
from rm_plugin.unit_of_work import UnitOfWork

FORMATS = ("html", "csv", "json")
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def pairs_table(session: Session, report: metrics.ProgrammeReport) -> Table:
    """One row per pair of the programme, by HR id (no names or other personal details): status,
    meetings held, the last one, the agreed cadence, why it is at risk (``meetings``: not meeting;
    ``agreement``: not signed by both) and how many milestones it reached."""
    programme = lookups.programme(session, report.programme.slug)
    mentee, mentor = aliased(Person), aliased(Person)
    held = dict(
        (pair_id, (count, last))
        for pair_id, count, last in session.execute(
            select(Meeting.pair_id, func.count(Meeting.id), func.max(Meeting.held_on))
            .join(Pair, Pair.id == Meeting.pair_id)
            .where(Pair.programme_id == programme.id)
            .group_by(Meeting.pair_id)
        )
    )
    reached = dict(
        session.execute(
            select(MilestoneReached.pair_id, func.count(func.distinct(MilestoneReached.milestone)))
            .join(Pair, Pair.id == MilestoneReached.pair_id)
            .where(Pair.programme_id == programme.id)
            .group_by(MilestoneReached.pair_id)
        ).all()
    )
    cadences = agreed_cadences(session, programme, metrics.PAIR_STATUSES)
    at_risk = {risk.pair_id: risk.kind for risk in report.at_risk.risks}
    rows = []
    for pair_id, status, mentee_hr, mentor_hr in session.execute(
        select(Pair.id, Pair.status, mentee.hr_id, mentor.hr_id)
        .join(mentee, mentee.id == Pair.mentee_id)
        .join(mentor, mentor.id == Pair.mentor_id)
        .where(Pair.programme_id == programme.id)
        .order_by(Pair.id)
    ):
        count, last = held.get(pair_id, (0, None))
        rows.append(
            (pair_id, status, mentee_hr, mentor_hr, count, last, cadences.get(pair_id),
             at_risk.get(pair_id, ""), reached.get(pair_id, 0))
        )  # fmt: skip
    return Table(
        "pairs",
        "Pairs",
        (
            Column("pair_id"),
            Column("status", "text"),
            Column("mentee_hr_id", "text"),
            Column("mentor_hr_id", "text"),
            Column("meetings_held"),
            Column("last_meeting", "date"),
            Column("cadence_days"),
            Column("at_risk", "text"),
            Column("milestones_reached"),
        ),
        tuple(rows),
    )


def milestones_table(session: Session, programme_slug: str) -> Table:
    """One row per milestone a member of the programme's pairs reached, in the order reached."""
    programme = lookups.programme(session, programme_slug)
    rows = session.execute(
        select(
            MilestoneReached.pair_id, MilestoneReached.milestone, Person.hr_id, MilestoneReached.reached_on
        )
        .join(Pair, Pair.id == MilestoneReached.pair_id)
        .join(Person, Person.id == MilestoneReached.person_id)
        .where(Pair.programme_id == programme.id)
        .order_by(MilestoneReached.reached_on, MilestoneReached.id)
    ).all()
    return Table(
        "milestones_reached",
        "Milestones reached",
        (
            Column("pair_id"),
            Column("milestone", "text"),
            Column("hr_id", "text"),
            Column("reached_on", "date"),
        ),
        tuple(tuple(row) for row in rows),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _csv_cell(value: Any) -> Any:
    value = _plain(value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


def csv_text(table: Table) -> str:
    """A table as CSV: a header row, plain values; text that a spreadsheet would run as a formula
    is prefixed with ``'``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.name for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return out.getvalue()


def json_document(report: metrics.ProgrammeReport, extra: Sequence[Table]) -> dict[str, Any]:
    p = report.programme
    return {
        "programme": {
            "slug": p.slug,
            "name": p.name,
            "status": p.status,
            "starts_on": _plain(p.starts_on),
            "ends_on": _plain(p.ends_on),
            "cadence_days": p.cadence_days,
        },
        "as_of": report.as_of.isoformat(),
        "tables": {
            t.key: {"title": t.title, "rows": [{k: _plain(v) for k, v in r.items()} for r in t.as_dicts()]}
            for t in [*tables(report), *extra]
        },
    }


@dataclass(frozen=True)
class Written:
    """The files a report export wrote, and the report they came from."""

    paths: tuple[Path, ...]
    report: metrics.ProgrammeReport


def write_report(
    work: UnitOfWork,
    programme_slug: str,
    out_dir: Path,
    fmt: str = "html",
    as_of: dt.date | None = None,
    progress: Callable[[str], None] = lambda _step: None,
) -> Written:
    """Write the report in ``fmt`` into ``out_dir``: ``report-SLUG.html``, ``report-SLUG.json``, or
    a folder ``report-SLUG-csv`` with one CSV per table (``pairs.csv`` and
    ``milestones_reached.csv`` among them). ``progress`` hears each step: the figures of a large
    programme take a while, and a silent command looks stuck."""
    if fmt not in FORMATS:
        raise ProgrammeError(f"report format must be one of {list(FORMATS)}, not {fmt!r}")
    progress(f"computing the figures of {programme_slug}")
    report = metrics.programme_report(work, programme_slug, as_of)
    progress(f"writing the {fmt} report")
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"report-{report.programme.slug}"
    if fmt == "html":
        path = out_dir / f"{stem}.html"
        path.write_text(render.document(work.ctx.renderer, report), encoding="utf-8")
        return Written((path,), report)
    extra = (pairs_table(work.session, report), milestones_table(work.session, programme_slug))
    if fmt == "json":
        path = out_dir / f"{stem}.json"
        path.write_text(
            json.dumps(json_document(report, extra), indent=1, ensure_ascii=False), encoding="utf-8"
        )
        return Written((path,), report)
    folder = out_dir / f"{stem}-csv"
    folder.mkdir(exist_ok=True)
    paths = []
    for table in [*tables(report), *extra]:
        path = folder / f"{table.key}.csv"
        path.write_text(csv_text(table), encoding="utf-8", newline="")
        paths.append(path)
    return Written(tuple(paths), report)
