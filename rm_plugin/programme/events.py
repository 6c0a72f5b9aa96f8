"""Lifecycle hooks fire only after the transaction that caused them commits.

A hook run inside the transaction could tell a plugin about a change that is then rolled
back; instead callbacks are queued on the session and run by an ``after_commit`` listener,
and dropped on rollback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_QUEUE = "rm_plugin.after_commit"


def after_commit(session: Session, callback: Callable[[], object], what: str) -> None:
    """Run ``callback`` once ``session``'s current transaction commits; ``what`` names it in logs."""
    session.info.setdefault(_QUEUE, []).append((what, callback))


@event.listens_for(Session, "after_commit")
def _run_queued(session: Session) -> None:
    queued = session.info.pop(_QUEUE, [])
    for what, callback in queued:
        try:
            callback()
        except Exception:  # a plugin's failure must not undo or block what was committed
            log.exception("hook %s raised; the change it reports stays committed", what)


@event.listens_for(Session, "after_rollback")
def _drop_queued(session: Session) -> None:
    session.info.pop(_QUEUE, None)
