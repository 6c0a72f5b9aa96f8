"""Matching people to Moodle accounts, many per call, remembered in the site's account directory.

People are matched on the account's ``idnumber`` (set to the HR id) or on its email, compared
without regard to case (both the HR spelling and the lowercased one are asked for). A resolved
id is recorded once (:class:`~rm_plugin.connections.AccountDirectory`) and reused, so a rerun
makes no lookup calls for people already matched; a person Moodle has no account for is not
asked about again in the same sync run (:data:`~rm_plugin.connectors.moodle.memo.RUN_SECONDS`).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rm_plugin.connections import AccountDirectory
from rm_plugin.connectors.moodle.client import MoodleClient
from rm_plugin.connectors.moodle.errors import MoodleSetupError
from rm_plugin.connectors.moodle.memo import RUN_SECONDS
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
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.connection = connection
        self.match_by = match_by
        self.batch_size = batch_size
        self.directory = directory
        self.clock = clock
        self._known: dict[str, int] = {}
        self._absent: dict[str, tuple[float, str]] = {}  # HR id -> (when looked up, why not found)
        self._pending: dict[str, threading.Event] = {}  # HR ids a thread is looking up now
        self._lock = threading.Lock()

    # -- public ------------------------------------------------------------------------------

    def resolve(self, people: Sequence[PersonRecord]) -> Resolution:
        """Find every person's account: memory, then stored links, then Moodle in batches.

        A person another thread is looking up right now is waited for, not asked about twice.
        """
        result = Resolution()
        todo = {person.hr_id: person for person in people}
        while todo:
            mine, others = self._claim(todo, result)
            if mine:
                try:
                    self._look_up({h: todo[h] for h in mine}, result)
                finally:
                    with self._lock:
                        for hr_id in mine:
                            self._pending.pop(hr_id).set()
            for event in {id(e): e for e in others.values()}.values():
                event.wait()
            todo = {h: todo[h] for h in others}  # known (or absent) now, unless that look-up failed
        return result

    def _claim(
        self, todo: Mapping[str, PersonRecord], result: Resolution
    ) -> tuple[list[str], dict[str, threading.Event]]:
        """Answer from memory what it holds; claim the rest, except those others are looking up."""
        mine: list[str] = []
        others: dict[str, threading.Event] = {}
        now = self.clock()
        with self._lock:
            for hr_id in todo:
                absent = self._absent.get(hr_id)
                if hr_id in self._known:
                    result.found[hr_id] = self._known[hr_id]
                elif absent is not None and now - absent[0] <= RUN_SECONDS:
                    result.missing[hr_id] = absent[1]
                elif hr_id in self._pending:
                    others[hr_id] = self._pending[hr_id]
                else:
                    self._pending[hr_id] = threading.Event()
                    mine.append(hr_id)
        return mine, others

    def _look_up(self, todo: dict[str, PersonRecord], result: Resolution) -> None:
        """Stored links first, then Moodle; remember what was found and who has no account."""
        found = self._stored(todo)
        rest = [person for hr_id, person in todo.items() if hr_id not in found]
        if rest:
            fetched = self._lookup(rest, result)
            self._store(fetched)
            found.update(fetched)
        result.found.update(found)
        now = self.clock()
        with self._lock:
            self._known.update(found)
            for hr_id in todo:
                if hr_id in found:
                    self._absent.pop(hr_id, None)
                elif hr_id in result.missing:
                    self._absent[hr_id] = (now, result.missing[hr_id])

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
                f"no Moodle account for {who}; give each an account whose {self.field_label} is "
                f"{'their HR id' if self.match_by == 'idnumber' else 'their work email'} "
                "(`rm-plugin moodle accounts` lists everyone without one), then `rm-plugin sync retry <id>`",
                host=self.client.name,
                call=LOOKUP,
                code="noaccount",
            )
        return {h: result.found[h] for h in hr_ids}

    @property
    def field_label(self) -> str:
        return "ID number" if self.match_by == "idnumber" else "email"

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
                        result.missing[person.hr_id] = (
                            f"no account with {self.field_label} {value!r} is visible to the integration user"
                        )
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
