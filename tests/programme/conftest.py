"""Rows the programme tests need, made directly through the models, and a hook recorder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from rm_plugin import hookimpl
from rm_plugin.cli import build_cli
from rm_plugin.domain.milestones import default_milestones
from rm_plugin.exports.renderer import Renderer
from rm_plugin.plugins import make_plugin_manager, register
from rm_plugin.store import Database
from rm_plugin.store.models import Application, OutboxItem, Pair, Person, Programme
from rm_plugin.unit_of_work import ProgrammeContext

START = dt.date(2026, 3, 2)  # a Monday; Europe/London moves to summer time on 29 March


class Recorder:
    """A site plugin that records the lifecycle hooks it receives."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    @hookimpl
    def rm_agreement_signed(self, pair: Any, version: int, signed_on: dt.date) -> None:
        self.calls.append(("agreement_signed", {"pair": pair, "version": version, "signed_on": signed_on}))

    @hookimpl
    def rm_meeting_logged(self, pair: Any, meeting: Any) -> None:
        self.calls.append(("meeting_logged", {"pair": pair, "meeting": meeting}))

    @hookimpl
    def rm_milestone_reached(self, pair: Any, milestone: str, people: Any, reached_on: dt.date) -> None:
        self.calls.append(("milestone_reached", {"milestone": milestone, "people": tuple(people)}))

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


@dataclass
class World:
    """A programme with people and active pairs, built straight through the models."""

    db: Database
    programme_slug: str = "rm-2026"
    pairs: list[int] = field(default_factory=list)

    def person(self, hr_id: str, level: int, **extra: Any) -> None:
        with self.db.transaction() as s:
            s.add(
                Person(
                    hr_id=hr_id,
                    email=f"{hr_id.lower()}@example.com",
                    given_name=extra.pop("given_name", hr_id),
                    family_name=extra.pop("family_name", "Test"),
                    job_level=level,
                    time_zone=extra.pop("time_zone", "Europe/London"),
                    **extra,
                )
            )

    def pair(
        self,
        mentee: str,
        mentor: str,
        *,
        wanted: dict[str, int] | None = None,
        offered: list[str] | None = None,
    ) -> int:
        with self.db.transaction() as s:
            programme = s.scalar(select(Programme).where(Programme.slug == self.programme_slug))
            ids = {p.hr_id: p.id for p in s.scalars(select(Person).where(Person.hr_id.in_([mentee, mentor])))}
            applied = {
                (person_id, role)
                for person_id, role in s.execute(
                    select(Application.person_id, Application.role).where(
                        Application.programme_id == programme.id
                    )
                )
            }
            if (ids[mentee], "mentee") not in applied:  # a mentor may mentor several pairs
                s.add(
                    Application(
                        programme_id=programme.id,
                        person_id=ids[mentee],
                        role="mentee",
                        skills_wanted=wanted if wanted is not None else {"generative AI": 3, "TikTok": 1},
                        availability=[{"day": "wed", "start": "14:30", "end": "16:00"}],
                    )
                )
            if (ids[mentor], "mentor") not in applied:
                s.add(
                    Application(
                        programme_id=programme.id,
                        person_id=ids[mentor],
                        role="mentor",
                        skills_offered=offered
                        if offered is not None
                        else ["generative AI", "TikTok", "Figma"],
                        availability=[{"day": "wed", "start": "14:00", "end": "17:00"}],
                    )
                )
            pair = Pair(
                programme_id=programme.id,
                mentee_id=ids[mentee],
                mentor_id=ids[mentor],
                status="active",
                score=0.8,
            )
            s.add(pair)
            s.flush()
            self.pairs.append(pair.id)
            return pair.id

    def sign(self, ctx: ProgrammeContext, pair_id: int, on: dt.date = START) -> None:
        """Draft the pair's agreement and have both members sign it: meetings need it first."""
        from rm_plugin.programme import agreements

        with self.db.transaction() as s:
            pair = s.get(Pair, pair_id)
            mentee, mentor = s.get(Person, pair.mentee_id).hr_id, s.get(Person, pair.mentor_id).hr_id
            agreements.draft_agreement(s, ctx, pair_id, on)
            agreements.sign_agreement(s, ctx, pair_id, mentee, on)
            agreements.sign_agreement(s, ctx, pair_id, mentor, on)

    def outbox(self, action: str | None = None) -> list[OutboxItem]:
        with self.db.transaction() as s:
            query = select(OutboxItem).order_by(OutboxItem.id)
            if action:
                query = query.where(OutboxItem.action == action)
            return list(s.scalars(query))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def ctx(recorder: Recorder) -> ProgrammeContext:
    pm = make_plugin_manager(None, load_entrypoints=False)
    register(pm, recorder, "recorder", "test")
    return ProgrammeContext(
        progress=("files", "lms"), notify=("files",), calendar=("files",), renderer=Renderer(), hook=pm.hook
    )


def _run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(build_cli(), list(args))
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def rm(site: Path) -> Callable[..., str]:
    """``rm("meeting", "log", ...)`` runs ``rm-plugin`` on the test site as a person types it,
    asserts the exit status (``code=``, default 0) and returns the output."""
    return _run


@pytest.fixture
def site(world: World, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh site (``rm-plugin init``) on the test database, found through the environment.

    Commands act on the real today, so the programme is made to run until half a year after it.
    """
    with world.db.transaction() as s:
        programme = s.scalar(select(Programme).where(Programme.slug == world.programme_slug))
        programme.ends_on = max(programme.ends_on, dt.date.today() + dt.timedelta(days=180))
    root = tmp_path / "site"
    result = CliRunner().invoke(build_cli(), ["init", str(root)])
    assert result.exit_code == 0, result.output
    monkeypatch.setenv("RM_PLUGIN_DATABASE_URL", db_url)
    monkeypatch.setenv("RM_PLUGIN_SITE", str(root))
    return root


@pytest.fixture
def world(db: Database) -> Iterator[World]:
    w = World(db)
    with db.transaction() as s:
        s.add(
            Programme(
                slug=w.programme_slug,
                name="Reverse Mentoring 2026",
                starts_on=START,
                ends_on=START + dt.timedelta(days=180),
                enrolment="invite",
                cadence_days=14,
                admin_hr_id="ADMIN",
                milestones=default_milestones(meetings=3),
                settings={"meeting_minutes": 45},
            )
        )
    for hr_id, level in (
        ("ADMIN", 6),
        ("SENIOR", 9),
        ("JUNIOR", 2),
        ("SENIOR2", 8),
        ("JUNIOR2", 3),
        ("OTHER", 5),
    ):
        w.person(hr_id, level)
    yield w


@pytest.fixture
def attach() -> Iterator[Callable[..., None]]:
    """Attach commands under ``rm-plugin programme`` as its owner module will, for one test."""
    group = build_cli().commands["programme"]
    assert isinstance(group, click.Group)
    added: list[str] = []

    def add(*commands: click.Command) -> None:
        for command in commands:
            if command.name not in group.commands:
                group.add_command(command)
                added.append(str(command.name))

    yield add
    for name in added:
        group.commands.pop(name, None)
