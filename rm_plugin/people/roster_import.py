"""Importing the roster (the ``people sync`` command): ask every HR source, merge, check, apply.

"Sync" elsewhere means delivering the outbox to hosts; here people come in from HR sources
through ``rm_fetch_people``, and the whole roster is applied in one transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Sequence

from sqlalchemy import select

from rm_plugin.domain.records import PeopleBatch, RowProblem
from rm_plugin.domain.roster import Located, broken_links, check_roster
from rm_plugin.errors import UserError
from rm_plugin.people.roster_apply import RosterReport, apply_people, merge_batches, track_broken_links
from rm_plugin.site import Site
from rm_plugin.store.models import Person, SyncState
from rm_plugin.store.types import utcnow
from rm_plugin.unit_of_work import UnitOfWork, unit_of_work

log = logging.getLogger(__name__)


class NoSource(UserError):
    """No enabled HR source, or the one asked for is unknown, disabled or not an HR source."""


def sync_people(
    site: Site,
    source: str | None = None,
    *,
    full: bool = False,
    accept_leavers: bool = False,
    today: dt.date | None = None,
    progress: Callable[[str], None] = lambda _step: None,
    settle: Callable[[UnitOfWork], Sequence[str]] | None = None,
) -> RosterReport:
    """Pull people from the enabled HR sources (or one) and apply them; returns what happened.

    Incremental sources get back the cursor they returned last time unless ``full``. A source
    that fails is a source problem (``failed_sources``, ``source_errors``), not a skipped
    record; the others are synced all the same. A manager who is not in the roster skips
    nobody: the broken link is stored as a roster problem and reported the first time it is
    seen. ``settle`` runs in the same transaction once the roster is applied (the programme
    stage closes the pairs of people who left); the lines it returns are added to the report.
    ``progress`` hears each step as it starts, so a long import on a terminal is not silent.
    """
    sources = [c.name for c in site.enabled_connections(role="people")]
    if source is not None:
        if source not in site.connections:
            raise NoSource(f"no connection {source!r} (see connectors/)")
        if source not in sources:
            raise NoSource(f"connection {source!r} is disabled or is not an HR source")
        sources = [source]
    if not sources:
        raise NoSource("no enabled HR source: enable connectors/csv.toml or another people connection")

    db = site.database
    batches: list[PeopleBatch] = []
    with db.transaction() as session:
        cursors = {name: session.get(SyncState, f"people:{name}") for name in sources}
    failed: dict[str, str] = {}
    for name in sources:
        state = cursors[name]
        since = None if full or state is None else state.value.get("cursor")
        progress(f"asking {name} for people" + (" changed since the last sync" if since else ""))
        try:
            answers = site.hook.rm_fetch_people(connection=name, since=since)
        except Exception as exc:  # one unreachable host must not stop the other sources
            log.info("source %s failed: %s", name, exc)  # the report says so, once
            # The host's errors already start with its name; say it once.
            failed[name] = str(exc).removeprefix(f"{name}: ")
            continue
        for batch in answers:
            if batch is not None and batch.source == name:
                batches.append(batch)
                log.info("source %s: %d records, %d problems", name, len(batch.records), len(batch.problems))

    records, problems = merge_batches(batches)
    for batch in batches:
        problems = list(batch.problems) + problems
    progress(f"checking and storing {len(records)} record(s)")
    with unit_of_work(site) as work:
        if today is not None:
            work = dataclasses.replace(work, today=today)
        session = work.session
        located = [Located(record, f"HR id {record.hr_id}") for record in records]
        good, found = check_roster(located)
        report = apply_people(
            session,
            [row.record for row in good],
            complete_sources=[b.source for b in batches if b.complete],
            today=work.today,
            still_present={p.hr_id for p in problems + found if p.hr_id},
            accept_leavers=accept_leavers,
        )
        session.flush()
        not_stored = {p.hr_id: f"was not stored ({p.where}: {p.reason})" for p in problems + found if p.hr_id}
        everyone = [
            tuple(row) for row in session.execute(select(Person.hr_id, Person.manager_hr_id, Person.status))
        ]
        track_broken_links(session, broken_links(everyone, not_stored), report)
        if settle is not None:
            report.notes.extend(settle(work))
        report.problems = _dedupe(problems + found + report.problems)
        report.failed_sources = list(failed)
        report.source_errors = dict(failed)
        report.sources = [b.source for b in batches]
        for batch in batches:
            state = session.get(SyncState, f"people:{batch.source}") or SyncState(
                key=f"people:{batch.source}"
            )
            state.value = {
                "cursor": batch.cursor,
                "synced_at": utcnow().isoformat(),
                "complete": batch.complete,
            }
            session.merge(state)
    return report


def _dedupe(problems: list[RowProblem]) -> list[RowProblem]:
    seen: set[RowProblem] = set()
    out = []
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            out.append(problem)
    return out
