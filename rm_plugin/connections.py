"""The connection contract: how a plugin declares a kind of host connection, and what one gets.

A connection object gets its own validated config and a :class:`ConnectionContext`: where the
site is, a directory of people's accounts on hosts, and a small store for state of its own.
That is all a connector reaches of the site; it never opens the site's database itself, so a
connector installed from elsewhere can do whatever a built-in one does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, MutableMapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import marshmallow

from rm_plugin.domain.records import PersonRecord


class AccountDirectory(Protocol):
    """Which account on each host connection is which person, kept by the site for every door.

    Connectors record the accounts they resolve; the sync engine records what
    ``rm_resolve_accounts`` answers before enrolling; the LTI launch finds the person an LMS
    user is.
    """

    def people(self, hr_ids: Iterable[str]) -> dict[str, PersonRecord]:
        """The people with these HR ids (name and work email), by HR id; unknown ones are absent."""
        ...

    def active_people(self) -> list[PersonRecord]:
        """Every active person, by HR id."""
        ...

    def accounts(self, connection: str, hr_ids: Iterable[str]) -> dict[str, str]:
        """The account ids recorded on ``connection`` for these people, by HR id."""
        ...

    def link(self, connection: str, accounts: Mapping[str, str]) -> int:
        """Record HR id -> account id on ``connection``; a person already linked keeps their link.

        Returns how many links were added. Safe when another worker records the same at once.
        """
        ...

    def person_for(self, connection: str, account_id: str) -> str | None:
        """The HR id of the person whose account on ``connection`` is ``account_id``, if recorded."""
        ...


class StateStore(Protocol):
    """A connection's own small key-value state, kept between runs and shared by every worker."""

    def locked(self, key: str) -> AbstractContextManager[MutableMapping[str, Any]]:
        """The JSON object stored under ``key`` (empty at first), for reading and changing.

        Every other worker asking for the same key waits until the block ends; changes are
        saved when it ends without an error and dropped otherwise. Keep the block short: a host
        call in it (such as spending a rotating refresh token) holds the others back.
        """
        ...


@dataclass(frozen=True)
class ConnectionContext:
    """What a connection object gets besides its own config.

    ``accounts`` and ``state`` are ``None`` where no site stands behind the connection (a
    test, a benchmark); a connector then keeps what it learns in memory.
    """

    name: str
    config_file: Path
    site_root: Path
    output_dir: Path
    accounts: AccountDirectory | None = None
    state: StateStore | None = None


@dataclass(frozen=True)
class ConnectorType:
    """A kind of host connection (``moodle``, ``csv``, ...).

    ``schema`` validates the keys of ``connectors/<name>.toml`` other than ``type`` and
    ``enabled``; ``factory`` turns the validated dict into one connection object, which is
    registered as a plugin under ``connection:<name>``.
    """

    name: str
    schema: type[marshmallow.Schema]
    factory: Callable[[ConnectionContext, Mapping[str, Any]], object]
    description: str = ""
    # What the sync engine routes to it: "people" (an HR source), "progress" (receives
    # enrolments, completions and awards), "notify" (sends messages), "calendar".
    roles: tuple[str, ...] = field(default=())
    # For a progress connection, the progress actions it takes (``enrol``, ``completion``,
    # ``award``, ``close``); empty means all of them. Rows for "every progress connection" are
    # written only for the connections that take their action, so an issuer of credentials is
    # not handed enrolments it would only decline.
    actions: tuple[str, ...] = field(default=())


class Connection:
    """Base class for connection objects: one per configured host connection, no globals.

    Targeted hooks receive a connection name; :meth:`owns` says whether this object is the
    one asked.
    """

    def __init__(self, context: ConnectionContext, config: Mapping[str, Any]) -> None:
        self.context = context
        self.config = config

    @property
    def name(self) -> str:
        return self.context.name

    def owns(self, connection: str | None) -> bool:
        """Whether a targeted hook asking for ``connection`` (``None``: everyone) means this object."""
        return connection is None or connection == self.context.name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.context.name!r}>"
