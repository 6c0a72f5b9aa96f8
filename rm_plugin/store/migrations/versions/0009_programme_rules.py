"""Programme rules: a pair's clock starts the day it became active, not at proposal.

Matching used to copy the programme's dates onto every proposal, so a pair approved weeks
into a programme counted its silence, and its agreement, from the programme's first day.
Pairs now get ``starts_on`` when they become active and follow the programme's end date
(``ends_on`` empty). This moves the stored pairs onto that rule: a copied start is replaced by
the day the pair became active when that was later, and a copied end is cleared so that
extending the programme extends its pairs. Dates someone set on purpose (any other value)
stay. Agreements already drafted keep the dates both members read.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

pairs = sa.table(
    "pairs",
    sa.column("id", sa.Integer),
    sa.column("programme_id", sa.Integer),
    sa.column("starts_on", sa.Date),
    sa.column("ends_on", sa.Date),
)
programmes = sa.table(
    "programmes", sa.column("id", sa.Integer), sa.column("starts_on", sa.Date), sa.column("ends_on", sa.Date)
)
changes = sa.table(
    "pair_status_changes",
    sa.column("pair_id", sa.Integer),
    sa.column("to_status", sa.String),
    sa.column("at", sa.DateTime),
)


def _day(value: object) -> dt.date | None:
    """A stored timestamp as a date (SQLite hands back text)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def upgrade() -> None:
    bind = op.get_bind()
    activated = dict(
        bind.execute(
            sa.select(changes.c.pair_id, sa.func.max(changes.c.at))
            .where(changes.c.to_status == "active")
            .group_by(changes.c.pair_id)
        ).all()
    )
    rows = bind.execute(
        sa.select(pairs.c.id, pairs.c.starts_on, pairs.c.ends_on)
        .add_columns(programmes.c.starts_on, programmes.c.ends_on)
        .join(programmes, programmes.c.id == pairs.c.programme_id)
        .where(pairs.c.starts_on.is_not(None) | pairs.c.ends_on.is_not(None))
    ).all()
    for pair_id, starts_on, ends_on, programme_starts, programme_ends in rows:
        values: dict[str, object] = {}
        became_active = _day(activated.get(pair_id))
        if starts_on is not None and starts_on == programme_starts:
            # A proposal's copy of the programme's start: the pair's own start is when it became active.
            values["starts_on"] = (
                max(became_active, programme_starts) if became_active and programme_starts else None
            )
        if ends_on is not None and ends_on == programme_ends:
            values["ends_on"] = None
        if values:
            bind.execute(sa.update(pairs).where(pairs.c.id == pair_id).values(**values))


def downgrade() -> None:
    """Nothing to undo: pairs without dates read them from the programme, as before."""
