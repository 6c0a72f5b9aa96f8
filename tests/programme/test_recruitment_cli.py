"""``rm-plugin programme invite|remind|invitations``, run through the real command line."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from rm_plugin.cli.recruitment_cmds import invitations_command, invite_command, remind_command
from rm_plugin.store.models import Application, Invitation, Person, Programme


@pytest.fixture
def programme(attach, rm):
    attach(invite_command, remind_command, invitations_command)

    def run(*args: str, code: int = 0) -> str:
        return rm("programme", *args, code=code)

    return run


def apply(world, hr_id: str, when: dt.datetime) -> None:
    with world.db.transaction() as s:
        programme_id = s.scalar(select(Programme.id))
        person_id = s.scalar(select(Person.id).where(Person.hr_id == hr_id))
        s.add(Application(programme_id=programme_id, person_id=person_id, role="mentee", submitted_at=when))


def invited(world) -> list[str]:
    return sorted(i.payload["audience"][0] for i in world.outbox("notify") if i.connection == "files")


def test_invite_remind_and_list(world, programme) -> None:
    assert "nobody has been invited to rm-2026 yet" in programme("invitations", "rm-2026")
    out = programme("invite", "rm-2026", "--hr-id", "SENIOR", "--hr-id", "NOBODY")
    assert "invited 1" in out and "NOBODY is not an active person" in out
    assert "their messages are queued: `rm-plugin sync` (or the worker) delivers them" in out
    assert "invited 1; 1 had been invited before" in programme("invite", "rm-2026", "--min-level", "8")
    assert "invite-only" in programme("invite", "rm-2026", code=1)
    assert "reminded 2" in programme("remind", "rm-2026", "--after-days", "0")
    nobody = programme("remind", "rm-2026", "--after-days", "0")
    assert "reminded 0" in nobody and "queued" not in nobody
    apply(world, "SENIOR2", dt.datetime(2026, 2, 3, 9, 30, tzinfo=dt.UTC))
    listing = programme("invitations", "rm-2026").splitlines()
    assert listing[0].split()[:2] == ["HR", "id"]
    rows = {line.split()[0]: line for line in listing[1:-1]}
    assert sorted(rows) == ["SENIOR", "SENIOR2"]
    assert "2026-02-03 09:30" in rows["SENIOR2"] and rows["SENIOR"].split()[-3] == "-"
    assert listing[-1] == "2 invited, 1 applied"
    assert "no programme 'nope'" in programme("invitations", "nope", code=1)


def test_min_level_zero_is_a_rule_not_nothing(world, programme) -> None:
    with world.db.transaction() as s:
        s.add(
            Person(
                hr_id="INTERN", email="intern@example.com", given_name="In", family_name="Tern", job_level=0
            )
        )
    assert "invited 7" in programme("invite", "rm-2026", "--min-level", "0")  # everyone at level 0 or up
    assert "INTERN" in invited(world)


def test_someone_who_applied_before_the_invitation_is_recorded_and_not_messaged(world, programme) -> None:
    applied = dt.datetime(2026, 1, 20, 8, 0, tzinfo=dt.UTC)
    apply(world, "SENIOR", applied)
    out = programme("invite", "rm-2026", "--hr-id", "SENIOR", "--hr-id", "JUNIOR")
    assert "1 had already applied" in out
    assert invited(world) == ["JUNIOR"]
    with world.db.transaction() as s:
        rows = s.execute(
            select(Person.hr_id, Invitation.responded_at).join(Person, Person.id == Invitation.person_id)
        )
        answered = {hr_id: responded for hr_id, responded in rows}
    assert answered == {"SENIOR": applied, "JUNIOR": None}


def test_without_a_notify_connection_invite_and_remind_warn(world, programme, site) -> None:
    files = site / "connectors" / "files.toml"
    files.write_text(files.read_text().replace("enabled = true", "enabled = false"))
    out = programme("invite", "rm-2026", "--hr-id", "SENIOR")
    assert "invited 1" in out and "nothing was sent" in out and "queued" not in out
    assert "nothing was sent" in programme("remind", "rm-2026", "--after-days", "0")
    assert world.outbox("notify") == []


def test_a_closed_programme_invites_and_reminds_nobody(world, programme) -> None:
    programme("invite", "rm-2026", "--hr-id", "SENIOR")
    before = len(world.outbox())
    with world.db.transaction() as s:
        closed = s.scalar(select(Programme))
        closed.status, closed.closed_at = "closed", dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    out = programme("invite", "rm-2026", "--hr-id", "JUNIOR", code=1)
    assert "programme 'rm-2026' was closed on 2026-09-01; it can no longer invite anyone" in out
    assert "can no longer remind anyone" in programme("remind", "rm-2026", "--after-days", "0", code=1)
    assert len(world.outbox()) == before
    with world.db.transaction() as s:
        assert [i.person_id for i in s.scalars(select(Invitation))] == [
            s.scalar(select(Person.id).where(Person.hr_id == "SENIOR"))
        ]
