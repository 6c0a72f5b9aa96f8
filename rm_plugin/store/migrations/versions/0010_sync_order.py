"""Sync engine: delivery prerequisites, an index that serves claims directly, outcomes, worker jobs.

A claim reads "the next due rows of this connection" off ``ix_outbox_next`` instead of sorting
every due row; a leased row's ``next_attempt_at`` moves to its lease's end, so rows in flight
are not in that range. ``outbox_after`` names the rows a row waits for.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import rm_plugin.store.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("maybe_sent", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.drop_index("ix_outbox_due")
        batch_op.drop_index("ix_outbox_connection")
        batch_op.create_index(
            "ix_outbox_next", ["connection", "status", "next_attempt_at", "id"], unique=False
        )
    outbox = sa.table(
        "outbox",
        sa.column("status", sa.String),
        sa.column("outcome", sa.String),
        sa.column("locked_by", sa.String),
        sa.column("next_attempt_at", rm_plugin.store.types.UTCDateTime(timezone=True)),
        sa.column("lease_until", rm_plugin.store.types.UTCDateTime(timezone=True)),
    )
    # Rows leased by a worker running the older code are not due before their lease ends.
    op.execute(
        outbox.update()
        .where(
            outbox.c.status == "pending",
            outbox.c.locked_by.is_not(None),
            outbox.c.lease_until > outbox.c.next_attempt_at,
        )
        .values(next_attempt_at=outbox.c.lease_until)
    )
    op.execute(outbox.update().where(outbox.c.status == "done").values(outcome="delivered"))
    op.create_table(
        "outbox_after",
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_outbox_after_outbox_id_outbox"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("outbox_id", "key", name=op.f("pk_outbox_after")),
    )
    op.create_index("ix_outbox_after_key", "outbox_after", ["key"], unique=False)
    op.create_table(
        "worker_jobs",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("next_run_at", rm_plugin.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_by", sa.String(length=128), nullable=True),
        sa.Column("lease_until", rm_plugin.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_started_at", rm_plugin.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", rm_plugin.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_outcome", sa.Text(), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_jobs")),
    )


def downgrade() -> None:
    op.drop_table("worker_jobs")
    op.drop_index("ix_outbox_after_key", table_name="outbox_after")
    op.drop_table("outbox_after")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_next")
        batch_op.create_index("ix_outbox_connection", ["connection"], unique=False)
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)
        batch_op.drop_column("maybe_sent")
        batch_op.drop_column("outcome")
