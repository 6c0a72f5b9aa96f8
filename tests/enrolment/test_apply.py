"""A person applying themselves (the portal's Apply page) and accepting an invitation in one click."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from rm_plugin.enrolment import apply as applying
from rm_plugin.enrolment.programmes import create_programme
from rm_plugin.errors import NotPermitted, ProgrammeError
from rm_plugin.store import Database
from rm_plugin.store.models import Application, Invitation, Person, Programme
from rm_plugin.unit_of_work import UnitOfWork

DEFAULTS = {"min_level_gap": 2, "reviewers_required": 1, "cadence_days": 14, "mentor_capacity": 1}
MENTEE = applying.Answers(
    role="mentee", skills_wanted={"Data": 3}, availability=["mon-09", "mon-10", "mon-12"], consent=True
)


@pytest.fixture
def db_with_people(db: Database) -> Database:
    with db.transaction() as s:
        s.add_all(
            [
                Person(hr_id="S1", email="s1@x.com", job_level=8, time_zone="Europe/Paris", languages=["fr"]),
                Person(hr_id="J1", email="j1@x.com", job_level=2),
                Person(hr_id="M1", email="m1@x.com", job_level=5),
            ]
        )
        create_programme(s, slug="open", name="Open", defaults=DEFAULTS)
        create_programme(s, slug="invited", name="Invited", defaults=DEFAULTS, enrolment="invite")
    return db


def run(db: Database, action):  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        return action(UnitOfWork(s, today=dt.date(2026, 3, 2)))


def test_grid_cells_become_merged_weekly_windows_and_back() -> None:
    windows = applying.cells_to_windows(["tue-14", "mon-09", "mon-10", "mon-12"])
    assert windows == [
        {"day": "mon", "start": "09:00", "end": "11:00"},
        {"day": "mon", "start": "12:00", "end": "13:00"},
        {"day": "tue", "start": "14:00", "end": "15:00"},
    ]
    assert sorted(applying.windows_to_cells(windows)) == ["mon-09", "mon-10", "mon-12", "tue-14"]
    assert applying.windows_to_cells([{"day": "wed", "start": "09:30", "end": "10:15"}]) == [
        "wed-09",
        "wed-10",
    ]


def test_every_problem_is_reported_at_once_and_nothing_is_saved(db_with_people: Database) -> None:
    bad = applying.Answers(role="mentor", learning_style="osmosis", availability=["mon-03"], goals="x" * 3000)
    with pytest.raises(ProgrammeError) as caught:
        run(db_with_people, lambda w: applying.apply(w, "S1", "open", bad))
    lines = caught.value.lines()
    assert [line.split(":")[0] for line in lines] == [
        "role", "skills offered", "learning style", "availability", "goals", "consent",
    ]  # fmt: skip
    assert "nobody is 2 or more levels above level 8" in lines[0]
    with db_with_people.transaction() as s:
        assert s.scalars(select(Application)).all() == []


def test_applying_saves_the_answers_and_applying_again_updates_them(db_with_people: Database) -> None:
    first = run(db_with_people, lambda w: applying.apply(w, "M1", "open", MENTEE))
    assert first.created
    mentor = dataclasses.replace(MENTEE, role="mentor", skills_offered=["SQL"], skills_wanted={})
    second = run(db_with_people, lambda w: applying.apply(w, "M1", "open", mentor))
    assert second.created and second.role == "mentor"
    with db_with_people.transaction() as s:
        rows = {a.role: a for a in s.scalars(select(Application))}
        assert rows["mentee"].status == "withdrawn" and rows["mentor"].status == "submitted"
        assert rows["mentor"].skills_offered == ["sql"] and rows["mentor"].skills_wanted == {}
        assert rows["mentor"].availability[0] == {"day": "mon", "start": "09:00", "end": "11:00"}
    form = run(db_with_people, lambda w: applying.apply_form(w, "M1", "open"))
    assert form.answers is not None and form.answers.role == "mentor" and form.answers.consent


def test_the_form_says_which_roles_are_open_and_shows_hr_languages(db_with_people: Database) -> None:
    form = run(db_with_people, lambda w: applying.apply_form(w, "S1", "open"))
    assert form.roles["mentee"] is None and form.roles["mentor"] is not None
    assert (form.languages, form.time_zone, form.answers) == (["fr"], "Europe/Paris", None)


def test_an_invite_only_programme_refuses_people_not_invited(db_with_people: Database) -> None:
    with pytest.raises(NotPermitted, match="by invitation only"):
        run(db_with_people, lambda w: applying.apply_form(w, "S1", "invited"))
    with pytest.raises(NotPermitted):
        run(db_with_people, lambda w: applying.accept_invitation(w, "S1", "invited"))


def test_an_invitation_is_accepted_in_one_click_with_the_last_answers(db_with_people: Database) -> None:
    with db_with_people.transaction() as s:
        person = s.scalar(select(Person).where(Person.hr_id == "S1"))
        invited = s.scalar(select(Programme.id).where(Programme.slug == "invited"))
        assert person is not None and invited is not None
        s.add(Invitation(programme_id=invited, person_id=person.id))
    assert (
        run(db_with_people, lambda w: applying.accept_invitation(w, "S1", "invited")) is None
    )  # no answers yet
    run(db_with_people, lambda w: applying.apply(w, "S1", "open", MENTEE))
    accepted = run(db_with_people, lambda w: applying.accept_invitation(w, "S1", "invited"))
    assert accepted is not None and accepted.role == "mentee"
    with db_with_people.transaction() as s:
        invitation = s.scalar(select(Invitation))
        assert invitation is not None and invitation.responded_at is not None
