"""A connection whose "host" is the site itself: the LTI gradebook posts from the portal's own
tables, the badges connection issues into the site's credential tables. Both need the site's
database from inside the worker, and both decline the progress rows that mean nothing to them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rm_plugin.connections import Connection, ConnectionContext
from rm_plugin.domain.records import Delivery, Receipt
from rm_plugin.store import Database


class OwnTablesConnection(Connection):
    def __init__(self, context: ConnectionContext, config: Mapping[str, Any]) -> None:
        super().__init__(context, config)
        self._database: Database | None = None

    @property
    def database(self) -> Database:
        """The site's database, opened on first use (the site module imports the connection
        types, so it is imported here, not at the top)."""
        if self._database is None:
            from rm_plugin.site import database_url, read_site_config

            root = self.context.site_root
            self._database = Database(database_url(root, read_site_config(root)))
        return self._database

    def decline(self, delivery: Delivery, reason: str) -> Receipt | None:
        """Skip a row of an action this type does not take. Routing by ``ConnectorType.actions``
        keeps new rows away; this answers rows queued before a site enabled the connection."""
        if not self.owns(delivery.connection):
            return None
        return Receipt(skipped=True, data={"reason": reason})
