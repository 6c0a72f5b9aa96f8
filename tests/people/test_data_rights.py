"""Export then erase on a demo database: the export holds every row about the person, and after
erasure no row holds their name, email or free text while the programme's figures stay the same."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import JSON, String, Text, and_, func, or_, select, update
from sqlalchemy.engine import make_url

from rm_plugin.cli import build_cli
from rm_plugin.demo import PROGRAMME, run_demo
from rm_plugin.errors import UserError
from rm_plugin.outbox import enqueue
from rm_plugin.people import data_rights
from rm_plugin.programme.closing import close_programme
from rm_plugin.programme.surveys import aggregate
from rm_plugin.site import Site
from rm_plugin.store import Database, audit
from rm_plugin.store.models import (
    AuditEntry,
    Base,
    IssuedCredential,
    Meeting,
    MilestoneReached,
    OutboxItem,
    Pair,
    Person,
    Programme,
    SurveyResponse,
)
from rm_plugin.unit_of_work import unit_of_work

OWN_NOTE = "My own note: the quarterly review made me nervous"
OWN_COMMENT = "Loved the session on prompt writing"
OWN_GOALS = "I want to understand how our youngest customers shop"


def figures(site: Site) -> dict[str, Any]:
    """What the programme reports, which erasure must not change."""
    with site.database.transaction() as s:
        out: dict[str, Any] = {kind: aggregate(s, PROGRAMME, kind) for kind in ("pulse", "final")}
        for model in (Pair, Meeting, MilestoneReached, SurveyResponse, IssuedCredential):
            out[model.__tablename__] = s.scalar(select(func.count()).select_from(model))
        out["confirmed"] = s.scalar(select(func.count()).where(Meeting.confirmed_at.is_not(None)))
        out["minutes"] = s.scalar(select(func.sum(Meeting.minutes)))
        out["revoked"] = s.scalar(select(func.count()).where(IssuedCredential.revoked_at.is_not(None)))
    return out


def text_cells(site: Site) -> list[tuple[str, str, str]]:
    """(table, column, text) of every text or JSON value in the database."""
    cells = []
    with site.database.transaction() as s:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            for row in s.execute(select(*columns)) if columns else []:
                for column, value in zip(columns, row, strict=True):
                    if value is not None:
                        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                        cells.append((table.name, column.name, text))
    return cells


@pytest.fixture
def demo(site_root: Path) -> Any:
    run_demo(site_root, echo=lambda _line: None)
    site = Site.load(site_root, load_entrypoints=False)
    yield site
    site.close()


def test_export_then_erase_on_the_demo(demo: Site) -> None:
    site = demo
    with site.database.transaction() as s:
        credential = s.scalars(
            select(IssuedCredential)
            .join(Person, Person.id == IssuedCredential.person_id)
            .order_by(Person.hr_id)
        ).first()
        assert credential is not None, "the demo issues credentials for completed pairs"
        person = s.get(Person, credential.person_id)
        pair = s.get(Pair, credential.pair_id)
        hr_id, email, name = person.hr_id, person.email, person.display_name
        partner_id = pair.mentor_id if pair.mentee_id == person.id else pair.mentee_id
        partner_note = f"Met {name} today; {person.given_name} was sharp"
        meetings = list(s.scalars(select(Meeting).where(Meeting.pair_id == pair.id).order_by(Meeting.id)))
        meetings[0].logged_by_id, meetings[0].private_note = person.id, OWN_NOTE
        meetings[1].logged_by_id, meetings[1].private_note = partner_id, partner_note
        own_pulse = s.scalars(
            select(SurveyResponse).where(
                SurveyResponse.person_id == person.id, SurveyResponse.kind == "pulse"
            )
        ).first()
        own_pulse.answers = {**own_pulse.answers, "comment": OWN_COMMENT}
        s.execute(
            update(Base.metadata.tables["applications"])
            .where(Base.metadata.tables["applications"].c.person_id == person.id)
            .values(goals=OWN_GOALS)
        )
        person_id = person.id
        pair_ids = list(
            s.scalars(select(Pair.id).where(or_(Pair.mentee_id == person_id, Pair.mentor_id == person_id)))
        )
    with unit_of_work(site) as work:
        close_programme(work, PROGRAMME, reason="the demo programme ended")
    before = figures(site)

    cli, where = build_cli(), ["--site", str(site.root)]
    out = site.root / "export.json"
    result = CliRunner().invoke(cli, [*where, "people", "export", hr_id, "--out", str(out)])
    assert result.exit_code == 0, result.output
    exported = json.loads(out.read_text(encoding="utf-8"))["tables"]
    assert (out.stat().st_mode & 0o777) == 0o600

    # every table with a person reference appears, with every row about the person: rows naming
    # them in a person column, and rows of their pairs that name nobody else
    with site.database.transaction() as s:
        for table in Base.metadata.sorted_tables:
            people = [
                c for c in table.columns if any(f.column.table.name == "people" for f in c.foreign_keys)
            ]
            pairs = [c for c in table.columns if any(f.column.table.name == "pairs" for f in c.foreign_keys)]
            key = next(iter(table.primary_key.columns)).name
            if table.name == "people":
                assert [r["id"] for r in exported["people"]] == [person_id]
                continue
            if table.name == "pairs":
                pairs = [table.c.id]
            about = [or_(*[c == person_id for c in people])] if people else []
            about += [
                and_(c.in_(pair_ids), *[or_(p.is_(None), p == person_id) for p in people]) for c in pairs
            ]
            if not about:
                continue
            mine = set(s.scalars(select(table.c[key]).where(or_(*about))))
            if mine:
                assert table.name in exported, f"{table.name} is missing from the export"
                assert mine <= {r[key] for r in exported[table.name]}, table.name
    notes = [m["private_note"] for m in exported["meetings"]]
    assert OWN_NOTE in notes and partner_note not in notes and data_rights.WITHHELD in notes
    assert all(r["person_id"] == person_id for r in exported["survey_responses"])
    assert {p["id"] for p in exported["pairs"]} == set(pair_ids)
    assert any(OWN_COMMENT in json.dumps(r["answers"]) for r in exported["survey_responses"])
    assert exported["applications"][0]["goals"] == OWN_GOALS
    assert "credentials" in exported and "outbox" in exported and "audit_log" in exported

    result = CliRunner().invoke(cli, [*where, "people", "erase", hr_id, "--by", "E0001-admin", "--yes"])
    assert result.exit_code == 0, result.output
    pseudonym = result.output.split("now ", 1)[1].split()[0]

    for table, column, text in text_cells(site):
        for secret in (name, email, OWN_NOTE, OWN_COMMENT, OWN_GOALS, partner_note):
            assert secret.lower() not in text.lower(), f"{secret!r} still in {table}.{column}"
        assert hr_id not in text.replace(pseudonym, ""), f"{hr_id} still in {table}.{column}"
    assert figures(site) == before
    with site.database.transaction() as s:
        erased = s.get(Person, person_id)
        assert erased.hr_id == pseudonym and erased.status == "erased" and erased.email == ""
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "person.erased")).all()
        assert [(e.actor, e.entity, e.entity_id, e.detail) for e in entries] == [
            ("E0001-admin", "person", pseudonym, {})
        ]
        kept = s.scalars(select(IssuedCredential).where(IssuedCredential.person_id == person_id)).all()
        assert kept and all(c.revoked_at is None and c.token == "" for c in kept)
    if site.database.dialect == "sqlite":
        database = Path(make_url(site.database.url).database or "")
        site.close()
        files = [p for p in database.parent.glob(database.name + "*") if p.stat().st_size]
        assert database in files
        for path in files:
            data = path.read_bytes().lower()
            for secret in (name, email, OWN_NOTE, OWN_COMMENT, OWN_GOALS, partner_note):
                assert secret.lower().encode() not in data, f"{secret!r} in {path.name}"


def test_erasure_is_refused_while_the_person_is_in_an_active_pair(db: Database) -> None:
    with db.transaction() as s:
        a, b = Person(hr_id="E1", email="a@example.com"), Person(hr_id="E2", email="b@example.com")
        programme = Programme(slug="p", name="P")
        s.add_all([a, b, programme])
        s.flush()
        s.add(Pair(programme_id=programme.id, mentee_id=a.id, mentor_id=b.id, status="active"))
    with pytest.raises(UserError, match=r"in active pair .* end it first"), db.transaction() as s:
        data_rights.erase_person(s, "E1", by="admin")
    with db.transaction() as s:
        assert s.scalar(select(Person.email).where(Person.hr_id == "E1")) == "a@example.com"


def test_every_table_that_references_people_has_an_erasure_rule() -> None:
    assert data_rights.unruled_tables() == []


def test_erasure_and_export_match_whole_names_and_addresses_not_parts_of_someone_else_s(
    db: Database,
) -> None:
    """Ann Lee (al@example.com) is not Ann Leeds (sal@example.com): exporting or erasing one
    leaves the other's row, and the audit lines about the other, as they were."""
    with db.transaction() as s:
        s.add_all(
            [
                Person(hr_id="E1", email="al@example.com", given_name="Ann", family_name="Lee"),
                Person(hr_id="E2", email="sal@example.com", given_name="Ann", family_name="Leeds"),
            ]
        )
        audit.record(s, "E2", "asked", "person", "E2", note="Ann Leeds asked about sal@example.com")
        audit.record(s, "E9", "asked", "person", "E1", note="Ann Lee wrote from al@example.com.")
    with db.transaction() as s:
        exported = data_rights.export_person(s, "E1")
    notes = [row["detail"]["note"] for row in exported["tables"]["audit_log"]]
    assert notes == ["Ann Lee wrote from al@example.com."]
    with db.transaction() as s:
        data_rights.erase_person(s, "E1", by="admin")
    with db.transaction() as s:
        other = s.scalar(select(Person).where(Person.hr_id == "E2"))
        assert other is not None and (other.email, other.family_name) == ("sal@example.com", "Leeds")
        details = [e.detail.get("note") for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert details[0] == "Ann Leeds asked about sal@example.com"
    assert details[1] == "[erased] wrote from [erased]."


def test_a_name_folded_across_calendar_lines_is_erased_too(db: Database) -> None:
    """iCalendar folds lines at 75 octets (RFC 5545 §3.1), which can split a name in two; the
    stored invitation is unfolded before it is searched."""
    with db.transaction() as s:
        s.add(Person(hr_id="E7", email="cf@example.com", given_name="Christopher", family_name="Fitzgerald"))
        folded = "SUMMARY:Reverse mentoring: agreement review with Christopher Fitz\r\n gerald\r\n"
        enqueue(s, key="calendar:1", connection="files", action="calendar", payload={"ics": folded})
    with db.transaction() as s:
        assert [r["key"] for r in data_rights.export_person(s, "E7")["tables"]["outbox"]] == ["calendar:1"]
        data_rights.erase_person(s, "E7", by="admin")
    with db.transaction() as s:
        ics = s.scalar(select(OutboxItem.payload).where(OutboxItem.key == "calendar:1"))["ics"]
    assert "Fitz" not in ics and "[erased]" in ics


def test_an_export_is_never_poured_onto_a_terminal(site_root: Path) -> None:
    """Without --out the JSON goes to a file or a pipe; a terminal (here a pseudo-terminal) is
    refused before anything is read."""
    import os
    import pty
    import subprocess
    import sys

    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "rm_plugin", "--site", str(site_root), "people", "export", "E1001"],
            stdout=follower,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 2
    assert "this is personal data: give --out FILE, or redirect the output to a file" in done.stderr
