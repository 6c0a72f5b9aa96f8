"""When a pair's work starts: the later of the programme's start and the day the pair became active.

A pair approved weeks into a programme has not been silent since the programme began, and
its agreement cannot start before the pair existed. The day it became active is
``Pair.starts_on`` when set, else the last change of its status to ``active``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rm_plugin.store.models import Pair, PairStatusChange, Programme


def _later(*days: dt.date | None) -> dt.date | None:
    known = [d for d in days if d is not None]
    return max(known) if known else None


def work_starts(session: Session, programme: Programme, pairs: Iterable[Pair]) -> dict[int, dt.date]:
    """Each pair's start, in one query for all of them (falls back to the pair's creation day)."""
    pairs = list(pairs)
    ids = [p.id for p in pairs if p.starts_on is None]
    activated: dict[int, dt.datetime] = {}
    if ids:
        activated = dict(
            session.execute(
                select(PairStatusChange.pair_id, func.max(PairStatusChange.at))
                .where(PairStatusChange.pair_id.in_(ids), PairStatusChange.to_status == "active")
                .group_by(PairStatusChange.pair_id)
            ).all()
        )
    starts = {}
    for pair in pairs:
        at = activated.get(pair.id)
        became_active = pair.starts_on or (at.date() if at is not None else None)
        starts[pair.id] = _later(programme.starts_on, became_active) or pair.created_at.date()
    return starts


def work_start(session: Session, pair: Pair) -> dt.date:
    """One pair's start (see :func:`work_starts`)."""
    programme = session.get(Programme, pair.programme_id)
    assert programme is not None
    return work_starts(session, programme, [pair])[pair.id]
