"""The admin dashboard: the same report as ``rm-plugin report``, and its figures to download.

The page shows :func:`~rm_plugin.reports.render.body` (no style, no script: it fits the
portal's Content-Security-Policy) under :func:`~rm_plugin.reports.render.stylesheet`; the
downloads are the tables ``rm-plugin report --format csv|json`` writes, built by the same
functions, so they never hold note text, survey answers or demographic values either.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from rm_plugin.errors import NotFound
from rm_plugin.reports import metrics, render
from rm_plugin.reports.export import csv_text, json_document, milestones_table, pairs_table
from rm_plugin.reports.sections import Table, tables
from rm_plugin.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Dashboard:
    """The report's body (HTML, safe to place in a page) and the tables one may download."""

    body: str
    downloads: tuple[tuple[str, str], ...]  # (table key, title)


@dataclass(frozen=True)
class Download:
    filename: str
    media_type: str
    text: str


def _report_and_tables(work: UnitOfWork, slug: str) -> tuple[metrics.ProgrammeReport, list[Table]]:
    report = metrics.programme_report(work, slug)
    extra = [pairs_table(work.session, report), milestones_table(work.session, slug)]
    return report, [*tables(report), *extra]


def dashboard(work: UnitOfWork, slug: str) -> Dashboard:
    """The programme's report as the dashboard page shows it, as of the site's today."""
    report, found = _report_and_tables(work, slug)
    return Dashboard(render.body(work.ctx.renderer, report), tuple((t.key, t.title) for t in found))


def stylesheet(work: UnitOfWork) -> str:
    """The report's CSS (a site's ``exports/report.css`` replaces it)."""
    return render.stylesheet(work.ctx.renderer)


def download(work: UnitOfWork, slug: str, key: str, fmt: str) -> Download:
    """One table as CSV, or every table as one JSON document (``key`` ``all``)."""
    report, found = _report_and_tables(work, slug)
    day = (report.as_of or dt.date.today()).isoformat()
    if fmt == "json" and key == "all":
        text = json.dumps(json_document(report, found[-2:]), indent=1, ensure_ascii=False)
        return Download(f"report-{slug}-{day}.json", "application/json", text)
    table = next((t for t in found if t.key == key), None)
    if fmt != "csv" or table is None:
        raise NotFound(f"no {fmt} download {key!r} of the report of {slug!r}")
    return Download(f"report-{slug}-{table.key}-{day}.csv", "text/csv", csv_text(table))
