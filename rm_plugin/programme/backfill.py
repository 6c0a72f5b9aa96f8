"""Catching a host connection enabled late up with the pairs that are already active.

Enrolments and milestone rows are written when a pair is approved or reaches a milestone,
to the connections enabled then; a host added later would hear nothing about them. The
backfill writes the same rows, with the same idempotency keys, for one connection, so a
rerun (or a row that was already sent) adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_plugin.errors import ProgrammeError
from rm_plugin.matching.review import enrol_row
from rm_plugin.outbox import enqueue
from rm_plugin.programme import lookups, milestones
from rm_plugin.store import audit
from rm_plugin.store.models import MilestoneReached, Pair, Person
from rm_plugin.unit_of_work import ProgrammeContext


@dataclass(frozen=True)
class Backfill:
    """How many rows were added for the connection (0 on a rerun)."""

    pairs: int
    enrolments: int
    milestone_rows: int


def backfill_connection(
    session: Session, ctx: ProgrammeContext, programme_slug: str, connection: str, actor: str = "admin"
) -> Backfill:
    """Enqueue, for ``connection``, the enrolments of the programme's active pairs and the rows
    every milestone already reached says that connection records.

    ``connection`` must be an enabled connection with the role ``progress`` (in ``ctx``).
    """
    if connection not in ctx.progress:
        enabled = ", ".join(ctx.progress) or "none"
        raise ProgrammeError(
            f"connection {connection!r} is not an enabled connection with the role progress "
            f"(enabled: {enabled}); enable it in connectors/ first"
        )
    programme = lookups.open_programme(session, programme_slug, "be backfilled")
    pairs = list(
        session.scalars(
            select(Pair).where(Pair.programme_id == programme.id, Pair.status == "active").order_by(Pair.id)
        )
    )
    definitions = {m["key"]: m for m in programme.milestones or []}
    enrolments = rows = 0
    for pair in pairs:
        mentee, mentor = session.get(Person, pair.mentee_id), session.get(Person, pair.mentor_id)
        assert mentee is not None and mentor is not None
        if connection in ctx.receiving("enrol"):
            enrolments += enqueue(
                session, **enrol_row(programme, pair, mentee.hr_id, mentor.hr_id, connection)
            )
        reached = session.execute(
            select(MilestoneReached.milestone, Person.hr_id, MilestoneReached.reached_on)
            .join(Person, Person.id == MilestoneReached.person_id)
            .where(MilestoneReached.pair_id == pair.id)
            .order_by(MilestoneReached.id)
        )
        for key, hr_id, reached_on in reached:
            item = definitions.get(key)
            if item is None:  # a milestone since removed from the list records nothing now
                continue
            for row in milestones.outbox_rows(
                programme, pair, item, hr_id, reached_on, ctx.progress, ctx.takes
            ):
                if row["connection"] == connection:
                    rows += enqueue(session, **row)
    session.flush()
    audit.record(
        session, actor, "programme.backfilled", "programme", programme.id,
        connection=connection, enrolments=enrolments, milestone_rows=rows,
    )  # fmt: skip
    return Backfill(pairs=len(pairs), enrolments=enrolments, milestone_rows=rows)
