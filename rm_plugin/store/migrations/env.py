"""Alembic environment: runs on the connection the Database hands over (never from an ini file)."""

from __future__ import annotations

from alembic import context

from rm_plugin.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached when alembic is run by hand
    raise SystemExit("run migrations through `rm-plugin db upgrade`, which knows the site's database")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
