"""Fixtures for the report tests: the hand-made programme of :mod:`report_factory`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from report_factory import END, SLUG, START, Org

from rm_plugin.domain.milestones import default_milestones
from rm_plugin.exports.renderer import Renderer
from rm_plugin.store import Database
from rm_plugin.store.models import Programme
from rm_plugin.unit_of_work import ProgrammeContext, UnitOfWork


@pytest.fixture
def org(db: Database) -> Iterator[Org]:
    made = Org(db)
    made.person("ADMIN", 6)
    with db.transaction() as s:
        programme = Programme(
            slug=SLUG,
            name="Reverse Mentoring 2026",
            starts_on=START,
            ends_on=END,
            cadence_days=14,
            admin_hr_id="ADMIN",
            milestones=default_milestones(meetings=3),
            settings={},
        )
        s.add(programme)
        s.flush()
        made.programme_id = programme.id
    yield made


@pytest.fixture
def work_on(db: Database):  # type: ignore[no-untyped-def]
    """``with work_on(today) as work``: a unit of work on the test database with a fixed today."""

    @contextmanager
    def opened(today: dt.date) -> Iterator[UnitOfWork]:
        with db.transaction() as session:
            yield UnitOfWork(session, ProgrammeContext(renderer=Renderer()), today)

    return opened
