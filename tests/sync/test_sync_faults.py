"""Faults a restarting host or a failing proxy produces are retried; what may have reached the host
says so; reasons, logs and the audit log hold no host body and no one's name or email."""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sync_factory import Clock, add_milestones, rows
from sync_standin_host import FAULT_EMPTY, FAULT_HTML, FAULT_RESET, FAULT_SLOW, FAULT_TRUNCATED, Served

from rm_plugin import hookimpl
from rm_plugin.cli import build_cli
from rm_plugin.domain.records import Delivery, Receipt
from rm_plugin.outbox import enqueue
from rm_plugin.plugins import register
from rm_plugin.site import Site
from rm_plugin.store.models import AuditEntry, Person, StoredReceipt
from rm_plugin.sync.status import outbox_status
from rm_plugin.sync.worker import SyncOptions, run_sync


def cli(site: Site, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(build_cli(), ["--site", str(site.root), *args], env=env)
    return result.exit_code, result.output


def test_maintenance_pages_cut_short_and_empty_bodies_and_resets_are_retried_then_delivered(
    site: Site, host: Served
) -> None:
    keys = add_milestones(site.database, 5)
    for key, fault in zip(keys, (FAULT_HTML, FAULT_TRUNCATED, FAULT_EMPTY, FAULT_RESET), strict=False):
        host.host.fail(key, (fault, None))
    clock = Clock()
    first = run_sync(site, SyncOptions(clock=clock))
    assert (first.delivered, first.retry_later, first.parked) == (1, 4, 0)
    reasons = {key: row.last_error for key, row in rows(site).items()}
    assert "an HTML page instead of JSON ('Site maintenance')" in reasons[keys[0]]
    assert "truncated JSON: the body ends after" in reasons[keys[1]]
    assert "an empty body where JSON was expected" in reasons[keys[2]]
    assert "could not reach the host" in reasons[keys[3]]
    status = outbox_status(site.database, clock.now)
    assert status.counts["standin"]["pending"] == 0 and status.counts["standin"]["waiting"] == 4

    clock.now = clock.start + dt.timedelta(minutes=5)
    second = run_sync(site, SyncOptions(clock=clock))
    # the cut-short answer came after the write: the retry finds it on the host, writes nothing
    assert (second.delivered, second.already, second.parked) == (3, 1, 0)
    assert host.host.writes == dict.fromkeys(keys, 1)


def test_sync_retry_makes_a_waiting_row_due_now(site: Site, host: Served) -> None:
    [key] = add_milestones(site.database, 1)
    host.host.fail(key, (503, "3600"))
    assert run_sync(site).retry_later == 1
    row_id = rows(site)[key].id
    code, out = cli(site, "sync", "retry", str(row_id))
    assert code == 0 and "requeued 1 row(s)" in out
    assert run_sync(site).delivered == 1


def test_a_write_that_may_have_reached_the_host_says_so_and_an_admin_can_mark_it_delivered(
    site: Site, host: Served
) -> None:
    config = Path(site.root) / "connectors" / "standin.toml"
    config.write_text(config.read_text().replace("timeout = 10", "timeout = 0.3"))
    slow = Site.load(site.root, load_entrypoints=False)
    [key] = add_milestones(slow.database, 1)
    with slow.database.transaction() as s:
        enqueue(s, key="award:after", connection="standin", action="award", payload={}, after=[key])
    host.host.slow_seconds = 1.0
    host.host.fail(key, (FAULT_SLOW, None))  # written on the host after the client gave up
    host.host.fail_lookup(key, (403, None))  # and the retry cannot ask the host whether it is there
    clock = Clock()
    try:
        assert run_sync(slow, SyncOptions(clock=clock)).retry_later == 1
        assert rows(slow)[key].maybe_sent
        clock.now = clock.start + dt.timedelta(minutes=5)
        assert run_sync(slow, SyncOptions(clock=clock)).parked == 1
    finally:
        slow.close()
    row = rows(site)[key]
    assert row.last_error.startswith("may already be on the host (an attempt timed out after sending")
    assert f"`rm-plugin sync retry --delivered {row.id}`" in row.last_error
    assert rows(site)["award:after"].status == "held"

    code, out = cli(site, "sync", "retry", "--delivered", str(row.id))
    assert code == 0 and "marked 1 row(s) delivered; 1 row(s) that followed them go ahead too" in out
    row = rows(site)[key]
    assert (row.status, row.outcome) == ("done", "marked")
    with site.database.transaction() as s:
        receipt = s.scalars(select(StoredReceipt).where(StoredReceipt.key == key)).one()
        assert receipt.data == {"marked_delivered_by": "admin"}
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "outbox.marked_delivered")).one()
    assert run_sync(site).delivered == 1  # the award that followed it
    while host.host.active:  # the slow write finishes on the host in its own time
        time.sleep(0.05)
    assert host.host.writes[key] == 1


def test_reasons_logs_and_the_audit_log_hold_no_names_emails_or_host_bodies(
    site: Site, host: Served, caplog: pytest.LogCaptureFixture
) -> None:
    with site.database.transaction() as s:
        s.add(Person(hr_id="E00000", email="ann.smith@example.org", given_name="Ann", family_name="Smithers"))
    [key] = add_milestones(site.database, 1)
    host.host.error_body = {
        "exception": "invalid_parameter_exception",
        "message": "User Ann Smithers (ann.smith@example.org) cannot be enrolled",
        "users": [{"id": 7, "fullname": "Bo Quist", "email": "bo@example.org"}],
    }
    host.host.fail(key, (400, None))
    with caplog.at_level(logging.INFO):
        assert run_sync(site).parked == 1
    [parked] = outbox_status(site.database).parked
    with site.database.transaction() as s:
        audit = str(s.scalars(select(AuditEntry).where(AuditEntry.action == "outbox.parked")).one().detail)
    for text in (parked.reason, audit, caplog.text):
        for personal in ("Smithers", "ann.smith", "Bo Quist", "bo@example.org"):
            assert personal not in text
    assert "POST /deliveries failed" in parked.reason and "HTTP 400" in parked.reason
    assert len(parked.reason) <= 500


class Skipper:
    """A host that declines some deliveries, saying why (as BambooHR does for an unknown type)."""

    @hookimpl
    def rm_record_milestone(self, delivery: Delivery) -> Receipt | None:
        if delivery.connection != "fake":
            return None
        return Receipt(skipped=True, data={"reason": "'first_meeting' is in neither training_types"})

    @hookimpl
    def rm_award(self, delivery: Delivery) -> Receipt | None:
        if delivery.connection != "fake":
            return None
        return Receipt(host_ref="b-1", skipped=True)  # the host had it already


def test_a_delivery_the_host_skipped_is_its_own_outcome_with_its_reason(site: Site) -> None:
    add_milestones(site.database, 2, connection="fake")
    with site.database.transaction() as s:
        enqueue(s, key="award:1", connection="fake", action="award", payload={})
    register(site.pm, Skipper(), "test:skipper", "test")
    summary = run_sync(site)
    assert (summary.delivered, summary.already, summary.skipped) == (0, 1, 2)
    assert str(summary).startswith("0 delivered, 1 already there, 2 skipped by the host")
    report = outbox_status(site.database)
    assert report.counts["fake"]["skipped"] == 2 and report.counts["fake"]["done"] == 1
    assert report.skipped == (("fake", "'first_meeting' is in neither training_types", 2),)
    _code, out = cli(site, "sync", "status")
    assert "skipped by the host (done, nothing written there):" in out
    assert "  fake: 2 row(s): 'first_meeting' is in neither training_types" in out


def test_sync_status_and_retry_need_no_hosts_secret(site: Site, host: Served) -> None:
    (Path(site.root) / "connectors" / "moodle.toml").write_text(
        'type = "moodle"\nurl = "https://moodle.example.org"\ntoken = "${MOODLE_TOKEN}"\ncourse = "RM"\n'
    )
    add_milestones(site.database, 1)
    env = {"MOODLE_TOKEN": ""}
    code, out = cli(site, "sync", "status", env=env)
    assert code == 0, out
    assert out.splitlines()[1].split() == ["standin", "1", "0", "0", "0", "0", "0", "0"]
    code, out = cli(site, "sync", "retry", "--connection", "moodle", env=env)
    assert code == 0 and "nothing was requeued" in out
    code, out = cli(site, "sync", env=env)
    assert code == 2 and "MOODLE_TOKEN" in out  # delivering does need the host's secret
