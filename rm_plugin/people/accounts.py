"""Which account on each host connection is which person: the site's account directory.

Links live in ``account_links``, one per person and connection. Connectors reach them only
through the :class:`~rm_plugin.connections.AccountDirectory` their context gives them (Moodle
records the accounts it resolves; the sync engine records what ``rm_resolve_accounts``
answers before enrolling), and the LTI launch will use :meth:`StoredAccounts.person_for` to
find the person an LMS user is. It reads the store only, so the site can hand it to every
connection it builds.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from rm_plugin.domain.records import PersonRecord
from rm_plugin.store import Database
from rm_plugin.store.models import AccountLink, Person

#: HR ids asked for in one query, well under every database's limit on bound parameters.
CHUNK = 500


class StoredAccounts:
    """The account directory in the site's database; ``database`` is called when first needed."""

    def __init__(self, database: Callable[[], Database]) -> None:
        self._database = database

    def people(self, hr_ids: Iterable[str]) -> dict[str, PersonRecord]:
        found: dict[str, PersonRecord] = {}
        for chunk in _chunks(hr_ids):
            with self._database().transaction() as session:
                rows = session.scalars(select(Person).where(Person.hr_id.in_(chunk)))
                found.update({p.hr_id: _record(p) for p in rows})
        return found

    def active_people(self) -> list[PersonRecord]:
        with self._database().transaction() as session:
            rows = session.scalars(select(Person).where(Person.status == "active").order_by(Person.hr_id))
            return [_record(p) for p in rows]

    def accounts(self, connection: str, hr_ids: Iterable[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in _chunks(hr_ids):
            with self._database().transaction() as session:
                rows = session.execute(
                    select(Person.hr_id, AccountLink.account_id)
                    .join(AccountLink, AccountLink.person_id == Person.id)
                    .where(AccountLink.connection == connection, Person.hr_id.in_(chunk))
                )
                found.update({hr_id: str(account) for hr_id, account in rows})
        return found

    def link(self, connection: str, accounts: Mapping[str, str]) -> int:
        if not accounts:
            return 0
        # another worker may have stored the same link first; theirs is as good
        with contextlib.suppress(IntegrityError):
            return self._insert(connection, accounts)
        return 0

    def person_for(self, connection: str, account_id: str) -> str | None:
        with self._database().transaction() as session:
            return session.scalar(
                select(Person.hr_id)
                .join(AccountLink, AccountLink.person_id == Person.id)
                .where(AccountLink.connection == connection, AccountLink.account_id == str(account_id))
            )

    def _insert(self, connection: str, accounts: Mapping[str, str]) -> int:
        added = 0
        with self._database().transaction() as session:
            people = dict(
                session.execute(select(Person.hr_id, Person.id).where(Person.hr_id.in_(list(accounts)))).all()
            )
            linked = set(
                session.scalars(
                    select(AccountLink.person_id).where(
                        AccountLink.connection == connection,
                        AccountLink.person_id.in_(list(people.values())),
                    )
                )
            )
            for hr_id, person_id in people.items():
                if person_id not in linked:
                    session.add(
                        AccountLink(
                            person_id=person_id, connection=connection, account_id=str(accounts[hr_id])
                        )
                    )
                    added += 1
        return added


def _record(person: Person) -> PersonRecord:
    return PersonRecord(
        hr_id=person.hr_id,
        email=person.email,
        given_name=person.given_name,
        family_name=person.family_name,
    )


def _chunks(hr_ids: Iterable[str]) -> Iterable[list[str]]:
    wanted = list(dict.fromkeys(hr_ids))
    for start in range(0, len(wanted), CHUNK):
        yield wanted[start : start + CHUNK]
