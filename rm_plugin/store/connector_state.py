"""Connectors' own state in the site's database, behind the :class:`~rm_plugin.connections.StateStore` seam.

One row per (connection, key) in ``connector_state``. :meth:`StoredState.locked` first touches
the row with an ``UPDATE``, which locks it on PostgreSQL and takes SQLite's single write lock,
then reads it: a second worker waits at that ``UPDATE`` until the first one committed, and then
reads what the first one saved. So two workers never both spend a rotating token.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from rm_plugin.store.database import Database
from rm_plugin.store.models import ConnectorState
from rm_plugin.store.types import utcnow


class StoredState:
    """The state of one connection; ``database`` is called when first needed (opening it migrates)."""

    def __init__(self, database: Callable[[], Database], connection: str) -> None:
        self._database = database
        self.connection = connection

    @contextlib.contextmanager
    def locked(self, key: str) -> Iterator[MutableMapping[str, Any]]:
        db = self._database()
        self._ensure_row(db, key)
        this = (ConnectorState.connection == self.connection) & (ConnectorState.key == key)
        with db.transaction() as session:
            session.execute(update(ConnectorState).where(this).values(updated_at=utcnow()))
            row = session.scalars(select(ConnectorState).where(this)).one()
            value: dict[str, Any] = dict(row.value or {})
            yield value
            if value != (row.value or {}):
                row.value = dict(value)

    def _ensure_row(self, db: Database, key: str) -> None:
        try:
            with db.transaction() as session:
                if session.get(ConnectorState, (self.connection, key)) is None:
                    session.add(ConnectorState(connection=self.connection, key=key, value={}))
        except IntegrityError:
            pass  # another worker created the row first
