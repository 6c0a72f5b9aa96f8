"""Rows for "every progress connection" go only to the connections that take their action."""

from __future__ import annotations

import datetime as dt

from rm_plugin.domain.milestones import default_milestones
from rm_plugin.programme.milestones import outbox_rows
from rm_plugin.store.models import Pair, Programme
from rm_plugin.unit_of_work import ProgrammeContext

CTX = ProgrammeContext(
    progress=("badges", "files", "grades"),
    takes={"badges": frozenset({"award"}), "grades": frozenset({"completion"})},
)


def test_each_action_reaches_the_connections_that_take_it() -> None:
    assert CTX.receiving("enrol") == ("files",)
    assert CTX.receiving("close") == ("files",)
    assert CTX.receiving("completion") == ("files", "grades")
    assert CTX.receiving("award") == ("badges", "files")
    assert ProgrammeContext(progress=("files",)).receiving("enrol") == ("files",)


def test_a_completed_programme_writes_completions_and_awards_where_they_are_taken() -> None:
    programme = Programme(slug="rm-2026", milestones=default_milestones())
    pair = Pair(id=7)
    item = next(m for m in programme.milestones if m["key"] == "programme_completed")
    rows = outbox_rows(programme, pair, item, "E1", dt.date(2026, 6, 1), CTX.progress, CTX.takes)
    assert sorted((r["action"], r["connection"]) for r in rows) == [
        ("award", "badges"),
        ("award", "files"),
        ("completion", "files"),
        ("completion", "grades"),
    ]
    # without ``takes`` (a caller that knows no better) every connection gets every row
    assert len(outbox_rows(programme, pair, item, "E1", dt.date(2026, 6, 1), CTX.progress)) == 6


def test_a_milestone_that_names_a_connection_gets_its_row_whatever_it_takes() -> None:
    programme = Programme(slug="rm-2026", milestones=[])
    item = {"key": "custom", "records": [{"connection": "badges", "action": "completion"}]}
    rows = outbox_rows(programme, Pair(id=7), item, "E1", dt.date(2026, 6, 1), CTX.progress, CTX.takes)
    assert [(r["action"], r["connection"]) for r in rows] == [("completion", "badges")]
