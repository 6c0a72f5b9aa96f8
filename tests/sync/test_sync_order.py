"""Deliveries in their natural order: a row waits for the rows it follows, and a parked one holds it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select, text
from sync_factory import Clock, add_milestones, add_pairs, make_site_dir
from sync_standin_host import Served
from test_sync_crash import outbox_counts, start_worker

from rm_plugin.outbox import enqueue, enrolment_key
from rm_plugin.site import Site
from rm_plugin.store import Database
from rm_plugin.store.models import OutboxItem
from rm_plugin.store.types import utcnow
from rm_plugin.sync.leases import next_due
from rm_plugin.sync.status import outbox_status, retry_rows
from rm_plugin.sync.worker import SyncOptions, run_sync


def delivered_in_order(order: list[str], keys: dict[int, list[str]]) -> bool:
    """Every pair's enrolment was written before each of its other rows."""
    position = {key: n for n, key in enumerate(order)}
    return all(position[rows[0]] < position[row] for rows in keys.values() for row in rows[1:])


def test_a_completion_queued_before_its_enrolment_is_delivered_after_it_without_a_park(
    site: Site, host: Served
) -> None:
    host.host.requires_enrolment = True  # a completion before the enrolment is refused, as Moodle does
    keys = add_pairs(site.database, 12)
    summary = run_sync(site)
    assert (summary.delivered, summary.parked, summary.retry_later) == (48, 0, 0)
    assert delivered_in_order(host.host.order, keys)
    assert set(host.host.writes.values()) == {1}


def test_rows_queued_after_their_enrolment_all_go_in_one_run_on_a_fast_host(site: Site, host: Served) -> None:
    # Dependents claimed while their enrolment is in flight are woken when it settles; a
    # claim and a settle racing must not leave any for a later run.
    host.host.requires_enrolment = True
    keys = add_pairs(site.database, 60, completions_first=False)
    summary = run_sync(site, SyncOptions(concurrency=8))
    assert (summary.delivered, summary.parked, summary.retry_later) == (240, 0, 0)
    assert delivered_in_order(host.host.order, keys)
    assert outbox_status(site.database).total("waiting") == 0


def test_a_parked_enrolment_holds_its_pairs_rows_with_a_reason_naming_it_and_a_retry_lets_them_go(
    site: Site, host: Served
) -> None:
    keys = add_pairs(site.database, 2)
    enrol = keys[1][0]
    host.host.fail(enrol, (400, None))
    summary = run_sync(site)
    assert (summary.delivered, summary.parked, summary.held) == (4, 1, 3)
    report = outbox_status(site.database)
    [parked] = report.parked
    assert parked.key == enrol
    assert [row.key for row in report.held] == keys[1][1:]
    assert {row.reason for row in report.held} == {f"waits for #{parked.id} ({enrol}), which is parked"}
    assert report.counts["standin"]["held"] == 3 and report.counts["standin"]["pending"] == 0
    assert not any(key in host.host.writes for key in keys[1][1:])  # never tried

    done = retry_rows(site.database, ids=[parked.id])
    assert done.requeued == (parked.id,) and len(done.released) == 3
    again = run_sync(site)
    assert (again.delivered, again.parked, again.held) == (4, 0, 0)
    assert delivered_in_order(host.host.order, keys)


def test_a_row_that_follows_a_held_row_is_held_too_naming_the_chain(site: Site, host: Served) -> None:
    keys = add_pairs(site.database, 1, completions=1)
    enrol, completion = keys[1]
    with site.database.transaction() as s:
        enqueue(
            s, key="award:1", connection="standin", action="award", payload={"pair_id": 1}, after=[completion]
        )
    host.host.fail(enrol, (400, None))
    run_sync(site)
    held = {row.key: row.reason for row in outbox_status(site.database).held}
    assert set(held) == {completion, "award:1"}
    assert held["award:1"].startswith("waits for #") and "which waits for #" in held["award:1"]
    assert held["award:1"].endswith(f"({enrol}), which is parked")


def test_an_award_waits_for_the_completions_it_needs_instead_of_racing_them(site: Site, host: Served) -> None:
    [c1, c2] = add_milestones(site.database, 2)
    with site.database.transaction() as s:
        enqueue(
            s,
            key="award:badge",
            connection="standin",
            action="award",
            payload={"person": "E1"},
            after=[c1, c2],
        )
    host.host.fail(c1, (503, "30"))
    clock = Clock()
    first = run_sync(site, SyncOptions(clock=clock))
    assert (first.delivered, first.retry_later, first.parked) == (1, 1, 0)
    assert "award:badge" not in host.host.writes  # not tried while a completion it needs is not done
    award = {r.key: r for r in outbox_status(site.database, clock.now).waiting}["award:badge"]
    assert award.next_attempt_at == clock.start + dt.timedelta(seconds=30)  # no sooner than c1
    assert award.attempts == 0 and award.reason.startswith("waits for #")

    clock.now = clock.start + dt.timedelta(seconds=31)
    second = run_sync(site, SyncOptions(clock=clock))
    assert (second.delivered, second.parked) == (2, 0)
    assert host.host.order.index("award:badge") > host.host.order.index(c1)


def test_a_claim_reads_the_next_due_rows_straight_off_the_index(db: Database) -> None:
    add_milestones(db, 300)
    query = next_due("standin", utcnow(), 16)
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            plan = " ".join(str(row[-1]) for row in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
            assert "ix_outbox_next" in plan and "TEMP B-TREE" not in plan, plan
        else:
            conn.execute(text("SET enable_seqscan = off"))  # a tiny table: ask what the index can do
            plan = " ".join(row[0] for row in conn.execute(text(f"EXPLAIN {sql}")))
            assert "ix_outbox_next" in plan and "Sort" not in plan, plan


def test_two_workers_never_deliver_a_row_before_the_row_it_follows(
    tmp_path: Path, db: Database, db_url: str, host: Served
) -> None:
    site_dir = make_site_dir(tmp_path / "site", db_url, host.url, concurrency=4)
    keys = add_pairs(db, 60)
    host.host.latency = 0.002
    host.host.requires_enrolment = True
    host.host.expect_workers = 2
    workers = [start_worker(site_dir) for _ in range(2)]
    for worker in workers:
        _out, err = worker.communicate(timeout=180)
        assert worker.returncode == 0, err
    while outbox_counts(db).get("pending"):  # rows one worker deferred while the other held them
        worker = start_worker(site_dir)
        worker.communicate(timeout=180)
    assert outbox_counts(db) == {"done": 240}
    assert host.host.writes == {key: 1 for rows in keys.values() for key in rows}
    assert delivered_in_order(host.host.order, keys)
    assert len([w for w, n in host.host.workers.items() if n]) == 2
    with db.transaction() as s:
        assert not s.scalars(select(OutboxItem).where(OutboxItem.status != "done")).all()


def test_enrolment_key_is_what_the_pairs_rows_follow() -> None:
    assert enrolment_key(7, "moodle") == "enrol:7:moodle"
