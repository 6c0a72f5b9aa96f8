"""Finding the rows an operation is about, with errors that say what was not found."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_plugin.domain.records import PairInfo
from rm_plugin.enrolment.programmes import get_programme
from rm_plugin.errors import NotFound, NotPermitted, ProgrammeError
from rm_plugin.store.models import Pair, Person, Programme


def person(session: Session, hr_id: str) -> Person:
    found = session.scalar(select(Person).where(Person.hr_id == hr_id))
    if found is None:
        raise NotFound(f"no person with HR id {hr_id!r}")
    return found


def programme(session: Session, slug: str) -> Programme:
    return get_programme(session, slug)


def open_programme(session: Session, slug: str, doing: str) -> Programme:
    """The programme, refused with a clear error when it is closed (nothing more happens in it)."""
    found = programme(session, slug)
    if found.status == "closed":
        closed = f" on {found.closed_at:%Y-%m-%d}" if found.closed_at else ""
        raise ProgrammeError(f"programme {slug!r} was closed{closed}; it can no longer {doing}")
    return found


def pair(session: Session, pair_id: int) -> Pair:
    found = session.get(Pair, pair_id)
    if found is None:
        raise NotFound(f"no pair {pair_id}")
    return found


def active_pair(session: Session, pair_id: int) -> Pair:
    found = pair(session, pair_id)
    if found.status != "active":
        raise ProgrammeError(f"pair {pair_id} is {found.status}, not active")
    return found


def member(session: Session, the_pair: Pair, hr_id: str) -> Person:
    """The person ``hr_id`` if they are in ``the_pair``; a clear error otherwise."""
    who = person(session, hr_id)
    if who.id not in (the_pair.mentee_id, the_pair.mentor_id):
        raise NotPermitted(f"{hr_id} is not in pair {the_pair.id}; only its mentee and mentor may do this")
    return who


def pairs_of(session: Session, hr_id: str, programme_slug: str | None = None) -> list[Pair]:
    """The active pairs a person is in, optionally in one programme."""
    who = person(session, hr_id)
    query = select(Pair).where(
        Pair.status == "active", (Pair.mentee_id == who.id) | (Pair.mentor_id == who.id)
    )
    if programme_slug is not None:
        query = query.join(Programme, Programme.id == Pair.programme_id).where(
            Programme.slug == programme_slug
        )
    return list(session.scalars(query.order_by(Pair.id)))


def pair_info(session: Session, the_pair: Pair) -> PairInfo:
    mentee = session.get(Person, the_pair.mentee_id)
    mentor = session.get(Person, the_pair.mentor_id)
    prog = session.get(Programme, the_pair.programme_id)
    assert mentee is not None and mentor is not None and prog is not None
    return PairInfo(
        id=the_pair.id,
        programme_slug=prog.slug,
        mentee_hr_id=mentee.hr_id,
        mentor_hr_id=mentor.hr_id,
        status=the_pair.status,
        score=the_pair.score,
    )


def acting_pair(session: Session, hr_id: str | None, pair_id: int | None, programme_slug: str | None) -> int:
    """The pair a person acts on: ``pair_id`` if given, else the one active pair ``hr_id`` is in.

    ``programme_slug`` narrows the search when the person is in pairs of several programmes.
    """
    if pair_id is not None:
        return pair_id
    if hr_id is None:
        raise ProgrammeError("give --pair, or --as a person in exactly one active pair")
    pairs = pairs_of(session, hr_id, programme_slug)
    if not pairs:
        where = f" in {programme_slug}" if programme_slug else ""
        raise ProgrammeError(f"{hr_id} is in no active pair{where}")
    if len(pairs) > 1:
        ids = ", ".join(str(p.id) for p in pairs)
        raise ProgrammeError(
            f"{hr_id} is in several active pairs ({ids}); choose one with --pair or --programme"
        )
    return pairs[0].id
