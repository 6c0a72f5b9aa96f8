"""The sync engine delivers the outbox through the hooks: once, with receipts, retries and parking."""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
from pathlib import Path

import pytest
from sqlalchemy import select
from sync_factory import Clock, add_milestones, load_site, rows
from sync_standin_host import Served

from rm_plugin import hookimpl
from rm_plugin.domain.records import Delivery, Receipt
from rm_plugin.outbox import enqueue
from rm_plugin.plugins import register
from rm_plugin.site import Site
from rm_plugin.store.models import AuditEntry, StoredReceipt
from rm_plugin.sync.backoff import RedeliveryPolicy as RetryPolicy
from rm_plugin.sync.status import NothingToRetry, outbox_status, requeue
from rm_plugin.sync.worker import SyncOptions, run_sync


def test_every_row_is_delivered_once_with_a_receipt_and_a_rerun_calls_nobody(
    site: Site, host: Served
) -> None:
    keys = add_milestones(site.database, 25)
    summary = run_sync(site)
    assert (summary.delivered, summary.already, summary.retry_later, summary.parked) == (25, 0, 0, 0)
    assert summary.per_connection["standin"]["delivered"] == 25
    assert sorted(host.host.writes) == sorted(keys)
    assert set(host.host.writes.values()) == {1}
    assert host.host.calls == {"POST": 25}  # first attempts write without asking first
    with site.database.transaction() as s:
        receipts = {r.key: r.host_ref for r in s.scalars(select(StoredReceipt))}
    assert receipts == {key: f"w-{key}" for key in keys}
    assert {row.status for row in rows(site).values()} == {"done"}

    host.host.reset_counts()
    again = run_sync(site)
    assert again.handled == 0
    assert host.host.total_calls == 0


def test_deliveries_to_one_host_never_exceed_its_concurrency(site: Site, host: Served) -> None:
    host.host.latency = 0.01
    add_milestones(site.database, 40)
    run_sync(site)  # the site's standin.toml says concurrency = 3
    assert sum(host.host.writes.values()) == 40
    assert host.host.max_parallel <= 3
    host.host.max_parallel = 0
    add_milestones(site.database, 20, start=100)
    run_sync(site, SyncOptions(concurrency=1))
    assert host.host.max_parallel == 1


def test_retry_after_is_honoured_and_the_retry_checks_the_host_first(site: Site, host: Served) -> None:
    [key] = add_milestones(site.database, 1)
    host.host.fail(key, (503, "120"))
    clock = Clock()
    first = run_sync(site, SyncOptions(clock=clock))
    assert first.retry_later == 1
    row = rows(site)[key]
    assert row.status == "pending" and row.attempts == 1
    assert row.next_attempt_at == clock.start + dt.timedelta(seconds=120)
    assert "HTTP 503" in row.last_error

    clock.now = clock.start + dt.timedelta(seconds=119)
    assert run_sync(site, SyncOptions(clock=clock)).handled == 0  # not due yet

    clock.now = clock.start + dt.timedelta(seconds=121)
    host.host.reset_counts()
    second = run_sync(site, SyncOptions(clock=clock))
    assert second.delivered == 1
    assert host.host.calls == {"GET": 1, "POST": 1}  # attempt 2 asks the host before writing
    assert host.host.writes[key] == 1


def test_transient_failures_back_off_exponentially_then_park(site: Site, host: Served) -> None:
    [key] = add_milestones(site.database, 1)
    host.host.fail(key, (503, None), (503, None), (503, None), (503, None))
    clock = Clock()
    policy = RetryPolicy(base=10, cap=1000, max_attempts=3)
    waits = []
    for _ in range(2):
        assert run_sync(site, SyncOptions(clock=clock, policy=policy)).retry_later == 1
        row = rows(site)[key]
        waits.append((row.next_attempt_at - clock.now).total_seconds())
        clock.now = row.next_attempt_at
    assert 5 <= waits[0] <= 10
    assert 10 <= waits[1] <= 20
    last = run_sync(site, SyncOptions(clock=clock, policy=policy))
    assert last.parked == 1
    row = rows(site)[key]
    assert row.status == "parked"
    assert row.last_error == (
        "gave up after 3 attempts: standin: POST /deliveries failed: "
        'Error: {"error": "scripted 503"} (HTTP 503)'
    )
    assert host.host.writes[key] == 0


def test_a_permanent_failure_is_parked_with_its_reason_and_can_be_retried(site: Site, host: Served) -> None:
    keys = add_milestones(site.database, 3)
    host.host.fail(keys[1], (400, None))
    summary = run_sync(site)
    assert (summary.delivered, summary.parked) == (2, 1)
    report = outbox_status(site.database)
    assert report.counts == {
        "standin": {
            "pending": 0,
            "in_flight": 0,
            "waiting": 0,
            "done": 2,
            "skipped": 0,
            "held": 0,
            "parked": 1,
        }
    }
    [parked] = report.parked
    assert parked.key == keys[1]
    assert (
        parked.reason == 'standin: POST /deliveries failed: Bad Request: {"error": "scripted 400"} (HTTP 400)'
    )
    with site.database.transaction() as s:
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "outbox.parked")).one()
        assert audit.entity_id == str(parked.id)

    assert requeue(site.database, connection="standin") == [parked.id]
    row = rows(site)[keys[1]]
    assert (row.status, row.attempts) == ("pending", 1)
    host.host.reset_counts()
    assert run_sync(site).delivered == 1
    assert host.host.calls == {"GET": 1, "POST": 1}
    assert outbox_status(site.database).total("parked") == 0


def test_requeue_refuses_rows_that_are_not_parked_and_changes_nothing(site: Site) -> None:
    add_milestones(site.database, 2)
    ids = sorted(row.id for row in rows(site).values())
    with pytest.raises(NothingToRetry) as refused:
        requeue(site.database, ids=[ids[0], 9999])
    assert str(refused.value) == (
        f"#{ids[0]}: due already (the next `rm-plugin sync` delivers it); "
        "#9999: no such row; nothing was changed"
    )
    with pytest.raises(ValueError, match="say which rows"):
        requeue(site.database)
    assert {row.status for row in rows(site).values()} == {"pending"}


def test_a_row_for_a_connection_nobody_owns_is_parked_not_crashed(site: Site, host: Served) -> None:
    add_milestones(site.database, 1, connection="ghost")
    add_milestones(site.database, 2, start=10)
    summary = run_sync(site)
    assert (summary.delivered, summary.parked) == (2, 1)
    [parked] = outbox_status(site.database).parked
    assert parked.reason == "no enabled connection named 'ghost' delivers 'completion'"


def test_a_stored_receipt_is_handed_to_the_connector_which_then_skips_the_write(
    site: Site, host: Served
) -> None:
    [key] = add_milestones(site.database, 1)
    with site.database.transaction() as s:
        s.add(StoredReceipt(connection="standin", key=key, host_ref="w-earlier", data={}))
    summary = run_sync(site)
    assert (summary.delivered, summary.already) == (0, 1)
    assert host.host.total_calls == 0
    with site.database.transaction() as s:
        receipt = s.scalars(select(StoredReceipt)).one()
    assert (receipt.host_ref, receipt.data) == ("w-earlier", {"skipped": True})


class Recorder:
    """A plugin owning connection ``fake``: records every delivery hook call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def _take(self, hook: str, delivery: Delivery) -> Receipt | None:
        if delivery.connection != "fake":
            return None
        self.calls.append((hook, delivery.key))
        return Receipt(host_ref=f"fake-{delivery.id}")

    @hookimpl
    def rm_enrol_pair(self, delivery: Delivery) -> Receipt | None:
        return self._take("enrol", delivery)

    @hookimpl
    def rm_award(self, delivery: Delivery) -> Receipt | None:
        return self._take("award", delivery)

    @hookimpl
    def rm_send_notification(self, delivery: Delivery) -> Receipt | None:
        return self._take("notify", delivery)

    @hookimpl
    def rm_prepare_programme(self, connection: str, programme: object) -> Receipt | None:
        if connection != "fake":
            return None
        self.calls.append(("prepare", getattr(programme, "slug", "")))
        return Receipt(host_ref="course-1")


def test_each_action_reaches_its_hook_prepare_first_and_a_rerun_calls_no_hook(site: Site) -> None:
    recorder = Recorder()
    register(site.pm, recorder, "test:recorder", "test")
    with site.database.transaction() as s:
        enqueue(s, key="award:1", connection="fake", action="award", payload={"award": "badge"})
        enqueue(s, key="enrol:1", connection="fake", action="enrol", payload={"pair_id": 1})
        enqueue(s, key="notify:1", connection="fake", action="notify", payload={"subject": "hi"})
        enqueue(
            s,
            key="prepare:pilot",
            connection="fake",
            action="prepare",
            payload={"id": 1, "slug": "pilot", "name": "Pilot", "starts_on": "2026-05-01", "ends_on": None},
        )
        enqueue(s, key="prepare:bad", connection="fake", action="prepare", payload={"slug": "bad"})
    summary = run_sync(site, SyncOptions(concurrency=1))
    assert recorder.calls[0] == ("prepare", "pilot")
    assert sorted(recorder.calls[1:]) == [("award", "award:1"), ("enrol", "enrol:1"), ("notify", "notify:1")]
    assert (summary.delivered, summary.parked) == (4, 1)
    assert outbox_status(site.database).parked[0].reason == "prepare payload lacks id, name"

    recorder.calls.clear()
    assert run_sync(site).handled == 0
    assert recorder.calls == []


def test_logs_name_rows_but_never_print_payloads(
    site: Site, host: Served, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "PAYLOAD-BODY-7c1f"
    with site.database.transaction() as s:
        for n, connection in enumerate(["standin", "standin", "ghost"]):
            enqueue(s, key=f"notify:{n}", connection=connection, action="notify", payload={"body": secret})
    host.host.fail("notify:1", (503, "5"))
    with caplog.at_level(logging.DEBUG):
        summary = run_sync(site)
    assert (summary.delivered, summary.retry_later, summary.parked) == (1, 1, 1)
    assert "notify:1" in caplog.text and "notify:2" in caplog.text
    assert secret not in caplog.text
    report = outbox_status(site.database)
    assert all(secret not in row.reason for row in report.parked)


def test_backoff_grows_with_jitter_up_to_the_cap_and_retry_after_wins() -> None:
    policy = RetryPolicy(base=2, cap=60, max_attempts=5)
    rng = random.Random(7)
    for attempt, ceiling in [(1, 2), (2, 4), (3, 8), (4, 16), (6, 60), (20, 60)]:
        samples = [policy.delay(attempt, rng=rng) for _ in range(200)]
        assert all(ceiling / 2 <= s <= ceiling for s in samples)
        assert len(set(samples)) > 150  # jittered, not in step
    assert policy.delay(3, retry_after=42.0) == 42.0
    assert policy.delay(3, retry_after=10**6) == policy.max_retry_after
    assert not policy.gives_up_after(4) and policy.gives_up_after(5)
    with pytest.raises(ValueError):
        RetryPolicy(base=10, cap=5)


def test_the_built_in_files_host_receives_each_delivery_once(tmp_path: Path, db_url: str) -> None:
    root = tmp_path / "site"
    (root / "connectors").mkdir(parents=True)
    (root / "rm-plugin.toml").write_text(f'[database]\nurl = "{db_url}"\n')
    (root / "connectors" / "files.toml").write_text('type = "files"\nconcurrency = 2\n')
    files_site = load_site(root)
    try:
        keys = add_milestones(files_site.database, 5, connection="files")
        assert run_sync(files_site).delivered == 5
        journal = root / "out" / "files-host" / "completions.jsonl"
        assert sorted(json.loads(line)["key"] for line in journal.read_text().splitlines()) == keys
        assert run_sync(files_site).handled == 0
    finally:
        files_site.close()
