"""Nobody who has left stays paired: `people sync` withdraws their proposals and closes their pairs.

Closing goes the way `programme close` does (a ``close`` delivery per progress host, the
status history, ``rm_pair_closed`` after the commit); the other member is told, and is
matchable again. A property test drives random organisations through the same doors.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matching_factory import apply, programme
from sqlalchemy import select

from rm_plugin.matching.review import approve_pair
from rm_plugin.matching.service import MatchingError, propose
from rm_plugin.programme.leavers import sync_roster
from rm_plugin.site import Site, create_site
from rm_plugin.store.models import OutboxItem, Pair, PairStatusChange, Person
from rm_plugin.unit_of_work import unit_of_work

HEADER = "hr_id,email,given_name,family_name,job_level,manager_hr_id,department\n"
ORG = [
    ("CEO", 9, ""),
    ("VP-A", 8, "CEO"),
    ("VP-B", 8, "CEO"),
    ("SEN-A", 7, "VP-A"),
    ("SEN-B", 7, "VP-B"),
    ("JUN-A1", 2, "SEN-A"),
    ("JUN-A2", 3, "SEN-A"),
    ("JUN-B1", 2, "SEN-B"),
    ("JUN-C1", 2, "REV-1"),
    ("REV-1", 5, "CEO"),
    ("REV-2", 5, "CEO"),
    ("REV-3", 5, "CEO"),
]
HOOK = """
import json, pathlib
from rm_plugin import hookimpl

@hookimpl
def rm_pair_closed(pair, reason):
    out = pathlib.Path(__file__).with_name("closed.jsonl")
    with out.open("a") as fh:
        fh.write(json.dumps([pair.id, pair.mentee_hr_id, pair.mentor_hr_id, reason]) + "\\n")
"""


def write_roster(root: Path, people: list[tuple[str, int, str]]) -> None:
    rows = [
        f"{hr},{hr.lower()}@example.com,{hr},Person,{level},{boss},Dept-{hr[:5]}"
        for hr, level, boss in people
    ]
    (root / "people.csv").write_text(HEADER + "\n".join(rows) + "\n")
    (root / "connectors" / "csv.toml").write_text('type = "csv"\npath = "people.csv"\n')


def status_of(site: Site) -> dict[tuple[str, str], str]:
    with site.database.transaction() as s:
        hr = dict(s.execute(select(Person.id, Person.hr_id)).all())
        return {(hr[p.mentee_id], hr[p.mentor_id]): p.status for p in s.scalars(select(Pair))}


def approve_as(site: Site, pair_id: int, *reviewers: str, on: dt.date = dt.date(2026, 3, 16)) -> None:
    """Approve as each reviewer on ``on`` (the pair's clock starts that day)."""
    for reviewer in reviewers:
        with unit_of_work(site) as work:
            approve_pair(dataclasses.replace(work, today=on), pair_id, reviewer)


def test_people_sync_withdraws_closes_tells_and_frees(site_root: Path) -> None:
    (site_root / "hooks" / "closed_probe.py").write_text(HOOK)
    write_roster(site_root, ORG)
    site = Site.load(site_root, load_entrypoints=False)
    sync_roster(site)
    with site.database.transaction() as s:
        prog = programme(s, reviewers_required=2)
        people = {p.hr_id: p for p in s.scalars(select(Person))}
        for hr, wanted in (("SEN-A", "ai"), ("SEN-B", "ai"), ("VP-A", "design")):
            apply(s, prog, people[hr], "mentee", skills_wanted={wanted: 3})
        for hr, offered in (("JUN-A1", "ai"), ("JUN-A2", "cooking"), ("JUN-B1", "ai")):
            apply(s, prog, people[hr], "mentor", skills_offered=[offered])
    first = {(p.mentee, p.mentor): p.pair_id for p in propose(site.database, site.pm, "rm-2026").proposed}
    active_id, once_id = first[("SEN-A", "JUN-B1")], first[("SEN-B", "JUN-A1")]
    approve_as(site, active_id, "REV-1", "REV-2")
    approve_as(site, once_id, "REV-1")  # one approval: kept by a rerun, and would activate on the next

    leavers = {"JUN-B1", "JUN-A1"}
    write_roster(site_root, [row for row in ORG if row[0] not in leavers])
    report = sync_roster(site, today=dt.date(2026, 5, 4))
    assert report.left == 2
    assert any("1 proposal(s) withdrawn and 1 active pair(s) closed" in line for line in report.lines())

    assert status_of(site)[("SEN-B", "JUN-A1")] == "withdrawn"
    assert status_of(site)[("SEN-A", "JUN-B1")] == "closed"
    with site.database.transaction() as s:
        reasons = {
            c.pair_id: c.reason
            for c in s.scalars(select(PairStatusChange).where(PairStatusChange.actor == "people sync"))
        }
        rows = {(o.action, o.connection): o.payload for o in s.scalars(select(OutboxItem))}
    assert reasons == {
        once_id: "mentor JUN-A1 left the organisation on 2026-05-04",
        active_id: "mentor JUN-B1 left the organisation on 2026-05-04",
    }
    close = rows[("close", "files")]  # the hosts hear it on the next sync, as with programme close
    assert (close["pair_id"], close["end"], close["reason"]) == (active_id, "2026-05-04", reasons[active_id])
    told = rows[("notify", "files")]
    assert told["audience"] == ["SEN-A"] and told["kind"] == "pair_closed"
    assert "has left the organisation" in told["body"] and "JUN-B1" in told["body"]
    closed = [json.loads(line) for line in (site_root / "hooks" / "closed.jsonl").read_text().splitlines()]
    assert closed == [[active_id, "SEN-A", "JUN-B1", reasons[active_id]]]

    with pytest.raises(MatchingError, match="is withdrawn"):
        approve_as(site, once_id, "REV-2")
    again = sync_roster(site)  # settled once: a rerun does nothing more
    assert not any(line.startswith("pairs:") for line in again.lines())

    # the freed mentee is matchable again
    with site.database.transaction() as s:
        prog_id = s.scalars(select(Pair.programme_id)).first()
        junior = s.scalars(select(Person).where(Person.hr_id == "JUN-C1")).one()
        from rm_plugin.store.models import Application

        s.add(
            Application(
                programme_id=prog_id, person_id=junior.id, role="mentor", skills_offered=["ai"], capacity=2
            )
        )
    rerun = propose(site.database, site.pm, "rm-2026")
    assert "SEN-A" in {p.mentee for p in rerun.proposed}
    assert not {p.mentor for p in rerun.proposed} & leavers
    site.close()


def test_a_pair_with_someone_marked_left_is_never_approved(site_root: Path) -> None:
    write_roster(site_root, ORG)
    site = Site.load(site_root, load_entrypoints=False)
    sync_roster(site)
    with site.database.transaction() as s:
        prog = programme(s, reviewers_required=1)
        people = {p.hr_id: p for p in s.scalars(select(Person))}
        apply(s, prog, people["SEN-A"], "mentee", skills_wanted={"ai": 3})
        apply(s, prog, people["JUN-B1"], "mentor", skills_offered=["ai"])
    (proposed,) = propose(site.database, site.pm, "rm-2026").proposed
    with site.database.transaction() as s:  # marked left some other way than people sync
        s.scalars(select(Person).where(Person.hr_id == "JUN-B1")).one().status = "left"
    with pytest.raises(MatchingError, match="mentor JUN-B1 left the organisation"):
        approve_as(site, proposed.pair_id, "REV-1")
    rerun = propose(site.database, site.pm, "rm-2026")
    assert [d.pair_id for d in rerun.withdrawn] == [proposed.pair_id]
    site.close()


def test_the_worker_s_people_sync_job_settles_leavers_like_the_command(site_root: Path) -> None:
    """The scheduled job calls the same service as ``people sync``: no door skips the leaver rule."""
    from rm_plugin.sync import jobs

    write_roster(site_root, ORG)
    site = Site.load(site_root, load_entrypoints=False)
    jobs.people_sync_job(site, None)
    with site.database.transaction() as s:
        prog = programme(s, reviewers_required=1)
        people = {p.hr_id: p for p in s.scalars(select(Person))}
        apply(s, prog, people["SEN-A"], "mentee", skills_wanted={"ai": 3})
        apply(s, prog, people["JUN-B1"], "mentor", skills_offered=["ai"])
    (proposed,) = propose(site.database, site.pm, "rm-2026").proposed
    approve_as(site, proposed.pair_id, "REV-1")
    write_roster(site_root, [row for row in ORG if row[0] != "JUN-B1"])
    outcome = jobs.people_sync_job(site, dt.date(2026, 5, 4))
    assert "1 marked as left" in outcome
    assert status_of(site)[("SEN-A", "JUN-B1")] == "closed"
    site.close()


def random_roster(rnd: random.Random, n: int) -> list[tuple[str, int, str]]:
    people = [("P0", 10, "")]
    levels = {"P0": 10}
    for i in range(1, n):
        boss = f"P{rnd.randrange(i)}"
        levels[f"P{i}"] = max(1, levels[boss] - rnd.choice([0, 1, 2]))
        people.append((f"P{i}", levels[f"P{i}"], boss))
    return people


def pairs_with_leavers(site: Site) -> list[tuple[int, str]]:
    with site.database.transaction() as s:
        left = set(s.scalars(select(Person.id).where(Person.status != "active")))
        return [
            (p.id, p.status)
            for p in s.scalars(select(Pair).where(Pair.status.in_(("proposed", "active"))))
            if {p.mentee_id, p.mentor_id} & left
        ]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), n=st.integers(8, 30), leaving=st.floats(0.05, 0.6))
def test_no_proposal_or_active_pair_ever_contains_a_leaver_after_people_sync(
    tmp_path_factory: pytest.TempPathFactory, seed: int, n: int, leaving: float
) -> None:
    rnd = random.Random(seed)
    root = tmp_path_factory.mktemp("leavers") / "site"
    create_site(root)
    roster = random_roster(rnd, n)
    write_roster(root, roster)
    site = Site.load(root, load_entrypoints=False)
    try:
        sync_roster(site)
        with site.database.transaction() as s:
            prog = programme(s, reviewers_required=1, min_level_gap=1, mentor_capacity=2)
            for person in s.scalars(select(Person)):
                if rnd.random() < 0.8:
                    role = "mentee" if person.job_level >= 6 else "mentor"
                    fields = {"skills_wanted": {"ai": 2}} if role == "mentee" else {"skills_offered": ["ai"]}
                    apply(s, prog, person, role, **fields)
        for pair in propose(site.database, site.pm, "rm-2026").proposed:
            if rnd.random() < 0.5:  # some become active, the rest stay proposed
                with contextlib.suppress(MatchingError):  # the reviewer drawn may be in a chain
                    approve_as(site, pair.pair_id, f"P{rnd.randrange(n)}")
        gone = {hr for hr, _, _ in roster[1:] if rnd.random() < leaving}
        write_roster(root, [row for row in roster if row[0] not in gone])
        sync_roster(site, accept_leavers=True)
        assert pairs_with_leavers(site) == []
        propose(site.database, site.pm, "rm-2026")
        assert pairs_with_leavers(site) == []
    finally:
        site.close()
