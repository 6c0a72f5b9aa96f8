"""The programme report as HTML: one self-contained file, or the body the admin dashboard shows.

Both come from templates a site may override in its ``exports/`` folder:
``report_body.html.j2`` (the sections: headlines, charts, tables; no ``<style>``, no script,
so it fits a page under a strict Content-Security-Policy), ``report.html.j2`` (the whole
document: the body plus ``report.css`` inlined, for a file that opens offline and prints to
PDF), and ``report.css`` (screen and print styles; the dashboard serves it as a stylesheet).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from markupsafe import Markup

from rm_plugin.exports.renderer import Renderer
from rm_plugin.reports import charts
from rm_plugin.reports.metrics import ProgrammeReport
from rm_plugin.reports.sections import Column, Section, Table, sections

CSS = "report.css"


def cell(value: Any, column: Column) -> str:
    """A table value as the HTML report shows it (CSV and JSON keep the plain value)."""
    if value is None or value == "":
        return "–"
    if column.kind == "pct":
        return f"{value:.1%}"
    if column.kind == "num":
        return f"{value:.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _table(table: Table) -> dict[str, Any]:
    return {
        "key": table.key,
        "title": table.title,
        "columns": [c.name.replace("_", " ") for c in table.columns],
        "numeric": [c.kind != "text" for c in table.columns],
        "rows": [[cell(v, c) for v, c in zip(row, table.columns, strict=True)] for row in table.rows],
    }


def _section(section: Section) -> dict[str, Any]:
    return {
        "key": section.key,
        "title": section.title,
        "lines": list(section.lines),
        "notes": list(section.notes),
        "charts": [
            {
                "key": chart.key,
                "alt": chart.alt,
                "svg": Markup(charts.svg(chart, f"{section.title}: {chart.key}")),
            }
            for chart in section.charts
            if chart.categories
        ],
        "tables": [_table(t) for t in section.tables],
    }


def context(report: ProgrammeReport) -> dict[str, Any]:
    """What the report templates are given (``exports/README.md`` lists it)."""
    p = report.programme
    return {
        "programme": {
            "slug": p.slug,
            "name": p.name,
            "status": p.status,
            "starts_on": p.starts_on.isoformat() if p.starts_on else "",
            "ends_on": p.ends_on.isoformat() if p.ends_on else "",
            "cadence_days": p.cadence_days,
            "objectives": list(p.objectives),
        },
        "as_of": report.as_of.isoformat(),
        "sections": [_section(s) for s in sections(report)],
    }


def body(renderer: Renderer, report: ProgrammeReport) -> str:
    """The report's body: what the admin dashboard puts in its page."""
    return renderer.render("report_body.html.j2", context(report))


def document(renderer: Renderer, report: ProgrammeReport) -> str:
    """The whole report as one HTML file: styles inlined, charts inline, nothing fetched."""
    return renderer.render("report.html.j2", context(report))


def stylesheet(renderer: Renderer) -> str:
    """The report's CSS (a site's ``exports/report.css`` replaces it), for the dashboard to serve."""
    return renderer.render(CSS, {})
