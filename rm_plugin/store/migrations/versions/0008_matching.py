"""Matching: broken management links are kept as roster problems; stored scores are the visible ones.

``roster_problems`` holds the broken manager links ``people sync`` found (one per person),
so each is reported once and shown until HR fixes it. Pairs proposed before this revision
stored the ``diverse_pair`` term (computed from opt-in demographic data) in their breakdown
and total; it is removed, and the score becomes the sum of the visible terms, so only the
score reviewers see exists outside a matching run.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import rm_plugin.store.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
HIDDEN_TERMS = ("diverse_pair",)


def upgrade() -> None:
    op.create_table(
        "roster_problems",
        sa.Column("hr_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("manager_hr_id", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("first_seen", rm_plugin.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("hr_id", name=op.f("pk_roster_problems")),
    )
    pairs = sa.table(
        "pairs", sa.column("id", sa.Integer), sa.column("score", sa.Float), sa.column("breakdown", JSON)
    )
    bind = op.get_bind()
    for pair_id, breakdown in bind.execute(sa.select(pairs.c.id, pairs.c.breakdown)).all():
        if not breakdown or not any(term in breakdown for term in HIDDEN_TERMS):
            continue
        visible = {term: parts for term, parts in breakdown.items() if term not in HIDDEN_TERMS}
        score = round(sum(float((parts or {}).get("points", 0.0)) for parts in visible.values()), 4)
        bind.execute(sa.update(pairs).where(pairs.c.id == pair_id).values(breakdown=visible, score=score))


def downgrade() -> None:
    # the removed demographic points are not restored: they were never meant to be stored
    op.drop_table("roster_problems")
