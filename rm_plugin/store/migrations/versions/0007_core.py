"""Core services: the connectors' key-value state and account links.

``connector_state`` holds what a connection keeps between runs, reached through the context
(:class:`~rm_plugin.connections.StateStore`) instead of the database. Workday's newest refresh
token moves there from ``sync_state`` (where it was ``oauth:<connection>``), so a site that
upgrades keeps presenting the token Workday last issued. ``account_links`` gets an index to
find the person behind a host account (the LTI launch asks that on every login).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import rm_plugin.store.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
OAUTH = "oauth:"


def upgrade() -> None:
    state = op.create_table(
        "connector_state",
        sa.Column("connection", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", JSON, nullable=False),
        sa.Column("updated_at", rm_plugin.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("connection", "key", name=op.f("pk_connector_state")),
    )
    with op.batch_alter_table("account_links", schema=None) as batch_op:
        batch_op.create_index("ix_account_links_account", ["connection", "account_id"], unique=False)

    sync_state = sa.table(
        "sync_state",
        sa.column("key", sa.String),
        sa.column("value", JSON),
        sa.column("updated_at", rm_plugin.store.types.UTCDateTime(timezone=True)),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(sync_state.c.key, sync_state.c.value, sync_state.c.updated_at).where(
            sync_state.c.key.like(f"{OAUTH}%")
        )
    ).all()
    if rows:
        op.bulk_insert(
            state,
            [
                {
                    "connection": key[len(OAUTH) :],
                    "key": "oauth",
                    "value": value or {},
                    "updated_at": updated_at,
                }
                for key, value, updated_at in rows
            ],
        )
        bind.execute(sa.delete(sync_state).where(sync_state.c.key.like(f"{OAUTH}%")))


def downgrade() -> None:
    state = sa.table(
        "connector_state",
        sa.column("connection", sa.String),
        sa.column("key", sa.String),
        sa.column("value", JSON),
        sa.column("updated_at", rm_plugin.store.types.UTCDateTime(timezone=True)),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(state.c.connection, state.c.value, state.c.updated_at).where(state.c.key == "oauth")
    ).all()
    if rows:
        sync_state = sa.table(
            "sync_state",
            sa.column("key", sa.String),
            sa.column("value", JSON),
            sa.column("updated_at", rm_plugin.store.types.UTCDateTime(timezone=True)),
        )
        op.bulk_insert(
            sync_state,
            [
                {"key": f"{OAUTH}{connection}", "value": value or {}, "updated_at": updated_at}
                for connection, value, updated_at in rows
            ],
        )
    with op.batch_alter_table("account_links", schema=None) as batch_op:
        batch_op.drop_index("ix_account_links_account")
    op.drop_table("connector_state")
