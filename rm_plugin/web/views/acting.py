"""Who is acting in a participant view, in one unit of work, and how a refusal reaches the page.

A view opens :func:`acting`: it yields the unit of work and the signed-in participant, or
answers 401 when nobody (or somebody who has left) is signed in. Rights come from the services
the view calls: a pair the person is not in raises NotPermitted, which the app answers with 403.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import abort, flash, g, session

from rm_plugin.errors import UserError
from rm_plugin.programme.participant import Participant, signed_in
from rm_plugin.unit_of_work import UnitOfWork, unit_of_work
from rm_plugin.web.portal import portal


def signed_in_person_id() -> int | None:
    value = session.get("person_id")
    return value if isinstance(value, int) else None


@contextmanager
def acting() -> Iterator[tuple[UnitOfWork, Participant]]:
    """A unit of work and the signed-in participant; 401 when there is none."""
    person_id = signed_in_person_id()
    if person_id is None:
        abort(401)
    with unit_of_work(portal().site) as work:
        me = signed_in(work, person_id)
        if me is None:
            session.clear()
            abort(401)
        g.person_zone = me.time_zone
        yield work, me


def refused(error: UserError) -> None:
    """Show a refused action's reasons on the next page (one message per line)."""
    for line in error.lines():
        flash(line, "error")
