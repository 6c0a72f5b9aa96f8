"""People from several sources merge by HR id then work email; a conflict is reported, never merged."""

from __future__ import annotations

from rm_plugin.domain.records import PeopleBatch, PersonRecord
from rm_plugin.people.roster_apply import merge_batches


def person(hr_id: str, email: str, source: str, **kw: object) -> PersonRecord:
    return PersonRecord(hr_id=hr_id, email=email, source=source, **kw)  # type: ignore[arg-type]


def test_blanks_are_filled_from_the_second_source() -> None:
    a = PeopleBatch("bamboohr", (person("1", "a@x.com", "bamboohr", job_level=5),))
    b = PeopleBatch("csv", (person("1", "a@x.com", "csv", location="Berlin"),))
    records, problems = merge_batches([a, b])
    assert problems == []
    assert records[0].job_level == 5 and records[0].location == "Berlin" and records[0].source == "bamboohr"


def test_disagreement_is_reported_and_the_first_source_kept() -> None:
    a = PeopleBatch("bamboohr", (person("1", "a@x.com", "bamboohr", job_level=5),))
    b = PeopleBatch("workday", (person("1", "a@x.com", "workday", job_level=7),))
    records, problems = merge_batches([a, b])
    assert records[0].job_level == 5
    assert [p.reason for p in problems] == ["disagrees with bamboohr on job_level; kept bamboohr's"]


def test_same_email_different_ids_is_a_conflict() -> None:
    a = PeopleBatch("bamboohr", (person("1", "a@x.com", "bamboohr"),))
    b = PeopleBatch("workday", (person("W9", "A@x.com", "workday"),))
    records, problems = merge_batches([a, b])
    assert [r.hr_id for r in records] == ["1"]
    assert problems[0].reason == "work email A@x.com already belongs to 1 from bamboohr; not merged"
