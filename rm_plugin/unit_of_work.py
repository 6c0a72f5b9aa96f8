"""A unit of work: one transaction on the site's database, and what the stages need besides it.

Every door (the command line, the web pages, the worker) does one thing a person asked for
in one unit of work, by calling the stage's service with it::

    with unit_of_work(site) as work:
        signed = agreements.sign_as_member(work, "E100", version=2)
    # committed here; rm_agreement_signed has run

The block commits when it ends and rolls back on any error, a
:class:`~rm_plugin.errors.UserError` included. Lifecycle hooks (``rm_pair_approved``,
``rm_agreement_signed``, ``rm_meeting_logged``, ``rm_milestone_reached``,
``rm_programme_closed``) are queued with :func:`fire_after_commit` and run only after the
transaction committed: a rollback drops them, so no plugin hears of a change that did not
happen, and a plugin that fails cannot undo one that did.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from rm_plugin.exports.renderer import Renderer

if TYPE_CHECKING:
    from rm_plugin.site import Site

log = logging.getLogger(__name__)

_QUEUE = "rm_plugin.after_commit"


@dataclass(frozen=True)
class ProgrammeContext:
    """Connection names by role, the template renderer, and the hook relay (``None``: no hooks).

    ``progress`` connections receive enrolments, completions and awards, ``notify`` ones
    messages, ``calendar`` ones the agreed schedule. ``takes`` names, for the progress
    connections that take only some progress actions, which ones (see :meth:`receiving`).
    """

    progress: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()
    calendar: tuple[str, ...] = ()
    renderer: Renderer = field(default_factory=Renderer)
    hook: Any = None
    takes: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def receiving(self, action: str) -> tuple[str, ...]:
        """The progress connections that take ``action`` (``enrol``, ``completion``, ``award``, ``close``)."""
        return tuple(name for name in self.progress if name not in self.takes or action in self.takes[name])

    @classmethod
    def from_site(cls, site: Site) -> ProgrammeContext:
        """The site's enabled connections by role, its ``exports/`` templates and its plugins."""

        def names(role: str) -> tuple[str, ...]:
            return tuple(c.name for c in site.enabled_connections(role=role))

        takes = {
            c.name: frozenset(site.connector_types[c.type].actions)
            for c in site.enabled_connections(role="progress")
            if site.connector_types[c.type].actions
        }
        return cls(
            progress=names("progress"),
            notify=names("notify"),
            calendar=names("calendar"),
            renderer=Renderer(site.exports_dir),
            hook=site.hook,
            takes=takes,
        )


@dataclass(frozen=True)
class UnitOfWork:
    """An open transaction (``session``), the programme context, and the site's today."""

    session: Session
    ctx: ProgrammeContext = field(default_factory=ProgrammeContext)
    today: dt.date = field(default_factory=dt.date.today)


@contextmanager
def unit_of_work(site: Site) -> Iterator[UnitOfWork]:
    """A transaction on ``site``'s database with its programme context; hooks fire after commit."""
    with site.database.transaction() as session:
        yield UnitOfWork(session, ProgrammeContext.from_site(site), today_in(site))


def today_in(site: Site) -> dt.date:
    """Today in the site's time zone (``[site] timezone``; UTC when it names no known zone)."""
    try:
        zone = zoneinfo.ZoneInfo(str(site.config["site"]["timezone"]))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return dt.datetime.now(zone).date()


def fire_after_commit(session: Session, hook: Any, name: str, **kwargs: Any) -> None:
    """Call the lifecycle hook ``name`` with ``kwargs`` once ``session``'s transaction commits.

    ``hook`` is the plugin manager's hook relay (``None`` fires nothing). This is the one path
    every lifecycle hook takes; an exception from a plugin is logged and the change stays.
    """
    if hook is None:
        return
    caller: Callable[..., object] = getattr(hook, name)
    session.info.setdefault(_QUEUE, []).append((name, lambda: caller(**kwargs)))


@event.listens_for(Session, "after_commit")
def _run_queued(session: Session) -> None:
    queued = session.info.pop(_QUEUE, [])
    for name, callback in queued:
        try:
            callback()
        except Exception:  # a plugin's failure must not undo or block what was committed
            log.exception("hook %s raised; the change it reports stays committed", name)


@event.listens_for(Session, "after_rollback")
def _drop_queued(session: Session) -> None:
    session.info.pop(_QUEUE, None)
