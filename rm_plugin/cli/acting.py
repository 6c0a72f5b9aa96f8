"""Options the agreement, meeting and survey commands share: who acts, on which pair, on which day.

Participants act with ``--as HR_ID``; a pair is given with ``--pair`` or found from the
person (and ``--programme`` when they are in several) by the service the command calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

import click

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


def parse_date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"expected a date like 2026-03-18, not {value!r}", param_hint=name) from exc
