"""Claiming outbox rows: a lease per worker, no row handed out twice, dead workers' rows taken back."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading

from sqlalchemy import select
from sync_factory import add_milestones

from rm_plugin.store import Database
from rm_plugin.store.models import OutboxItem
from rm_plugin.store.types import utcnow
from rm_plugin.sync.leases import claim, new_worker_id, release_dead_local_workers, settle_done

LEASE = dt.timedelta(minutes=5)


def test_a_claim_leases_exactly_what_was_asked_and_a_second_worker_gets_other_rows(db: Database) -> None:
    add_milestones(db, 50)
    now = utcnow()
    first = claim(db, "host/1/a", "standin", 5, now, LEASE)
    second = claim(db, "host/2/b", "standin", 5, now, LEASE)
    assert len(first) == len(second) == 5
    assert not {r.id for r in first} & {r.id for r in second}
    assert [r.attempt for r in first] == [1] * 5
    assert claim(db, "host/3/c", "other", 5, now, LEASE) == []
    with db.transaction() as s:
        leased = s.scalars(select(OutboxItem).where(OutboxItem.locked_by.is_not(None))).all()
    assert len(leased) == 10


def test_racing_claims_never_hand_a_row_out_twice(db: Database) -> None:
    add_milestones(db, 300)
    taken: list[list[int]] = [[] for _ in range(6)]

    def worker(n: int) -> None:
        while batch := claim(db, f"host/{n}/w", "standin", 7, utcnow(), LEASE):
            taken[n].extend(r.id for r in batch)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [row_id for ids in taken for row_id in ids]
    assert len(every) == len(set(every)) == 300


def test_an_expired_lease_is_claimable_and_the_old_worker_can_no_longer_settle(db: Database) -> None:
    add_milestones(db, 1)
    now = utcnow()
    [old] = claim(db, "elsewhere/1/a", "standin", 1, now, LEASE)
    assert claim(db, "elsewhere/2/b", "standin", 1, now + dt.timedelta(minutes=4), LEASE) == []
    [new] = claim(db, "elsewhere/2/b", "standin", 1, now + dt.timedelta(minutes=6), LEASE)
    assert (new.id, new.attempt) == (old.id, 2)
    assert settle_done(db, old, "elsewhere/1/a", "ref", {}, now) is False
    assert settle_done(db, new, "elsewhere/2/b", "ref", {}, now) is True


def test_rows_of_a_dead_worker_on_this_machine_are_released_at_once(db: Database) -> None:
    add_milestones(db, 3)
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    here = new_worker_id().split("/")[0]
    dead_worker = f"{here}/{int(gone.stdout)}/dead"
    now = utcnow()
    claim(db, dead_worker, "standin", 2, now, LEASE)
    claim(db, new_worker_id(), "standin", 1, now, LEASE)  # alive: this very process
    claim(db, "another-host/1/x", "standin", 1, now, LEASE)
    assert release_dead_local_workers(db, now) == 2
    assert len(claim(db, "host/9/z", "standin", 5, now, LEASE)) == 2
