"""A host connection enabled after pairs are active is caught up, once, with the same keys."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from rm_plugin.cli.programme_settings_cmds import backfill_command
from rm_plugin.errors import ProgrammeError
from rm_plugin.programme import backfill
from rm_plugin.store.models import Programme


def keys(world, connection: str) -> set[str]:
    return {i.key for i in world.outbox() if i.connection == connection}


def test_backfill_sends_a_late_host_the_enrolments_and_milestones_it_missed(world, ctx) -> None:
    early = dataclasses.replace(ctx, progress=("files",))
    pair_id = world.pair("SENIOR", "JUNIOR")
    world.sign(early, pair_id)  # reaches agreement_signed: a completion for each member, to files only
    assert keys(world, "lms") == set()
    with world.db.transaction() as s:
        done = backfill.backfill_connection(s, ctx, "rm-2026", "lms")
    assert (done.pairs, done.enrolments, done.milestone_rows) == (1, 1, 2)
    assert keys(world, "lms") == {
        f"enrol:{pair_id}:lms",
        f"completion:rm-2026:agreement_signed:{pair_id}:SENIOR:lms",
        f"completion:rm-2026:agreement_signed:{pair_id}:JUNIOR:lms",
    }
    files_row = next(i for i in world.outbox() if i.key.endswith(":SENIOR:files"))
    lms_row = next(i for i in world.outbox() if i.key.endswith(":SENIOR:lms"))
    assert lms_row.payload == files_row.payload and lms_row.action == "completion"
    with world.db.transaction() as s:
        again = backfill.backfill_connection(s, ctx, "rm-2026", "lms")
        also_files = backfill.backfill_connection(s, ctx, "rm-2026", "files")
    assert (again.enrolments, again.milestone_rows) == (0, 0)
    assert also_files.milestone_rows == 0  # files already had them, under the same keys


def test_a_record_for_one_named_connection_is_backfilled_only_to_it(world, ctx) -> None:
    with world.db.transaction() as s:
        s.scalar(select(Programme)).milestones = [
            {"key": "signed", "rule": "agreement_signed",
             "records": [{"connection": "lms", "action": "award", "award": "first-steps"}]},
        ]  # fmt: skip
    pair_id = world.pair("SENIOR", "JUNIOR")
    world.sign(dataclasses.replace(ctx, progress=("files",)), pair_id)
    with world.db.transaction() as s:
        assert backfill.backfill_connection(s, ctx, "rm-2026", "files").milestone_rows == 0
    with world.db.transaction() as s:
        assert backfill.backfill_connection(s, ctx, "rm-2026", "lms").milestone_rows == 0  # already written
    assert sorted(i.action for i in world.outbox() if i.connection == "lms") == ["award", "award", "enrol"]


def test_a_connection_that_is_not_an_enabled_progress_one_is_refused(world, ctx) -> None:
    world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s, pytest.raises(ProgrammeError, match="'moodle' is not an enabled"):
        backfill.backfill_connection(s, ctx, "rm-2026", "moodle")
    assert world.outbox() == []


def test_backfill_through_the_cli(world, site, rm, attach) -> None:
    attach(backfill_command)
    pair_id = world.pair("SENIOR", "JUNIOR")
    out = rm("programme", "backfill", "rm-2026", "--connection", "files")
    assert "1 active pair(s); queued 1 enrolment(s)" in out
    assert keys(world, "files") == {f"enrol:{pair_id}:files"}
    assert "queued 0 enrolment(s)" in rm("programme", "backfill", "rm-2026", "--connection", "files")
    assert "'moodle' is not an enabled connection with the role progress" in rm(
        "programme", "backfill", "rm-2026", "--connection", "moodle", code=1
    )
