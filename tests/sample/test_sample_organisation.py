"""The bundled sample is what its generator makes, and it is a realistic organisation."""

from __future__ import annotations

import csv
from pathlib import Path

from rm_plugin.domain.orgtree import OrgIndex, find_cycles
from rm_plugin.sample import generate

SAMPLE = Path(generate.__file__).parent


def test_committed_csvs_are_exactly_what_the_generator_makes() -> None:
    people = generate.build_organisation()
    assert (SAMPLE / "people.csv").read_text(encoding="utf-8") == generate.people_csv(people)
    assert (SAMPLE / "applications.csv").read_text(encoding="utf-8") == generate.applications_csv(people)


def test_the_organisation_is_a_realistic_tree() -> None:
    rows = list(csv.DictReader((SAMPLE / "people.csv").open(encoding="utf-8")))
    assert len(rows) >= 300
    levels = {int(r["job_level"]) for r in rows}
    assert levels == set(range(1, 11))
    managers = {r["hr_id"]: r["manager_hr_id"] or None for r in rows}
    assert not find_cycles(managers)
    index = OrgIndex(managers)
    roots = [p for p in managers if managers[p] is None]
    assert len(roots) == 1
    assert all(index.is_ancestor(roots[0], p) for p in managers if p != roots[0])
    assert sum(1 for r in rows if r["status"] == "left") >= 3
    assert len({r["department"] for r in rows}) >= 6
