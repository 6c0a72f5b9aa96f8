"""What the agreement, meeting and survey commands share: who acts, on which pair, on which day.

Participants act with ``--as HR_ID``; a pair is given with ``--pair`` or found from the
person (and ``--programme`` when they are in several). Programme errors become one clear
line on stderr and exit status 1, with nothing written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
from sqlalchemy.orm import Session

from rm_plugin.errors import ProgrammeError
from rm_plugin.programme import lookups
from rm_plugin.site import Site
from rm_plugin.unit_of_work import (
    ProgrammeContext,
    today_in,  # noqa: F401 - the commands import it from here
)
from rm_plugin.unit_of_work import unit_of_work as core_unit_of_work

F = TypeVar("F", bound=Callable[..., Any])


def as_option(required: bool = True) -> Callable[[F], F]:
    return click.option(
        "--as", "as_hr_id", metavar="HR_ID", required=required, help="The HR id of the person acting."
    )


def pair_options(func: F) -> F:
    func = click.option("--programme", "programme_slug", metavar="SLUG", help="The programme, if several.")(
        func
    )
    return click.option("--pair", "pair_id", type=int, help="The pair's id (default: the acting person's).")(
        func
    )


def resolve_pair(session: Session, hr_id: str | None, pair_id: int | None, programme_slug: str | None) -> int:
    if pair_id is not None:
        return pair_id
    if hr_id is None:
        raise ProgrammeError("give --pair, or --as a person in exactly one active pair")
    pairs = lookups.pairs_of(session, hr_id, programme_slug)
    if not pairs:
        where = f" in {programme_slug}" if programme_slug else ""
        raise ProgrammeError(f"{hr_id} is in no active pair{where}")
    if len(pairs) > 1:
        ids = ", ".join(str(p.id) for p in pairs)
        raise ProgrammeError(
            f"{hr_id} is in several active pairs ({ids}); choose one with --pair or --programme"
        )
    return pairs[0].id


@contextmanager
def unit_of_work(site: Site) -> Iterator[tuple[Session, ProgrammeContext]]:
    """The core unit of work as ``(session, ctx)``."""
    with core_unit_of_work(site) as work:
        yield work.session, work.ctx


def parse_date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"expected a date like 2026-03-18, not {value!r}", param_hint=name) from exc
