"""Matching people to Moodle accounts, many per call, remembered in the site's account directory.

People are matched on the account's ``idnumber`` (set to the HR id) or on its email, compared
without regard to case (both the HR spelling and the lowercased one are asked for). A resolved
id is recorded once (:class:`~rm_plugin.connections.AccountDirectory`) and reused, so a rerun
makes no lookup calls for people already matched.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rm_plugin.connections import AccountDirectory
from rm_plugin.connectors.moodle.client import MoodleClient
from rm_plugin.connectors.moodle.errors import MoodleSetupError
from rm_plugin.domain.records import PersonRecord

LOOKUP = "core_user_get_users_by_field"
# What Moodle's PARAM_EMAIL accepts, near enough to keep one odd address from failing a batch.
_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")


@dataclass
class Resolution:
    """Moodle user ids by HR id, and why each other person has no account."""

    found: dict[str, int] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    lookups: int = 0  # calls made to Moodle


class AccountBook:
    """Resolves people for one connection; thread-safe, so deliveries may run in a pool."""

    def __init__(
        self,
        client: MoodleClient,
        connection: str,
        *,
        match_by: str,
        batch_size: int,
        directory: AccountDirectory | None,
    ) -> None:
        self.client = client
        self.connection = connection
        self.match_by = match_by
        self.batch_size = batch_size
        self.directory = directory
        self._known: dict[str, int] = {}
        self._lock = threading.Lock()

    # -- public ------------------------------------------------------------------------------

    def resolve(self, people: Sequence[PersonRecord]) -> Resolution:
        """Find every person's account: memory, then stored links, then Moodle in batches."""
        result = Resolution()
        todo: dict[str, PersonRecord] = {}
        with self._lock:
            for person in people:
                if person.hr_id in self._known:
                    result.found[person.hr_id] = self._known[person.hr_id]
                else:
                    todo[person.hr_id] = person
        if todo:
            stored = self._stored(todo)
            result.found.update(stored)
            for hr_id in stored:
                del todo[hr_id]
        if todo:
            fetched = self._lookup(list(todo.values()), result)
            result.found.update(fetched)
            self._store(fetched)
        with self._lock:
            self._known.update(result.found)
        return result

    def resolve_hr_ids(self, hr_ids: Iterable[str]) -> Resolution:
        """Like :meth:`resolve` for HR ids, reading each person's email from the directory if needed."""
        wanted = list(dict.fromkeys(hr_ids))
        with self._lock:
            if all(h in self._known for h in wanted):
                return Resolution(found={h: self._known[h] for h in wanted})
        records = self._people(wanted)
        result = self.resolve(list(records.values()))
        for hr_id in wanted:
            if hr_id not in records:
                result.missing[hr_id] = "not a known person (run `rm-plugin people sync`)"
        return result

    def require(self, hr_ids: Sequence[str]) -> dict[str, int]:
        """Moodle ids for all of ``hr_ids``, or one error naming everyone without an account."""
        result = self.resolve_hr_ids(hr_ids)
        if result.missing:
            who = "; ".join(f"{h}: {why}" for h, why in result.missing.items())
            raise MoodleSetupError(
                f"no Moodle account for {who}", host=self.client.name, call=LOOKUP, code="noaccount"
            )
        return {h: result.found[h] for h in hr_ids}

    # -- Moodle --------------------------------------------------------------------------------

    def _value(self, person: PersonRecord) -> str:
        """What the person is matched on: the HR id, or the email compared without case."""
        return person.hr_id if self.match_by == "idnumber" else person.email.strip().lower()

    def _sent(self, people: Sequence[PersonRecord]) -> list[str]:
        """The values to ask Moodle for: for email, as HR holds it and, if different, lowercased.

        ``core_user_get_users_by_field`` compares exactly (case too, on PostgreSQL), while Moodle
        keeps an address as it was typed; asking for both forms finds the account either way.
        """
        if self.match_by == "idnumber":
            return [p.hr_id for p in people]
        forms = [p.email.strip() for p in people] + [self._value(p) for p in people]
        return list(dict.fromkeys(forms))

    def _lookup(self, people: list[PersonRecord], result: Resolution) -> dict[str, int]:
        by_value: dict[str, list[PersonRecord]] = {}
        for person in people:
            value = self._value(person)
            if self.match_by == "email" and not _EMAIL.match(value):
                result.missing[person.hr_id] = f"email {person.email!r} is not one Moodle accepts"
                continue
            if not value:
                result.missing[person.hr_id] = f"no {self.match_by} to match on"
                continue
            by_value.setdefault(value, []).append(person)
        found: dict[str, int] = {}
        values = list(by_value)
        for start in range(0, len(values), self.batch_size):
            batch = values[start : start + self.batch_size]
            sent = self._sent([p for value in batch for p in by_value[value]])
            users = self.client.call(LOOKUP, {"field": self.match_by, "values": sent}) or []
            result.lookups += 1
            accounts: dict[str, set[int]] = {}
            for user in users:
                key = str(user.get(self.match_by) or "")
                key = key.lower() if self.match_by == "email" else key
                accounts.setdefault(key, set()).add(int(user["id"]))
            for value in batch:
                ids = sorted(accounts.get(value, ()))
                for person in by_value[value]:
                    if len(ids) == 1:
                        found[person.hr_id] = ids[0]
                    elif not ids:
                        result.missing[person.hr_id] = f"no Moodle account has {self.match_by} {value!r}"
                    else:
                        listed = ", ".join(str(i) for i in ids)
                        result.missing[person.hr_id] = (
                            f"{len(ids)} Moodle accounts ({listed}) have {self.match_by} {value!r}"
                        )
        return found

    # -- the directory -------------------------------------------------------------------------

    def _people(self, hr_ids: list[str]) -> dict[str, PersonRecord]:
        if self.match_by == "idnumber" and self.directory is None:
            return {h: PersonRecord(hr_id=h, email="") for h in hr_ids}
        if self.directory is None:
            return {}
        return self.directory.people(hr_ids)

    def _stored(self, people: Mapping[str, PersonRecord]) -> dict[str, int]:
        if self.directory is None:
            return {}
        return {
            hr_id: int(account) for hr_id, account in self.directory.accounts(self.connection, people).items()
        }

    def _store(self, found: Mapping[str, int]) -> None:
        if self.directory is not None and found:
            self.directory.link(self.connection, {hr_id: str(uid) for hr_id, uid in found.items()})
