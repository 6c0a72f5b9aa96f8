"""Success stories and the members' consents to publish them.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rm_plugin.store.types import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("learned", sa.Text(), nullable=False),
        sa.Column("changed", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("edited_by", sa.String(length=64), nullable=False),
        _when("published_at", nullable=True),
        sa.Column("published_by", sa.String(length=64), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pairs.id"], name=op.f("fk_stories_pair_id_pairs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["people.id"], name=op.f("fk_stories_author_id_people"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stories")),
        sa.UniqueConstraint("pair_id", name=op.f("uq_stories_pair_id")),
    )
    op.create_table(
        "story_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("shown_as", sa.String(length=16), nullable=False),
        _when("given_at"),
        _when("withdrawn_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["story_id"], ["stories.id"], name=op.f("fk_story_consents_story_id_stories"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_story_consents_person_id_people"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_story_consents")),
        sa.UniqueConstraint("story_id", "person_id", name=op.f("uq_story_consents_story_id")),
    )
    with op.batch_alter_table("story_consents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_story_consents_story_id"), ["story_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("story_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_story_consents_story_id"))
    op.drop_table("story_consents")
    op.drop_table("stories")
