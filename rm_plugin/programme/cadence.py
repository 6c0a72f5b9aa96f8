"""Each pair's agreed meeting cadence: the signed (else current) agreement's, else the programme's.

The nudges judge a lapse against it and the programme report counts meetings against it; both
read the same rule. One query for a whole programme, whatever its size.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rm_plugin.store.models import Agreement, AgreementVersion, Pair, Programme


def agreed_cadences(session: Session, programme: Programme, statuses: Collection[str]) -> dict[int, int]:
    """Days between meetings for every pair of ``programme`` whose status is in ``statuses``."""
    in_programme = select(Pair.id).where(Pair.programme_id == programme.id, Pair.status.in_(statuses))
    bodies = dict(
        session.execute(
            select(Agreement.pair_id, AgreementVersion.body)
            .join(AgreementVersion, AgreementVersion.agreement_id == Agreement.id)
            .where(
                Agreement.pair_id.in_(in_programme),
                AgreementVersion.version
                == func.coalesce(Agreement.signed_version, Agreement.current_version),
            )
        ).all()
    )
    cadences: dict[int, int] = {}
    for pair_id in session.scalars(in_programme):
        agreed = (bodies.get(pair_id) or {}).get("schedule", {}).get("cadence_days")
        cadences[pair_id] = agreed if isinstance(agreed, int) and agreed > 0 else programme.cadence_days
    return cadences
