"""When people leave: nobody who has left stays in a proposal or an active pair.

``people sync`` marks a person ``left``; in the same transaction :func:`settle_leavers`
withdraws every proposal they are in (with the reason), closes every active pair they are
in through :func:`~rm_plugin.programme.closing.close_pair` (the hosts hear it on the next
``sync``, as with ``programme close``, and ``rm_pair_closed`` fires after the commit), and
tells the other member. The partner's application stays submitted, so the next
``match propose`` can pair them again. It settles every leaver, not only today's, so a
person marked ``left`` some other way is caught by the next roster sync.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from rm_plugin.matching.departures import Departure, pairs_with_leavers, withdraw_proposals_of_leavers
from rm_plugin.people.roster_apply import RosterReport
from rm_plugin.people.roster_import import sync_people
from rm_plugin.programme.closing import close_pair, tell_pair_closed
from rm_plugin.site import Site
from rm_plugin.store.models import Pair, Person, Programme
from rm_plugin.unit_of_work import UnitOfWork

ACTOR = "people sync"


@dataclass(frozen=True)
class Settled:
    """What leaving did to pairs: proposals withdrawn, active pairs closed, partners told."""

    withdrawn: tuple[Departure, ...]
    closed: tuple[Departure, ...]
    deliveries: int
    told: int

    def lines(self) -> list[str]:
        if not (self.withdrawn or self.closed):
            return []
        return [
            f"pairs: {len(self.withdrawn)} proposal(s) withdrawn and {len(self.closed)} active pair(s) "
            f"closed because someone left; {self.deliveries} close delivery(ies) queued for the next "
            f"`sync`, {self.told} partner(s) told",
            *(f"  withdrawn: pair {d.pair_id} ({d.programme}): {d.reason}" for d in self.withdrawn),
            *(f"  closed: pair {d.pair_id} ({d.programme}): {d.reason}" for d in self.closed),
        ]


def settle_leavers(work: UnitOfWork, *, actor: str = ACTOR) -> Settled:
    """Withdraw the proposals and close the active pairs of everyone who has left."""
    session = work.session
    withdrawn = withdraw_proposals_of_leavers(session, actor=actor)
    closing = pairs_with_leavers(session, "active")
    deliveries = told = 0
    for departure in closing:
        pair = session.get(Pair, departure.pair_id, with_for_update=True)
        assert pair is not None
        mentee, mentor = session.get(Person, pair.mentee_id), session.get(Person, pair.mentor_id)
        assert mentee is not None and mentor is not None
        gone = mentee if departure.role == "mentee" else mentor
        end = min(gone.termination_date or work.today, work.today)
        if pair.starts_on is not None:
            end = max(end, pair.starts_on)
        deliveries += close_pair(
            work,
            pair,
            programme_slug=departure.programme,
            mentee=mentee.hr_id,
            mentor=mentor.hr_id,
            reason=departure.reason,
            actor=actor,
            end=end,
        )
        told += _tell_partner(work, pair, departure, staying=mentor if gone is mentee else mentee, gone=gone)
    return Settled(tuple(withdrawn), tuple(closing), deliveries, told)


def _tell_partner(
    work: UnitOfWork, pair: Pair, departure: Departure, *, staying: Person, gone: Person
) -> int:
    found = work.session.get(Programme, pair.programme_id)
    assert found is not None
    return tell_pair_closed(work, pair, found, told=staying, partner=gone, template="pair_closed.txt.j2")


def sync_roster(
    site: Site,
    source: str | None = None,
    *,
    full: bool = False,
    accept_leavers: bool = False,
    today: dt.date | None = None,
    progress: Callable[[str], None] = lambda _step: None,
) -> RosterReport:
    """``people sync``: import the roster and settle every leaver's pairs, in one transaction."""

    def settle(work: UnitOfWork) -> list[str]:
        return settle_leavers(work).lines()

    return sync_people(
        site, source, full=full, accept_leavers=accept_leavers, today=today, settle=settle, progress=progress
    )
