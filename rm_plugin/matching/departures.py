"""People who left: their proposals are withdrawn, and a pair with one of them is never approved.

``people sync`` marks a person ``left``; every proposal they are in (reviewed or not, pinned
or not) is then withdrawn with a reason naming who left, so it can neither stay in the
review queue nor be activated by a later approval. Closing their *active* pairs tells the
hosts and the other member, which is the programme stage's job
(:mod:`rm_plugin.programme.leavers`); this module is what matching does about it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from rm_plugin.store.audit import record
from rm_plugin.store.models import Pair, PairStatusChange, Person, Programme


@dataclass(frozen=True)
class Departure:
    """A pair one of whose members has left: who, in which role, since when."""

    pair_id: int
    programme: str
    hr_id: str
    role: str  # mentee | mentor
    left_on: str  # YYYY-MM-DD, or "" when HR gave no date

    @property
    def reason(self) -> str:
        when = f" on {self.left_on}" if self.left_on else ""
        return f"{self.role} {self.hr_id} left the organisation{when}"


def pairs_with_leavers(session: Session, status: str, programme_id: int | None = None) -> list[Departure]:
    """Pairs of ``status`` in programmes not closed whose mentee or mentor has left, by pair id."""
    mentee, mentor = aliased(Person), aliased(Person)
    query = (
        select(Pair.id, Programme.slug, mentee, mentor)
        .join(Programme, Programme.id == Pair.programme_id)
        .join(mentee, mentee.id == Pair.mentee_id)
        .join(mentor, mentor.id == Pair.mentor_id)
        .where(Pair.status == status, Programme.status != "closed")
        .where(or_(mentee.status != "active", mentor.status != "active"))
        .order_by(Pair.id)
    )
    if programme_id is not None:
        query = query.where(Pair.programme_id == programme_id)
    out = []
    for pair_id, slug, e, m in session.execute(query):
        person, role = (e, "mentee") if e.status != "active" else (m, "mentor")
        left_on = person.termination_date.isoformat() if person.termination_date else ""
        out.append(Departure(pair_id, slug, person.hr_id, role, left_on))
    return out


def withdraw_proposals_of_leavers(
    session: Session, *, actor: str, programme_id: int | None = None
) -> list[Departure]:
    """Withdraw every proposal with a member who left (of one programme, or of all); returns them."""
    departures = pairs_with_leavers(session, "proposed", programme_id)
    for departure in departures:
        pair = session.get(Pair, departure.pair_id, with_for_update=True)
        assert pair is not None
        session.add(
            PairStatusChange(
                pair_id=pair.id,
                from_status="proposed",
                to_status="withdrawn",
                actor=actor,
                reason=departure.reason,
            )
        )
        pair.status = "withdrawn"
        record(session, actor, "match.withdraw", "pair", pair.id, reason=departure.reason)
    return departures
