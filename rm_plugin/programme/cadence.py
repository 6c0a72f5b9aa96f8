"""Each pair's agreed meeting cadence: the signed agreement's, else the programme's.

The nudges judge a lapse against it and the programme report counts meetings against it; both
read the same rule from here. :func:`agreed_cadences` reads a whole programme in one query.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_plugin.store.models import Agreement, AgreementVersion, Pair, Programme


def cadence_in(body: Mapping[str, Any] | None, programme: Programme) -> int:
    """The days between meetings a signed agreement's ``body`` agrees (the programme's without one)."""
    cadence = (body or {}).get("schedule", {}).get("cadence_days")
    if isinstance(cadence, int) and not isinstance(cadence, bool) and cadence > 0:
        return cadence
    return programme.cadence_days


def agreed_cadences(session: Session, programme: Programme, statuses: Collection[str]) -> dict[int, int]:
    """:func:`cadence_in` for every pair of ``programme`` whose status is in ``statuses``."""
    in_programme = select(Pair.id).where(Pair.programme_id == programme.id, Pair.status.in_(statuses))
    signed = dict(
        session.execute(
            select(Agreement.pair_id, AgreementVersion.body)
            .join(AgreementVersion, AgreementVersion.agreement_id == Agreement.id)
            .where(Agreement.pair_id.in_(in_programme), AgreementVersion.version == Agreement.signed_version)
        ).all()
    )
    return {pair_id: cadence_in(signed.get(pair_id), programme) for pair_id in session.scalars(in_programme)}
