"""Persistence: SQLAlchemy models, the database handle and Alembic migrations."""

from rm_plugin.store.database import Database

__all__ = ["Database"]
