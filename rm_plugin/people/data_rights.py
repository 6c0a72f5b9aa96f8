"""Each person's data rights: everything stored about them (export), and erasure.

Both walk the schema rather than a hand-kept list, so a table added later is covered or refused:

- A row is about a person when one of its person columns (a foreign key to ``people``) names
  them, when it belongs to one of their pairs (a foreign key to ``pairs``), or, in tables with
  neither, when a text or JSON value mentions their HR id, work email or full name as a whole
  token (Ann Lee is not in Ann Leeds; folded calendar lines are joined first). Of such a row
  the export keeps the structured values only where they mention the person.
- Rows that belong to one person only (:data:`ROW_OWNER`: a survey answer, an application) are
  theirs alone: the partner's are not exported. Free text has an author (:data:`TEXT_AUTHOR`): a
  private note goes to whoever wrote it, never to the other member of the pair.

Erasure keeps the rows that programme figures count (pairs, meetings, survey ratings,
milestones) and pseudonymises the person in them: their ``people`` row gets a fresh pseudonym for
an HR id and loses name, email and HR details; their free text and notes are emptied; host
account links and sessions are deleted; every other mention of their HR id, email or name in
any text or JSON value is replaced, except in other people's rows of ``people``, where only a
manager link to them follows the pseudonym. Every table that references ``people`` needs a rule in
:data:`ERASURE` (a test enforces it). Success stories of the person's pairs are unpublished
and their consents withdrawn; the text of a story they drafted is emptied.
Credentials already issued stay valid unless ``revoke`` is asked; their stored copy is dropped.
The audit log keeps one entry: that an erasure happened, to which pseudonym, and by whom.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Column, String, Table, Text, delete, or_, select, update
from sqlalchemy.orm import Session

from rm_plugin.errors import NotFound, UserError
from rm_plugin.store import Database, audit
from rm_plugin.store.models import Base, IssuedCredential, OutboxItem, Pair, Person, Programme
from rm_plugin.unit_of_work import unit_of_work

if TYPE_CHECKING:
    from rm_plugin.site import Site

PEOPLE, PAIRS = "people", "pairs"

#: Tables whose each row belongs to one person, by the column naming them.
ROW_OWNER: dict[str, str] = {
    "applications": "person_id",
    "invitations": "person_id",
    "survey_responses": "person_id",
    "milestones_reached": "person_id",
    "account_links": "person_id",
    "lti_grade_targets": "person_id",
    "credentials": "person_id",
    "story_consents": "person_id",
}

#: Free text and who wrote it: (table, column) -> the person column (or ``hr:`` an HR id column).
TEXT_AUTHOR: dict[tuple[str, str], str] = {
    ("meetings", "private_note"): "logged_by_id",
    ("review_decisions", "reason"): "reviewer_id",
    ("pair_status_changes", "reason"): "hr:actor",
    ("agreement_versions", "body"): "author_id",
    ("stories", "title"): "author_id",
    ("stories", "learned"): "author_id",
    ("stories", "changed"): "author_id",
}

#: Columns never exported (secrets, hashes that open sessions).
NEVER_EXPORTED: frozenset[tuple[str, str]] = frozenset(
    {("web_sessions", "id_hash"), ("web_sessions", "handoff_hash")}
)

WITHHELD = "(written by another person; not included)"
ERASED = "[erased]"


def person_columns(table: Table) -> list[Column[Any]]:
    """The columns of ``table`` that are foreign keys to ``people``."""
    return [c for c in table.columns if any(fk.column.table.name == PEOPLE for fk in c.foreign_keys)]


def pair_columns(table: Table) -> list[Column[Any]]:
    return [c for c in table.columns if any(fk.column.table.name == PAIRS for fk in c.foreign_keys)]


def _text_columns(table: Table) -> list[Column[Any]]:
    return [
        c
        for c in table.columns
        if isinstance(c.type, String | Text | JSON) or "JSON" in type(c.type).__name__
    ]


def tables_about_people() -> list[Table]:
    """Every table with a person or pair column: the ones whose rows are someone's by structure."""
    return [
        t for t in Base.metadata.sorted_tables if t.name == PEOPLE or person_columns(t) or pair_columns(t)
    ]


@dataclass(frozen=True)
class Subject:
    """Who the rights are exercised for: their row id, pairs, and the strings that identify them."""

    id: int
    hr_id: str
    email: str
    full_name: str
    pair_ids: tuple[int, ...]

    def patterns(self) -> tuple[re.Pattern[str], ...]:
        """Their HR id, email and full name as whole tokens: "Ann Lee" is not in "Ann Leeds", nor
        al@example.com in sal@example.com."""
        found = [_token(self.hr_id)]
        if self.email:
            found.append(re.compile(rf"{_EMAIL_BEFORE}{re.escape(self.email)}{_EMAIL_AFTER}", re.IGNORECASE))
        if self.full_name:
            found.append(re.compile(rf"(?<!\w){re.escape(self.full_name)}(?!\w)"))
        return tuple(found)

    def mentions(self, value: Any) -> bool:
        patterns = self.patterns()
        return any(pattern.search(unfold(text)) for text in _strings(value) for pattern in patterns)


def _strings(value: Any) -> Iterator[str]:
    """Every key and scalar of a JSON value as text (a payload's strings are searched as they
    are, not as JSON-escaped text, where a folded line would be ``\\r\\n``)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
    elif value is not None:
        yield value if isinstance(value, str) else str(value)


#: What may not touch an email address on either side for it to be the whole address.
_EMAIL_BEFORE = r"(?<![A-Za-z0-9._%+-])"
_EMAIL_AFTER = r"(?![A-Za-z0-9-]|\.[A-Za-z0-9])"
#: A folded line of iCalendar text (RFC 5545 §3.1): a line break followed by a space or a tab.
_FOLD = re.compile(r"\r?\n[ \t]")


def unfold(text: str) -> str:
    """Calendar text with its folded lines joined, so a name split across a fold is seen whole."""
    return _FOLD.sub("", text)


def _token(hr_id: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![A-Za-z0-9_-]){re.escape(hr_id)}(?![A-Za-z0-9_])")


def subject(session: Session, hr_id: str) -> Subject:
    person = session.scalar(select(Person).where(Person.hr_id == hr_id))
    if person is None:
        raise NotFound(f"no person with HR id {hr_id!r}")
    pairs = session.scalars(
        select(Pair.id).where(or_(Pair.mentee_id == person.id, Pair.mentor_id == person.id))
    )
    full = f"{person.given_name} {person.family_name}".strip()
    return Subject(person.id, person.hr_id, person.email, full if " " in full else "", tuple(sorted(pairs)))


def _rows_about(session: Session, table: Table, who: Subject) -> list[dict[str, Any]]:
    """The rows of ``table`` about ``who``, as plain dicts."""
    people, pairs = person_columns(table), pair_columns(table)
    if table.name == PEOPLE:
        condition = table.c.id == who.id
    elif table.name in ROW_OWNER:
        condition = table.c[ROW_OWNER[table.name]] == who.id
    elif people or pairs:
        parts = [c == who.id for c in people] + ([c.in_(who.pair_ids) for c in pairs] if who.pair_ids else [])
        if table.name == PAIRS:
            parts = [table.c.id.in_(who.pair_ids)] if who.pair_ids else []
        if not parts:
            return []
        condition = or_(*parts)
    else:
        return [
            _only_what_mentions(table, row, who)
            for row in session.execute(select(table)).mappings()
            if _mentions_row(table, row, who)
        ]
    return [dict(row) for row in session.execute(select(table).where(condition)).mappings()]


def _mentions_row(table: Table, row: Mapping[str, Any], who: Subject) -> bool:
    if table.name == "web_sessions":
        return isinstance(row["data"], Mapping) and row["data"].get("person_id") == who.id
    if (
        table.name == "audit_log"
        and row["entity"] == "pair"
        and str(row["entity_id"]) in map(str, who.pair_ids)
    ):
        return True
    return any(row[c.name] is not None and who.mentions(row[c.name]) for c in _text_columns(table))


def _only_what_mentions(table: Table, row: Mapping[str, Any], who: Subject) -> dict[str, Any]:
    """A row of a table with no person column (the outbox, receipts, the audit log) found by a
    mention: its structured values (a payload, a host's answer) only where they mention the
    person; the rest of such a row is somebody else's business."""
    out = dict(row)
    for column in _text_columns(table):
        value = out[column.name]
        if isinstance(value, Mapping | list) and not who.mentions(value):
            out[column.name] = WITHHELD
    return out


def _author_is(row: Mapping[str, Any], author: str, who: Subject) -> bool:
    if author.startswith("hr:"):
        return row[author[3:]] == who.hr_id
    return row[author] == who.id


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def export_person(session: Session, hr_id: str) -> dict[str, Any]:
    """Every record about the person, by table, as JSON-ready values.

    Their own notes and free text are included; what another person wrote (the partner's
    private notes, a reviewer's reasons) is replaced by a short statement that it was withheld.
    """
    who = subject(session, hr_id)
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in Base.metadata.sorted_tables:
        rows = _rows_about(session, table, who)
        if not rows:
            continue
        out = []
        for row in rows:
            for (name, column), author in TEXT_AUTHOR.items():
                if name == table.name and row.get(column) and not _author_is(row, author, who):
                    row[column] = WITHHELD
            out.append({k: _plain(v) for k, v in row.items() if (table.name, k) not in NEVER_EXPORTED})
        tables[table.name] = out
    return {
        "person": hr_id,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "note": (
            "Everything rm-plugin stores about you. Host platforms (the LMS, the HR system) keep "
            "their own records, which you ask them for."
        ),
        "tables": tables,
    }


# --- erasure ----------------------------------------------------------------------------------


#: Answers that pick one of a few fixed values (the pulse's "who did most of the teaching"): like
#: ratings they are figures the reports count, not free text, so they are kept.
CHOICES = frozenset({"teaching"})


def blank_text(value: Any) -> Any:
    """``value`` with every string emptied, numbers, :data:`CHOICES` and structure kept (survey
    answers, bodies)."""
    if isinstance(value, str):
        return ""
    if isinstance(value, Mapping):
        return {k: v if k in CHOICES else blank_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [blank_text(v) for v in value]
    return value


def _scrubber(who: Subject, pseudonym: str) -> Callable[[Any], Any]:
    token, *others = who.patterns()

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            if not who.mentions(value):
                return value
            value = token.sub(pseudonym, unfold(value))
            for pattern in others:
                value = pattern.sub(ERASED, value)
            return value
        if isinstance(value, Mapping):
            return {scrub(k): scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value

    return scrub


# What erasure does to each table that references people (directly or through a pair).
# "keep": rows stay as they are (only ids point at the pseudonymised person);
# "delete": the person's rows go; a callable changes the person's rows.
Rule = str | Callable[[Session, Table, "Subject"], None]


def _blank_own_text(column: str, owner: str) -> Rule:
    def apply(session: Session, table: Table, who: Subject) -> None:
        rows = session.execute(select(table.c.id, table.c[column]).where(table.c[owner] == who.id)).all()
        for row_id, value in rows:
            session.execute(update(table).where(table.c.id == row_id).values({column: blank_text(value)}))

    return apply


def _blank_applications(session: Session, table: Table, who: Subject) -> None:
    session.execute(
        update(table).where(table.c.person_id == who.id).values(goals="", demographics={}, consent={})
    )


def _status_changes(session: Session, table: Table, who: Subject) -> None:
    session.execute(update(table).where(table.c.actor == who.hr_id).values(reason=""))


def _withdraw_stories(session: Session, table: Table, who: Subject) -> None:
    """Unpublish every story of the person's pairs (nothing about them stays public) and empty
    the text of those they drafted; their partner can draft again."""
    if not who.pair_ids:
        return
    session.execute(
        update(table)
        .where(table.c.pair_id.in_(who.pair_ids))
        .values(status="draft", published_at=None, published_by="")
    )
    session.execute(
        update(table)
        .where(table.c.author_id == who.id)
        .values(title="", learned="", changed="", author_id=None)
    )


def _withdraw_story_consents(session: Session, table: Table, who: Subject) -> None:
    session.execute(
        update(table)
        .where(table.c.person_id == who.id, table.c.withdrawn_at.is_(None))
        .values(withdrawn_at=dt.datetime.now(dt.UTC))
    )


ERASURE: dict[str, Rule] = {
    "account_links": "delete",
    "lti_grade_targets": "delete",
    "applications": _blank_applications,
    "invitations": "keep",
    "pairs": "keep",
    "pair_status_changes": _status_changes,
    "review_decisions": _blank_own_text("reason", "reviewer_id"),
    "agreements": "keep",
    "agreement_versions": _blank_own_text("body", "author_id"),
    "agreement_signatures": "keep",
    "meetings": _blank_own_text("private_note", "logged_by_id"),
    "survey_responses": _blank_own_text("answers", "person_id"),
    "milestones_reached": "keep",
    "nudges": "keep",
    "credentials": "keep",  # their stored copy is dropped below; revoked only when asked
    "stories": _withdraw_stories,
    "story_consents": _withdraw_story_consents,
}


def unruled_tables() -> list[str]:
    """Tables that reference people but have no erasure rule: erasure refuses to run while any exists."""
    return [t.name for t in tables_about_people() if t.name != PEOPLE and t.name not in ERASURE]


@dataclass(frozen=True)
class Erasure:
    pseudonym: str
    rows_changed: dict[str, int] = field(default_factory=dict)
    credentials_kept: int = 0
    credentials_revoked: int = 0
    deliveries_stopped: int = 0


def check_erasable(session: Session, hr_id: str, *, by: str) -> None:
    """Refuse, naming every reason at once, an erasure that cannot go ahead; it changes nothing.

    ``people erase`` asks it before asking "are you sure?", so nobody confirms what is then refused.
    A pair still proposed or active is named with the command that ends it, so the partner is
    never left in a pair with nobody.
    """
    problems = []
    missing = unruled_tables()
    if missing:
        problems.append(
            f"erasure has no rule for table(s) {', '.join(missing)}; add one to ERASURE in "
            "rm_plugin/people/data_rights.py before erasing anybody"
        )
    if not by.strip():
        problems.append("say who erases (--by HR_ID or name): the audit log keeps it")
    who = subject(session, hr_id)
    busy = session.execute(
        select(Pair.id, Pair.status, Programme.slug)
        .join(Programme, Programme.id == Pair.programme_id)
        .where(Pair.id.in_(who.pair_ids), Pair.status.in_(("proposed", "active")))
        .order_by(Pair.id)
    ).all()
    for pair_id, status, slug in busy:
        if status == "active":
            how = f"rm-plugin match close {slug} {pair_id} --reason TEXT --by HR_ID"
        else:
            how = f"rm-plugin match reject {slug} {pair_id} --reviewer HR_ID --reason TEXT"
        problems.append(
            f"{hr_id} is in {status} pair {pair_id} ({slug}); end it first, so the partner is not left "
            f"in a pair with nobody: {how}"
        )
    if problems:
        raise UserError("\n".join(problems))


def erase_person(
    session: Session, hr_id: str, *, by: str, revoke: bool = False, now: dt.datetime | None = None
) -> Erasure:
    """Erase a person's data as the module says; refused while they are in a proposed or active pair."""
    check_erasable(session, hr_id, by=by)
    now = now or dt.datetime.now(dt.UTC)
    who = subject(session, hr_id)
    pseudonym = f"erased-{secrets.token_hex(6)}"
    changed: dict[str, int] = {}
    for table in tables_about_people():
        rule = ERASURE.get(table.name)
        if rule == "delete":
            column = ROW_OWNER[table.name]
            changed[table.name] = int(
                session.execute(delete(table).where(table.c[column] == who.id)).rowcount
            )  # type: ignore[attr-defined]
        elif callable(rule):
            rule(session, table, who)
    kept = revoked = 0
    for credential in session.scalars(select(IssuedCredential).where(IssuedCredential.person_id == who.id)):
        if revoke and credential.revoke(by, "erased at the holder's request", now):
            revoked += 1
        else:
            kept += 1
        credential.token = ""
    stopped = 0
    for item in session.scalars(select(OutboxItem).where(OutboxItem.status == "pending")):
        if who.mentions(item.payload) or _token(who.hr_id).search(item.key):
            item.status, item.last_error = "parked", "not delivered: the person's data was erased"
            stopped += 1
    session.flush()
    _pseudonymise(session, who, pseudonym)
    scrub = _scrubber(who, pseudonym)
    # Other people's rows are theirs: only a manager link to the erased person follows the pseudonym.
    session.execute(update(Person).where(Person.manager_hr_id == who.hr_id).values(manager_hr_id=pseudonym))
    for table in Base.metadata.sorted_tables:
        columns = _text_columns(table)
        if not columns or table.name == PEOPLE:
            continue
        keys = list(table.primary_key.columns)
        for row in session.execute(select(*keys, *columns)).all():
            values = {c.name: getattr(row, c.name) for c in columns}
            cleaned = {k: scrub(v) for k, v in values.items()}
            if cleaned != values:
                where = [k == getattr(row, k.name) for k in keys]
                session.execute(update(table).where(*where).values(cleaned))
                changed[table.name] = changed.get(table.name, 0) + 1
    sessions = Base.metadata.tables["web_sessions"]
    signed_in = [
        row.id_hash
        for row in session.execute(select(sessions.c.id_hash, sessions.c.data))
        if isinstance(row.data, Mapping) and row.data.get("person_id") == who.id
    ]
    if signed_in:
        session.execute(delete(sessions).where(sessions.c.id_hash.in_(signed_in)))
    audit.record(session, pseudonym if by == who.hr_id else by, "person.erased", "person", pseudonym)
    return Erasure(pseudonym, changed, kept, revoked, stopped)


def _pseudonymise(session: Session, who: Subject, pseudonym: str) -> None:
    person = session.get(Person, who.id)
    assert person is not None
    person.hr_id, person.email, person.given_name, person.family_name = pseudonym, "", "", ""
    person.title = person.team = person.location = person.time_zone = person.source = ""
    person.manager_hr_id, person.hire_date, person.termination_date = None, None, None
    person.languages, person.status = [], "erased"


def reclaim(database: Database) -> None:
    """Leave no copy of erased values in the database file: on SQLite, rewrite the file and
    empty the write-ahead log (PostgreSQL's dead rows go with its vacuum; see the README)."""
    if database.dialect != "sqlite":
        return
    with database.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.exec_driver_sql("VACUUM")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


# --- what the doors call ------------------------------------------------------------------------


def export_for(site: Site, hr_id: str) -> dict[str, Any]:
    """``rm-plugin people export`` and the portal's "your data": everything about ``hr_id``."""
    with unit_of_work(site) as work:
        return export_person(work.session, hr_id)


def erasable_for(site: Site, hr_id: str, *, by: str) -> None:
    """``rm-plugin people erase`` before it asks: every reason the erasure would be refused."""
    with unit_of_work(site) as work:
        check_erasable(work.session, hr_id, by=by)


def erase_for(site: Site, hr_id: str, *, by: str, revoke: bool = False) -> Erasure:
    """``rm-plugin people erase``: erase in one transaction, then reclaim the file's free space."""
    with unit_of_work(site) as work:
        done = erase_person(work.session, hr_id, by=by, revoke=revoke)
    reclaim(site.database)
    return done
