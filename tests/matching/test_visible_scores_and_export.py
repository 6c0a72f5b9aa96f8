"""Outside the matching step only the visible score exists, and `match export` carries nothing else.

A programme with a DEI objective scores ``diverse_pair`` from opt-in data; the run may use it,
but the stored pair, the propose result, the audit log, the hooks and the export all show
the score reviewers see.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from matching_factory import small_org
from sqlalchemy import select

from rm_plugin import hookimpl
from rm_plugin.matching.export import matching_export, write_export
from rm_plugin.matching.review import approve, reviewer_score
from rm_plugin.matching.service import propose
from rm_plugin.plugins import make_plugin_manager, register
from rm_plugin.store import Database
from rm_plugin.store.models import Application, AuditEntry, Pair, Person
from rm_plugin.unit_of_work import UnitOfWork

SECRET = "opt-in-value-that-must-not-leave"


def dei_org(db: Database) -> None:
    with db.transaction() as s:
        small_org(s, objectives=["dei"], reviewers_required=2)
        for app, person in s.execute(select(Application, Person).join(Person)):
            app.demographics = {"background": SECRET if person.hr_id.startswith("SEN") else "other"}


def test_only_the_visible_score_leaves_the_run(db: Database) -> None:
    dei_org(db)
    heard: list[float] = []

    class Spy:
        @hookimpl
        def rm_pair_approved(self, pair, approved_by):
            heard.append(pair.score)

    pm = make_plugin_manager(None, load_entrypoints=False)
    register(pm, Spy(), "test:spy", "test")
    result = propose(db, pm, "rm-2026")
    with db.transaction() as s:
        pairs = list(s.scalars(select(Pair).order_by(Pair.id)))
        assert pairs and all("diverse_pair" not in p.breakdown for p in pairs)
        assert all(p.score == reviewer_score(p.breakdown) for p in pairs)
        visible_total = round(sum(p.score for p in pairs), 4)
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "match.propose")).one()
        assert entry.detail["total_score"] == visible_total
        assert SECRET not in json.dumps(entry.detail)
    assert result.total_score == visible_total
    assert [p.score for p in result.proposed] == [p.score for p in pairs]

    first = result.proposed[0]
    approve(db, first.pair_id, "REV-1", pm=pm)
    approve(db, first.pair_id, "REV-2", pm=pm)
    assert heard == [first.score]


def test_export_has_pairs_as_reviewers_see_them_and_the_unmatched_with_reasons(
    db: Database, tmp_path: Path
) -> None:
    dei_org(db)
    propose(db, None, "rm-2026")
    with db.transaction() as s:
        s.scalars(select(Person).where(Person.hr_id == "VP-A")).one().given_name = "=HYPERLINK(1)"
        export = matching_export(UnitOfWork(s), "rm-2026")
        files = write_export(UnitOfWork(s), "rm-2026", tmp_path)
    assert [p.name for p in files] == ["rm-2026-pairs.csv", "rm-2026-unmatched.csv", "rm-2026-matching.json"]
    text = "\n".join(p.read_text(encoding="utf-8") for p in files)
    assert "diverse_pair" not in text and SECRET not in text and "background" not in text

    assert export.objective == "most_pairs" and export.run_id
    assert {(p.mentee_hr_id, p.mentor_hr_id, p.status) for p in export.pairs} == {
        ("SEN-A", "JUN-B1", "proposed"),
        ("SEN-B", "JUN-A1", "proposed"),
    }
    sen_a = next(p for p in export.pairs if p.mentee_hr_id == "SEN-A")
    assert sen_a.skills_matched == ["ai", "social"] and sen_a.approvals == 0
    assert sen_a.score == round(sum(t["points"] for t in sen_a.terms.values()), 4)

    rows = list(csv.DictReader(io.StringIO(files[0].read_text(encoding="utf-8"))))
    assert rows[0]["skills.weight"] == "3.0" and float(rows[0]["score"]) in {p.score for p in export.pairs}
    unmatched = {r["hr_id"]: r for r in csv.DictReader(io.StringIO(files[1].read_text(encoding="utf-8")))}
    assert unmatched["VP-A"]["kind"] == "capacity"
    assert unmatched["VP-A"]["reason"].startswith(
        "capacity ran out: all 1 mentors who pass the rules are taken"
    )
    assert unmatched["VP-A"]["name"].startswith("'=")  # a spreadsheet shows it, does not run it
    assert unmatched["JUN-A2"]["kind"] == "not_needed"
    assert json.loads(files[2].read_text(encoding="utf-8"))["unmatched"][0]["role"] in ("mentee", "mentor")
