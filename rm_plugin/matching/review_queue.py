"""A review panel member's queue: the proposals they may decide, and their decisions on several.

Only a member of a programme's review panel (:func:`~rm_plugin.matching.review.review_panel`)
has a queue; anyone else is refused (NotPermitted), so proposals are never shown to people
nobody asked to review them. The queue holds only pairs the member may decide: none they are
in, none in either member's management chain, none they decided already (those are counted,
never shown). Each decision goes through :func:`approve_pair` or :func:`reject_pair`, which
check everything again and write the audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from rm_plugin.errors import NotPermitted
from rm_plugin.matching.review import (
    BatchApproval,
    QueuedPair,
    ReviewOutcome,
    approve_pairs,
    conflict,
    reject_pair,
    review_panel,
    review_queue,
)
from rm_plugin.matching.state import ManagerLookup, MatchingError
from rm_plugin.store.models import Pair, Person, Programme, ReviewDecision
from rm_plugin.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class PanelSeat:
    """A programme whose panel the person sits on, and how many proposals wait for them."""

    slug: str
    name: str
    waiting: int


@dataclass(frozen=True)
class ReviewerQueue:
    """What one panel member sees: the proposals they may decide, and counts of the rest."""

    slug: str
    name: str
    required: int
    pairs: tuple[QueuedPair, ...]
    decided: int  # proposals still open that this member already decided
    not_theirs: int  # proposals this member may not review (a conflict): counted, never shown


@dataclass(frozen=True)
class BatchRejection:
    rejected: tuple[ReviewOutcome, ...]
    refused: tuple[tuple[int, str], ...]  # pair id, why this reviewer's rejection was refused


def reviewing(work: UnitOfWork, hr_id: str) -> list[PanelSeat]:
    """The programmes (not closed) on whose review panel ``hr_id`` sits, by name."""
    programmes = work.session.scalars(
        select(Programme).where(Programme.status != "closed").order_by(Programme.name, Programme.slug)
    )
    seats = []
    for programme in programmes:
        if hr_id in review_panel(programme):
            queue = _queue(work, programme, hr_id)
            seats.append(PanelSeat(programme.slug, programme.name, len(queue.pairs)))
    return seats


def on_a_panel(work: UnitOfWork, hr_id: str) -> bool:
    """Whether ``hr_id`` sits on the review panel of any programme that is not closed."""
    settings = work.session.scalars(select(Programme.settings).where(Programme.status != "closed"))
    return any(hr_id in ((s or {}).get("reviewers") or ()) for s in settings)


def queue_for(work: UnitOfWork, hr_id: str, slug: str) -> ReviewerQueue:
    """The proposals of programme ``slug`` that panel member ``hr_id`` may decide now."""
    return _queue(work, _panel_programme(work, hr_id, slug), hr_id)


def approve_selected(work: UnitOfWork, hr_id: str, slug: str, pair_ids: Sequence[int]) -> BatchApproval:
    """Panel member ``hr_id`` approves each selected proposal, each decided on its own."""
    _panel_programme(work, hr_id, slug)
    if not pair_ids:
        raise MatchingError("select at least one proposal to approve")
    return approve_pairs(work, slug, hr_id, list(pair_ids))


def reject_selected(
    work: UnitOfWork, hr_id: str, slug: str, pair_ids: Sequence[int], reason: str
) -> BatchRejection:
    """Panel member ``hr_id`` rejects each selected proposal with the same reason."""
    _panel_programme(work, hr_id, slug)
    problems = []
    if not pair_ids:
        problems.append("select at least one proposal to reject")
    if not reason.strip():
        problems.append("a rejection needs a reason (say why this pair should not be made)")
    if problems:
        raise MatchingError("\n".join(problems))
    rejected, refused = [], []
    for pair_id in pair_ids:
        try:
            with work.session.begin_nested():
                rejected.append(reject_pair(work, pair_id, hr_id, reason, programme_slug=slug))
        except MatchingError as exc:
            refused.append((pair_id, str(exc)))
    return BatchRejection(tuple(rejected), tuple(refused))


def _panel_programme(work: UnitOfWork, hr_id: str, slug: str) -> Programme:
    programme = work.session.scalar(select(Programme).where(Programme.slug == slug))
    if programme is None or hr_id not in review_panel(programme):
        raise NotPermitted(f"{hr_id} is not on the review panel of programme {slug!r}")
    return programme


def _queue(work: UnitOfWork, programme: Programme, hr_id: str) -> ReviewerQueue:
    session = work.session
    proposed = review_queue(work, programme.slug)
    me = session.scalar(select(Person.id).where(Person.hr_id == hr_id))
    decided = set(
        session.scalars(
            select(ReviewDecision.pair_id)
            .join(Pair, Pair.id == ReviewDecision.pair_id)
            .where(ReviewDecision.reviewer_id == me, Pair.programme_id == programme.id)
        )
    )
    managers = ManagerLookup(session)
    managers.prefetch_chains([hr_id, *(p.mentee[0] for p in proposed), *(p.mentor[0] for p in proposed)])
    mine, already, not_theirs = [], 0, 0
    for pair in proposed:
        if pair.pair_id in decided:
            already += 1
        elif conflict(managers, hr_id, pair.mentee[0], pair.mentor[0]) is not None:
            not_theirs += 1
        else:
            mine.append(pair)
    required = max(programme.reviewers_required, 1)
    return ReviewerQueue(programme.slug, programme.name, required, tuple(mine), already, not_theirs)
