"""Which account on each host is which person: the site's account directory, the one mapping
from an LMS user to a person.

Links live in ``account_links``, one per person and connection. Connectors reach them only
through the :class:`~rm_plugin.connections.AccountDirectory` their context gives them (Moodle
records the accounts it resolves; the sync engine records what ``rm_resolve_accounts``
answers before enrolling). An LTI launch is matched here too (:func:`person_for_launch`): a
configurable claim names the person, and the platform's user id (``sub``) is recorded as that
person's account on the connection ``lti:<issuer>``. It reads the store only, so the site can
hand it to every connection it builds.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

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


# --- LTI launches ------------------------------------------------------------------------

LTI_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
#: Short names for the nested LTI claims a site may choose.
NESTED = {"lis": LTI_CLAIM + "lis", "custom": LTI_CLAIM + "custom", "ext": LTI_CLAIM + "ext"}
CONNECTION_LENGTH = 64  # account_links.connection


@dataclass(frozen=True)
class IdentityRule:
    """Which launch claim names the person (``[web.identity]``), and what it holds.

    By default ``lis.person_sourcedid`` (Moodle sends the user's ID number there) holding the HR
    id; a site may match ``email`` instead, or a custom parameter set up in the platform
    (``custom.hr_id``). What the launch says about roles never enters here: rights come from our
    own data (pair membership, reviewer, programme admin), never from the platform.
    """

    claim: str = "lis.person_sourcedid"  # "email", "custom.hr_id", a full claim URL, ...
    matches: str = "hr_id"  # or "email"

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> IdentityRule:
        return cls(
            claim=str(section.get("claim", cls.claim)), matches=str(section.get("matches", cls.matches))
        )

    def warnings(self) -> list[str]:
        """What makes this rule unsafe, for ``rm-plugin check`` and the portal's start."""
        custom = NESTED["custom"]
        if self.claim.startswith("custom.") or self.claim == custom or self.claim.startswith(custom + "."):
            return [
                f"[web.identity] claim = {self.claim!r} is a custom parameter: whoever may edit the "
                "activity's custom parameters in the platform (a course teacher, say) can sign in as "
                "anybody; prefer lis.person_sourcedid or email, which the platform fills from the "
                "user's own account"
            ]
        return []


@dataclass(frozen=True)
class IdentityResult:
    """The person found, or why nobody was: ``reason`` is ``no_value`` (the claim is missing or
    empty), ``unknown`` (nobody has that value) or ``inactive`` (the person has left)."""

    person_id: int | None
    reason: str = ""

    @property
    def found(self) -> bool:
        return self.person_id is not None


def claim_value(claims: Mapping[str, Any], name: str) -> str:
    """The string at ``name``: a top-level claim, or ``lis.x`` / ``custom.x`` / ``ext.x`` inside
    the LTI claim of that name."""
    if name in claims:
        value = claims[name]
    else:
        head, _, rest = name.partition(".")
        container = claims.get(NESTED.get(head, ""))
        value = container.get(rest) if rest and isinstance(container, Mapping) else None
    return value.strip() if isinstance(value, str) else ""


def lti_connection(issuer: str) -> str:
    """The account-directory connection of an LTI platform's users: ``lti:<issuer>``, or
    ``lti:sha256:<first 48 hex>`` of an issuer too long for the column.

    Keyed by issuer, not by registration: every registration of one Moodle shares its user ids.
    """
    name = f"lti:{issuer}"
    if len(name) <= CONNECTION_LENGTH:
        return name
    return "lti:sha256:" + hashlib.sha256(issuer.encode("utf-8")).hexdigest()[:48]


def person_for_launch(
    session: Session, claims: Mapping[str, Any], rule: IdentityRule, *, issuer: str = "", sub: str = ""
) -> IdentityResult:
    """Match the launch's user to one active person by ``rule``; with ``issuer`` and ``sub``
    (the verified token's), record that LMS user as the person's account on
    :func:`lti_connection`.

    The claim decides, every launch: a user id once linked to somebody else (an LMS account
    handed to a new employee) moves to the person the claim names now.
    """
    value = claim_value(claims, rule.claim)
    if not value:
        return IdentityResult(None, "no_value")
    if rule.matches == "email":
        query = select(Person.id, Person.status).where(func.lower(Person.email) == value.lower())
    else:
        query = select(Person.id, Person.status).where(Person.hr_id == value)
    rows = session.execute(query.limit(2)).all()
    if len(rows) != 1:
        return IdentityResult(None, "unknown")
    person_id, status = rows[0]
    if status != "active":
        return IdentityResult(None, "inactive")
    if issuer and sub:
        _link_lti_user(session, int(person_id), lti_connection(issuer), sub)
    return IdentityResult(int(person_id))


def _link_lti_user(session: Session, person_id: int, connection: str, sub: str) -> None:
    links = session.scalars(
        select(AccountLink).where(
            AccountLink.connection == connection,
            (AccountLink.person_id == person_id) | (AccountLink.account_id == sub),
        )
    ).all()
    mine = next((link for link in links if link.person_id == person_id), None)
    stale = [link.id for link in links if link.person_id != person_id]
    if stale:
        session.execute(delete(AccountLink).where(AccountLink.id.in_(stale)))
    if mine is None:
        session.add(AccountLink(person_id=person_id, connection=connection, account_id=sub))
    elif mine.account_id != sub:
        mine.account_id = sub
    session.flush()
