"""The whole contract between rm-plugin and host connectors and site customisations.

Every hook is prefixed ``rm_``. A plugin implements any subset of them with
``@rm_plugin.hookimpl`` and may accept only some of a hook's arguments, so new arguments
can be added later without breaking it.

Targeted hooks take the name of a *connection* (a file ``connectors/<name>.toml``) or a
:class:`~rm_plugin.domain.records.Delivery` that carries one: an implementation answers
only for its own connection and returns ``None`` otherwise. Those hooks are
``firstresult``: the one connection that owns the name answers. Hooks that gather from
everybody (people, health, score terms, vetoes) return one result per plugin.

Values crossing this seam are the frozen dataclasses of :mod:`rm_plugin.domain.records`;
none of them carries meeting notes, survey comments or opt-in demographic data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from rm_plugin.connections import ConnectorType
    from rm_plugin.domain.records import (
        ApplicantView,
        Delivery,
        HealthReport,
        MeetingInfo,
        PairInfo,
        PeopleBatch,
        PersonRecord,
        ProgrammeInfo,
        Receipt,
    )

hookspec = pluggy.HookspecMarker("rm_plugin")


# --- registration ---------------------------------------------------------------------


@hookspec
def rm_register_connector_types(register: Callable[[ConnectorType], None]) -> None:
    """Declare the kinds of host connection this plugin provides.

    Called once at start, before any connector config is read.

    :param register: call it with a :class:`~rm_plugin.connections.ConnectorType`
        (its name, the marshmallow schema of its config file and a factory that builds one
        connection object per config file). Each connection object is then registered as a
        plugin of its own, so its methods implement the targeted hooks below.

    Return value is ignored.
    """


@hookspec
def rm_register_commands(cli: click.Group) -> None:
    """Add commands to the ``rm-plugin`` command line.

    Called once when the CLI starts, after the built-in commands exist.

    :param cli: the top-level click group; add commands or sub-groups to it.

    Return value is ignored.
    """


# --- people -------------------------------------------------------------------------


@hookspec
def rm_fetch_people(connection: str | None, since: str | None) -> PeopleBatch | None:
    """Pull people from an HR source (the roster).

    Called by ``rm-plugin people sync`` on every enabled connection.

    :param connection: the connection asked for, or ``None`` for every HR source.
    :param since: the cursor this source returned last time (``PeopleBatch.cursor``) for an
        incremental pull, or ``None`` for a full roster.

    :return: a :class:`~rm_plugin.domain.records.PeopleBatch` with the records the source
        could read and a :class:`~rm_plugin.domain.records.RowProblem` for each record it
        could not, or ``None`` if this plugin is not an HR source for ``connection``.
        Each answering source contributes one batch; batches are merged by HR id, then
        work email, and a conflict between sources is reported, never merged silently.
    """


@hookspec(firstresult=True)
def rm_resolve_accounts(connection: str, people: Sequence[PersonRecord]) -> Mapping[str, str] | None:
    """Find the host accounts of many people at once.

    Called by the sync worker before it delivers a batch of ``enrol`` rows, for the people they
    name who have no account recorded on ``connection`` yet. The answer is kept in the site's
    account directory (:class:`~rm_plugin.connections.AccountDirectory`), where connectors,
    the portal and later runs find it.

    :param connection: the host connection asked.
    :param people: the people to resolve.

    :return: a mapping of HR id to the host's own account id for every person found
        (people without an account are simply absent), or ``None`` if ``connection`` is not
        this plugin's. First result wins.
    """


# --- hosts: health and setup ----------------------------------------------------------


@hookspec
def rm_check_health(connection: str | None, programmes: Sequence[ProgrammeInfo]) -> HealthReport | None:
    """Reach a host and check that it is set up as the product needs.

    Called by ``rm-plugin check`` after all config validated.

    :param connection: the connection to check, or ``None`` for all of them.
    :param programmes: the site's open and running programmes, each with its milestone list
        (``ProgrammeInfo.definitions``), so a connector can name every milestone or award its
        config does not map. An implementation may leave this argument out.

    :return: a :class:`~rm_plugin.domain.records.HealthReport` naming every problem in a
        sentence an admin can act on (for Moodle: which web-service functions the token's
        service lacks, which capability the integration role lacks), and warnings for what
        works but will leave some deliveries undone (people without an account), or ``None``
        for a plugin that is not a connection asked for.
    """


@hookspec(firstresult=True)
def rm_prepare_programme(connection: str, programme: ProgrammeInfo) -> Receipt | None:
    """Make sure a programme's structures exist on a host (course, activities, types…).

    Called by the sync worker for outbox rows with action ``prepare``, which it delivers before
    the host's other rows. Implementations check before creating, so a repeat creates nothing.

    :param connection: the host connection asked.
    :param programme: the programme to prepare.

    :return: a :class:`~rm_plugin.domain.records.Receipt` holding the host's ids for the
        programme's structures, or ``None`` if ``connection`` is not this plugin's. Raise
        an error naming what is missing when the host cannot be prepared. First result wins.
    """


# --- hosts: deliveries from the outbox ------------------------------------------------


@hookspec(firstresult=True)
def rm_enrol_pair(delivery: Delivery) -> Receipt | None:
    """Enrol both members of an active pair on a host (a course, a cohort, a mentorship).

    Called by the sync worker for outbox rows with action ``enrol``. The payload holds
    ``pair_id``, ``programme``, ``mentee`` and ``mentor`` (HR ids) and ``start``/``end``.

    :param delivery: the outbox row, with its idempotency key and any previous receipt.

    :return: a :class:`~rm_plugin.domain.records.Receipt`, or ``None`` if
        ``delivery.connection`` is not this plugin's. Raise a
        :class:`~rm_plugin.http.errors.HostError` (or any exception) to fail the delivery;
        retryable errors are retried with backoff, others parked with their message.
        First result wins.
    """


@hookspec(firstresult=True)
def rm_close_pair(delivery: Delivery) -> Receipt | None:
    """Close a pair's enrolment or mentorship on a host when the pair ends.

    Called by the sync worker for outbox rows with action ``close``; the payload holds
    ``pair_id``, ``programme``, ``mentee``, ``mentor``, ``end`` and ``reason``.

    :param delivery: the outbox row, with its idempotency key and any previous receipt.

    :return: a :class:`~rm_plugin.domain.records.Receipt`, or ``None`` if
        ``delivery.connection`` is not this plugin's. First result wins.
    """


@hookspec(firstresult=True)
def rm_record_milestone(delivery: Delivery) -> Receipt | None:
    """Record a reached milestone on a host, as the host's own completion.

    Called by the sync worker for outbox rows with action ``completion``. The payload
    holds ``programme``, ``milestone``, ``person`` (HR id), ``pair_id`` and ``reached_on``.

    :param delivery: the outbox row, with its idempotency key and any previous receipt.

    :return: a :class:`~rm_plugin.domain.records.Receipt`, or ``None`` if
        ``delivery.connection`` is not this plugin's. First result wins.
    """


@hookspec(firstresult=True)
def rm_award(delivery: Delivery) -> Receipt | None:
    """Award recognition on a host, as the host's own badge or training record.

    Called by the sync worker for outbox rows with action ``award``. The payload holds
    ``programme``, ``award`` (its configured name), ``person`` and ``pair_id``. Awards are
    often not idempotent on the host: check ``delivery.previous_receipt`` or the host first.

    :param delivery: the outbox row, with its idempotency key and any previous receipt.

    :return: a :class:`~rm_plugin.domain.records.Receipt` (for a badge, the assertion link),
        or ``None`` if ``delivery.connection`` is not this plugin's. First result wins.
    """


@hookspec(firstresult=True)
def rm_put_calendar_event(delivery: Delivery) -> Receipt | None:
    """Put a pair's agreed meeting schedule in a host calendar.

    Called by the sync worker for outbox rows with action ``calendar``. The payload holds
    ``pair_id``, ``programme``, ``mentee``, ``mentor``, ``summary``, the iCalendar text
    under ``ics`` and the first occurrences under ``occurrences`` (ISO datetimes).

    :param delivery: the outbox row, with its idempotency key and any previous receipt.

    :return: a :class:`~rm_plugin.domain.records.Receipt` with the host's event ids, or
        ``None`` if ``delivery.connection`` is not this plugin's. First result wins.
    """


@hookspec(firstresult=True)
def rm_send_notification(delivery: Delivery) -> Receipt | None:
    """Send a message (invitation, reminder, nudge) to people through a host.

    Called by the sync worker for outbox rows with action ``notify``. The payload holds
    ``audience`` (HR ids), ``subject``, ``body`` and ``kind``. Messages are not idempotent:
    check ``delivery.previous_receipt`` before sending again. A per-recipient failure is
    reported in the receipt's data, not raised, unless no recipient was reached.

    :param delivery: the outbox row, with its idempotency key and any previous receipt.

    :return: a :class:`~rm_plugin.domain.records.Receipt`, or ``None`` if
        ``delivery.connection`` is not this plugin's. First result wins.
    """


# --- matching -------------------------------------------------------------------------


@hookspec
def rm_match_score_terms(
    programme: ProgrammeInfo, pairs: Sequence[tuple[ApplicantView, ApplicantView]]
) -> Mapping[str, Sequence[float]] | None:
    """Add terms to the match score of candidate pairs.

    Called with the candidate pairs that passed the hard rules (each mentee's best few), in
    one batch so a plugin can vectorise; when a run widens its search to reach the optimum,
    once more for each batch of pairs it adds. Return the same term names for every batch.

    :param programme: the programme being matched.
    :param pairs: ``(mentee, mentor)`` views; opt-in demographic data is never included.

    :return: a mapping of term name to one value per pair (same order, each in ``[0, 1]``),
        or ``None``. Every term is weighted by the programme's ``weights`` entry of the
        same name (default 1) and stored in each proposal's breakdown. Results of all
        plugins are merged; a term name returned twice is an error.
    """


@hookspec
def rm_veto_pairs(
    programme: ProgrammeInfo, pairs: Sequence[tuple[ApplicantView, ApplicantView]]
) -> Mapping[int, str] | None:
    """Forbid candidate pairs for a site's own reasons (an opt-out list, a conflict of interest).

    Called with the candidate pairs that passed the built-in hard rules, before plugin terms
    are added, in one batch; when a run widens its search, once more for each batch of pairs
    it adds. A pair vetoed once is never offered again in that run.

    :param programme: the programme being matched.
    :param pairs: ``(mentee, mentor)`` views.

    :return: a mapping of index in ``pairs`` to the reason it is vetoed, or ``None``. A
        vetoed pair is never proposed; its reason is reported to admins.
    """


# --- lifecycle events -----------------------------------------------------------------


@hookspec
def rm_pair_approved(pair: PairInfo, approved_by: Sequence[str]) -> None:
    """A proposed pair became active after the required reviewers approved it.

    :param pair: the pair, now ``active``.
    :param approved_by: HR ids of the reviewers who approved it.

    Return value is ignored; an exception is logged and does not undo the approval.
    """


@hookspec
def rm_pair_closed(pair: PairInfo, reason: str) -> None:
    """An active pair ended: its programme closed, or one of its members left the organisation.

    The hosts' ``close`` deliveries are already in the outbox.

    :param pair: the pair, now ``closed``.
    :param reason: why, as admins read it (e.g. ``mentor E12 left the organisation on 2026-05-01``).

    Return value is ignored; an exception is logged and does not undo the closing.
    """


@hookspec
def rm_agreement_signed(pair: PairInfo, version: int, signed_on: dt.date) -> None:
    """Both members of a pair signed the same version of their agreement.

    :param pair: the pair.
    :param version: the agreement version both signed.
    :param signed_on: the date of the second signature.

    Return value is ignored.
    """


@hookspec
def rm_meeting_logged(pair: PairInfo, meeting: MeetingInfo) -> None:
    """A pair logged (or confirmed) a meeting. The meeting's private notes are not passed.

    :param pair: the pair.
    :param meeting: date, length, mode, topics and whether the other party confirmed it.

    Return value is ignored.
    """


@hookspec
def rm_milestone_reached(pair: PairInfo, milestone: str, people: Sequence[str], reached_on: dt.date) -> None:
    """A pair reached a programme milestone (its host deliveries are already in the outbox).

    :param pair: the pair.
    :param milestone: the milestone's key, e.g. ``agreement_signed``.
    :param people: HR ids of the people the milestone counts for.
    :param reached_on: the date it was reached.

    Return value is ignored.
    """


@hookspec
def rm_programme_closed(programme: ProgrammeInfo, summary: Mapping[str, Any]) -> None:
    """A programme was closed by an admin.

    :param programme: the programme.
    :param summary: aggregate figures only (counts, rates), never personal answers.

    Return value is ignored.
    """
