"""The scheduled jobs of ``rm-plugin worker``, and the database lease that runs each one once.

A job is a function of the site that calls the same services the CLI calls and returns one
line saying what it did. It is registered with one line at the end of this module::

    register_job("retention", retention_job, every="1d", what="private notes past retention")

``[worker.jobs]`` in ``rm-plugin.toml`` sets how often each runs (or ``off``). A worker runs a
job only after leasing its row of ``worker_jobs`` in one ``UPDATE`` whose ``WHERE`` says the
job is due and not leased, so several workers sharing a database never run one job at the
same time or twice for one period. A worker that dies mid-job leaves its lease to run out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from rm_plugin.enrolment.programmes import list_programmes, live_programmes
from rm_plugin.errors import UserError
from rm_plugin.people.roster_import import NoSource
from rm_plugin.programme import recruitment, retention
from rm_plugin.programme.leavers import sync_roster
from rm_plugin.programme.nudges import at_risk_pairs, nudge_programme
from rm_plugin.site import SITE_FILE, Site
from rm_plugin.store import Database
from rm_plugin.store.models import WorkerJob
from rm_plugin.unit_of_work import UnitOfWork, unit_of_work

log = logging.getLogger(__name__)

#: How long a job is leased: one that runs longer may be started again by another worker.
JOB_LEASE = dt.timedelta(hours=1)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Site, dt.date | None], str]
    every: str  # the default period
    what: str


JOBS: dict[str, Job] = {}


def register_job(name: str, run: Callable[[Site, dt.date | None], str], *, every: str, what: str) -> None:
    """Add a scheduled job; ``run(site, today)`` returns one line saying what it did (``today``
    is None unless a test fixes it: the services then use the site's own today)."""
    JOBS[name] = Job(name, run, every, what)


def period(every: str) -> dt.timedelta | None:
    """``"15m"`` as a timedelta; None for ``"off"``."""
    if every == "off":
        return None
    return dt.timedelta(seconds=int(every[:-1]) * _UNITS[every[-1]])


_SPOKEN = (("day", 86400), ("h", 3600), ("min", 60), ("s", 1))


def spoken(every: dt.timedelta) -> str:
    """A period as a person writes it in a log line: ``1 day``, ``2 days``, ``15 min``, ``90 s``.

    The largest unit that divides it evenly, so ``period("1d")`` reads back as ``1 day`` and not
    as Python's ``1 day, 0:00:00``.
    """
    seconds = int(every.total_seconds())
    for unit, size in _SPOKEN:
        if seconds and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if unit == 'day' and count != 1 else ''}"
    return f"{seconds} s"


def schedule(worker_config: Mapping[str, object]) -> dict[str, dt.timedelta]:
    """Each enabled job and its period, from ``[worker.jobs]`` over the defaults.

    :raises UserError: naming every key of ``[worker.jobs]`` that is not a job.
    """
    chosen = dict(worker_config.get("jobs") or {})  # type: ignore[call-overload]
    unknown = sorted(set(chosen) - set(JOBS))
    if unknown:
        known = ", ".join(sorted(JOBS))
        raise UserError(
            "; ".join(f"{SITE_FILE}: worker.jobs.{name}: no such job (jobs: {known})" for name in unknown)
        )
    periods = {name: period(str(chosen.get(name, job.every))) for name, job in JOBS.items()}
    return {name: every for name, every in periods.items() if every is not None}


# -- the lease ------------------------------------------------------------------------------


def lease_job(db: Database, name: str, worker: str, now: dt.datetime) -> bool:
    """Take job ``name`` for this run if it is due and no live worker holds it."""
    _ensure(db, name, now)
    j = WorkerJob
    with db.transaction() as session:
        taken = session.execute(
            update(WorkerJob)
            .where(
                j.name == name,
                j.next_run_at <= now,
                or_(j.lease_until.is_(None), j.lease_until <= now),
            )
            .values(locked_by=worker, lease_until=now + JOB_LEASE, last_started_at=now)
        ).rowcount
    return bool(taken)


def finish_job(
    db: Database, name: str, worker: str, now: dt.datetime, every: dt.timedelta, outcome: str
) -> None:
    """Let the job go until its next period, recording what it did."""
    j = WorkerJob
    with db.transaction() as session:
        session.execute(
            update(WorkerJob)
            .where(j.name == name, j.locked_by == worker)
            .values(
                locked_by=None,
                lease_until=None,
                next_run_at=now + every,
                last_finished_at=now,
                last_outcome=outcome[:1000],
                runs=j.runs + 1,
            )
        )


def _ensure(db: Database, name: str, now: dt.datetime) -> None:
    with db.transaction() as session:
        if session.get(WorkerJob, name) is not None:
            return
    try:
        with db.transaction() as session:
            session.add(WorkerJob(name=name, next_run_at=now, last_outcome="", runs=0))
    except IntegrityError:  # another worker added it first
        pass


@dataclass(frozen=True)
class JobState:
    name: str
    next_run_at: dt.datetime
    running_on: str | None
    last_finished_at: dt.datetime | None
    last_outcome: str
    runs: int


def job_states(db: Database) -> list[JobState]:
    """Every job a worker has run or scheduled, for the health report."""
    with db.transaction() as session:
        rows = session.scalars(select(WorkerJob).order_by(WorkerJob.name)).all()
        return [
            JobState(r.name, r.next_run_at, r.locked_by, r.last_finished_at, r.last_outcome, r.runs)
            for r in rows
        ]


def run_due_jobs(
    site: Site,
    worker: str,
    periods: Mapping[str, dt.timedelta],
    now: dt.datetime,
    today: dt.date | None,
    on_start: Callable[[str], None] | None = None,
) -> list[tuple[str, str]]:
    """Run every job that is due and that this worker could lease; returns (job, outcome) pairs."""
    ran = []
    for name, every in periods.items():
        if not lease_job(site.database, name, worker, now):
            continue
        if on_start is not None:
            on_start(name)
        try:
            outcome = JOBS[name].run(site, today)
        except UserError as exc:
            outcome = f"failed: {exc}"
        except Exception as exc:  # one job's defect must not stop the worker or the other jobs
            log.exception("job %s failed", name)
            outcome = f"failed: {type(exc).__name__}: {exc}"
        finish_job(site.database, name, worker, now, every, outcome)
        log.info("job %s: %s", name, outcome)
        ran.append((name, outcome))
    return ran


# -- the jobs -------------------------------------------------------------------------------


def people_sync_job(site: Site, today: dt.date | None) -> str:
    """Incremental people sync from every enabled HR source (each gets its own cursor back).

    The same service as ``rm-plugin people sync``: people who left lose their proposals and
    their active pairs close.
    """
    try:
        report = sync_roster(site, today=today)
    except NoSource as exc:
        return f"nothing to do: {exc}"
    failed = f"; failed: {', '.join(report.failed_sources)}" if report.failed_sources else ""
    return report.lines()[0] + failed


def _each_programme(site: Site, slugs: list[str], step: Callable[[UnitOfWork, str], str], none: str) -> str:
    """``step`` for each programme in a transaction of its own, so one refused programme does not
    stop the others; the job's line joins what each said."""
    parts = []
    for slug in slugs:
        try:
            with unit_of_work(site) as work:
                parts.append(f"{slug}: {step(work, slug)}")
        except UserError as exc:
            parts.append(f"{slug}: {exc}")
    return "; ".join(parts) or none


def nudges_job(site: Site, today: dt.date | None) -> str:
    """Nudges (and agreement reminders) for the pairs at risk in every live programme."""
    with unit_of_work(site) as work:
        slugs = [p.slug for p in live_programmes(work)]

    def nudge(work: UnitOfWork, slug: str) -> str:
        run = nudge_programme(work, slug, today)
        return f"{run.at_risk} at risk, {len(run.sent)} nudge(s)"

    return _each_programme(site, slugs, nudge, "no live programme")


def invitation_reminders_job(site: Site, today: dt.date | None) -> str:
    """Invitation reminders in every programme that is open for applications."""
    with unit_of_work(site) as work:
        slugs = [p.slug for p in list_programmes(work) if p.status == "open"]

    def remind(work: UnitOfWork, slug: str) -> str:
        return f"{len(recruitment.remind(work.session, work.ctx, slug))} reminded"

    return _each_programme(site, slugs, remind, "no open programme")


def at_risk_job(site: Site, today: dt.date | None) -> str:
    """Count the pairs at risk in every live programme, by kind (reads only; nudging is its own job)."""
    parts = []
    with unit_of_work(site) as work:
        for programme in live_programmes(work):
            risks = at_risk_pairs(work, programme.slug, today)
            kinds = {kind: sum(r.kind == kind for r in risks) for kind in ("meetings", "agreement")}
            parts.append(
                f"{programme.slug}: {len(risks)} at risk "
                f"({kinds['meetings']} not meeting, {kinds['agreement']} not signed)"
            )
    return "; ".join(parts) or "no live programme"


def retention_job(site: Site, today: dt.date | None) -> str:
    """Delete the private notes and survey free text each programme's retention time says must go."""
    with unit_of_work(site) as work:
        if today is not None:
            work = dataclasses.replace(work, today=today)
        report = retention.run(work)
    return "; ".join(report.lines()) or "nothing to delete"


register_job("people_sync", people_sync_job, every="6h", what="incremental people sync from every HR source")
register_job("nudges", nudges_job, every="1d", what="nudges and agreement reminders, every live programme")
register_job("invitation_reminders", invitation_reminders_job, every="1d", what="invitation reminders")
register_job("at_risk", at_risk_job, every="1d", what="pairs at risk, counted per live programme")
register_job("retention", retention_job, every="1d", what="private notes and survey free text past retention")
