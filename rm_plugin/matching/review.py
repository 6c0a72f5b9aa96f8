"""The reviewer panel: a proposal becomes an active pair after N distinct approvals.

Someone in the pair, or in either person's management chain (above or below them), cannot
review it. One rejection, with a reason, rejects the pair and keeps that combination out of
later runs. Reviewers see the score breakdown without any term computed from opt-in
demographic data. Activation enqueues one ``enrol`` delivery per progress connection in the
same transaction, then fires ``rm_pair_approved`` after the commit.

The doors call :func:`approve_pair` and :func:`reject_pair` in a unit of work;
:func:`approve` and :func:`reject` run them in a transaction of their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pluggy
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rm_plugin.domain.records import PairInfo
from rm_plugin.matching.applicants import DEMOGRAPHIC_TERMS
from rm_plugin.matching.state import ManagerLookup, MatchingError, active_hr_ids, load_programme
from rm_plugin.outbox import enqueue, enrolment_key
from rm_plugin.store import Database
from rm_plugin.store.audit import record
from rm_plugin.store.models import Application, Pair, PairStatusChange, Person, Programme, ReviewDecision
from rm_plugin.unit_of_work import ProgrammeContext, UnitOfWork, fire_after_commit


@dataclass(frozen=True)
class ReviewOutcome:
    """Where a pair stands after a review decision."""

    pair_id: int
    status: str
    approvals: int
    required: int
    approved_by: tuple[str, ...] = ()
    enrolled_on: tuple[str, ...] = ()  # the progress connections an enrolment was queued for


def _chain(managers: Mapping[str, str | None], person: str) -> list[str]:
    """``person``'s managers, nearest first (stops on a loop)."""
    seen: list[str] = []
    node = managers.get(person)
    while node is not None and node not in seen and node != person:
        seen.append(node)
        node = managers.get(node)
    return seen


def conflict(managers: Mapping[str, str | None], reviewer: str, mentee: str, mentor: str) -> str | None:
    """Why ``reviewer`` may not review the pair, or ``None`` if they may."""
    if reviewer in (mentee, mentor):
        return f"{reviewer} is in the pair"
    for member in (mentee, mentor):
        if reviewer in _chain(managers, member):
            return f"{reviewer} is in {member}'s management chain"
        if member in _chain(managers, reviewer):
            return f"{member} is in {reviewer}'s management chain"
    return None


def _people(session: Session, pair: Pair) -> tuple[str, str]:
    mentee = session.get(Person, pair.mentee_id)
    mentor = session.get(Person, pair.mentor_id)
    assert mentee is not None and mentor is not None
    return mentee.hr_id, mentor.hr_id


def _load(session: Session, pair_id: int, programme_slug: str | None) -> tuple[Pair, Programme]:
    pair = session.get(Pair, pair_id, with_for_update=True)
    if pair is None:
        raise MatchingError(f"no pair {pair_id}")
    programme = session.get(Programme, pair.programme_id)
    assert programme is not None
    if programme_slug is not None and programme.slug != programme_slug:
        raise MatchingError(f"pair {pair_id} belongs to programme {programme.slug!r}, not {programme_slug!r}")
    if pair.status != "proposed":
        raise MatchingError(f"pair {pair_id} is {pair.status}; only proposed pairs are reviewed")
    return pair, programme


def _reviewer(session: Session, pair: Pair, reviewer_hr_id: str) -> Person:
    reviewer = session.scalars(select(Person).where(Person.hr_id == reviewer_hr_id)).one_or_none()
    if reviewer is None or reviewer.status != "active":
        raise MatchingError(f"reviewer {reviewer_hr_id} is not an active person")
    mentee, mentor = _people(session, pair)
    why = conflict(ManagerLookup(session), reviewer_hr_id, mentee, mentor)
    if why:
        raise MatchingError(f"{reviewer_hr_id} cannot review pair {pair.id}: {why}")
    earlier = session.scalars(
        select(ReviewDecision).where(
            ReviewDecision.pair_id == pair.id, ReviewDecision.reviewer_id == reviewer.id
        )
    ).one_or_none()
    if earlier is not None:
        raise MatchingError(f"{reviewer_hr_id} already decided on pair {pair.id} ({earlier.decision})")
    return reviewer


def _approvers(session: Session, pair_id: int) -> list[str]:
    rows = session.scalars(
        select(Person.hr_id)
        .join(ReviewDecision, ReviewDecision.reviewer_id == Person.id)
        .where(ReviewDecision.pair_id == pair_id, ReviewDecision.decision == "approve")
        .order_by(ReviewDecision.id)
    )
    return list(rows)


def _check_capacity(session: Session, pair: Pair, programme: Programme, mentee: str, mentor: str) -> None:
    active = (Pair.programme_id == pair.programme_id) & (Pair.status == "active")
    if session.scalar(select(func.count()).select_from(Pair).where(active, Pair.mentee_id == pair.mentee_id)):
        raise MatchingError(f"{mentee} already has an active pair in {programme.slug!r}; reject this one")
    override = session.scalar(
        select(Application.capacity).where(
            Application.programme_id == programme.id,
            Application.person_id == pair.mentor_id,
            Application.role == "mentor",
        )
    )
    capacity = programme.mentor_capacity if override is None else override
    load = session.scalar(
        select(func.count()).select_from(Pair).where(active, Pair.mentor_id == pair.mentor_id)
    )
    if (load or 0) >= capacity:
        raise MatchingError(
            f"mentor {mentor} already has {load} active pair(s), their capacity; reject this one"
        )


def enrol_row(programme: Programme, pair: Pair, mentee: str, mentor: str, connection: str) -> dict[str, Any]:
    """The ``enrol`` delivery an active pair owes a host (also what a late-enabled host is backfilled)."""
    return {
        "key": enrolment_key(pair.id, connection),
        "connection": connection,
        "action": "enrol",
        "payload": {
            "pair_id": pair.id,
            "programme": programme.slug,
            "mentee": mentee,
            "mentor": mentor,
            "start": programme.starts_on.isoformat() if programme.starts_on else None,
            "end": programme.ends_on.isoformat() if programme.ends_on else None,
        },
    }


def pair_info(pair: Pair, programme: Programme, mentee: str, mentor: str) -> PairInfo:
    return PairInfo(
        id=pair.id,
        programme_slug=programme.slug,
        mentee_hr_id=mentee,
        mentor_hr_id=mentor,
        status=pair.status,
        score=pair.score,
    )


def approve_pair(
    work: UnitOfWork, pair_id: int, reviewer_hr_id: str, *, programme_slug: str | None = None
) -> ReviewOutcome:
    """Record an approval; with enough distinct approvals the pair becomes active.

    Each of ``work.ctx.progress`` (the enabled connections with role ``progress``) gets one
    ``enrol`` delivery when the pair becomes active, and ``rm_pair_approved`` fires after commit.
    """
    session, ctx = work.session, work.ctx
    pair, programme = _load(session, pair_id, programme_slug)
    reviewer = _reviewer(session, pair, reviewer_hr_id)
    session.add(ReviewDecision(pair_id=pair.id, reviewer_id=reviewer.id, decision="approve"))
    session.flush()
    record(session, reviewer_hr_id, "match.approve", "pair", pair.id, programme=programme.slug)
    approvers = _approvers(session, pair.id)
    required = max(programme.reviewers_required, 1)
    if len(approvers) < required:
        return ReviewOutcome(pair.id, pair.status, len(approvers), required, tuple(approvers))
    mentee, mentor = _people(session, pair)
    _check_capacity(session, pair, programme, mentee, mentor)
    session.add(
        PairStatusChange(
            pair_id=pair.id,
            from_status="proposed",
            to_status="active",
            actor=reviewer_hr_id,
            reason=f"approved by {', '.join(approvers)}",
        )
    )
    pair.status = "active"
    for connection in ctx.progress:
        enqueue(session, **enrol_row(programme, pair, mentee, mentor, connection))
    record(session, reviewer_hr_id, "match.activate", "pair", pair.id, approved_by=approvers)
    info = pair_info(pair, programme, mentee, mentor)
    fire_after_commit(session, ctx.hook, "rm_pair_approved", pair=info, approved_by=list(approvers))
    return ReviewOutcome(info.id, "active", len(approvers), required, tuple(approvers), ctx.progress)


def approve(
    db: Database,
    pair_id: int,
    reviewer_hr_id: str,
    *,
    pm: pluggy.PluginManager | None = None,
    progress_connections: Sequence[str] = (),
    programme_slug: str | None = None,
) -> ReviewOutcome:
    """:func:`approve_pair` in a transaction of its own.

    :param progress_connections: names of the enabled connections with role ``progress``;
        each gets one ``enrol`` delivery when the pair becomes active.
    """
    ctx = ProgrammeContext(progress=tuple(progress_connections), hook=pm.hook if pm is not None else None)
    with db.transaction() as session:
        return approve_pair(UnitOfWork(session, ctx), pair_id, reviewer_hr_id, programme_slug=programme_slug)


def reject_pair(
    work: UnitOfWork, pair_id: int, reviewer_hr_id: str, reason: str, *, programme_slug: str | None = None
) -> ReviewOutcome:
    """Reject a proposal with a reason; later runs never propose this combination again."""
    if not reason or not reason.strip():
        raise MatchingError("a rejection needs a reason (say why this pair should not be made)")
    session = work.session
    pair, programme = _load(session, pair_id, programme_slug)
    reviewer = _reviewer(session, pair, reviewer_hr_id)
    session.add(
        ReviewDecision(pair_id=pair.id, reviewer_id=reviewer.id, decision="reject", reason=reason.strip())
    )
    session.add(
        PairStatusChange(
            pair_id=pair.id,
            from_status="proposed",
            to_status="rejected",
            actor=reviewer_hr_id,
            reason=reason.strip(),
        )
    )
    pair.status = "rejected"
    record(
        session,
        reviewer_hr_id,
        "match.reject",
        "pair",
        pair.id,
        programme=programme.slug,
        reason=reason.strip(),
    )
    approvals = len(_approvers(session, pair.id))
    return ReviewOutcome(pair.id, "rejected", approvals, programme.reviewers_required)


def reject(
    db: Database, pair_id: int, reviewer_hr_id: str, reason: str, *, programme_slug: str | None = None
) -> ReviewOutcome:
    """:func:`reject_pair` in a transaction of its own."""
    with db.transaction() as session:
        return reject_pair(
            UnitOfWork(session), pair_id, reviewer_hr_id, reason, programme_slug=programme_slug
        )


def eligible_reviewers(db: Database, pair_id: int, candidates: Iterable[str] | None = None) -> list[str]:
    """HR ids allowed to review a pair: active, not in it, not in either chain, not yet decided.

    :param candidates: limit the answer to these HR ids (e.g. the programme's reviewer pool).
    """
    with db.transaction() as session:
        return _eligible(session, pair_id, candidates)


def _eligible(session: Session, pair_id: int, candidates: Iterable[str] | None = None) -> list[str]:
    pair = session.get(Pair, pair_id)
    if pair is None:
        raise MatchingError(f"no pair {pair_id}")
    mentee, mentor = _people(session, pair)
    managers = ManagerLookup(session)
    active = active_hr_ids(session, None if candidates is None else list(candidates))
    decided = set(
        session.scalars(
            select(Person.hr_id)
            .join(ReviewDecision, ReviewDecision.reviewer_id == Person.id)
            .where(ReviewDecision.pair_id == pair_id)
        )
    )
    pool = sorted(active) if candidates is None else [c for c in candidates if c in active]
    return [hr for hr in pool if hr not in decided and conflict(managers, hr, mentee, mentor) is None]


def reviewer_breakdown(breakdown: Mapping[str, Any]) -> dict[str, Any]:
    """The score breakdown a reviewer may see: terms from opt-in demographic data are left out."""
    return {term: parts for term, parts in breakdown.items() if term not in DEMOGRAPHIC_TERMS}


def reviewer_score(breakdown: Mapping[str, Any]) -> float:
    """The score a reviewer is shown: the sum of the terms they may see, so the hidden
    demographic term cannot be worked out as the total minus the visible terms."""
    return round(sum(float(parts.get("points", 0.0)) for parts in reviewer_breakdown(breakdown).values()), 6)


@dataclass(frozen=True)
class PanelResult:
    approved: tuple[ReviewOutcome, ...]
    skipped: tuple[tuple[int, str], ...]  # pair id, why it could not get enough reviewers


def approve_proposals(
    db: Database,
    programme_slug: str,
    reviewers: Sequence[str],
    *,
    pm: pluggy.PluginManager | None = None,
    progress_connections: Sequence[str] = (),
) -> PanelResult:
    """Have a pool of reviewers approve every proposed pair of a programme (the demo's panel).

    For each pair, the first reviewers of ``reviewers`` allowed to review it approve it until
    the programme's required number is reached; a pair without enough allowed reviewers is
    skipped with the reason, and one that would exceed a capacity is skipped too.
    """
    with db.transaction() as session:
        programme = session.scalars(select(Programme).where(Programme.slug == programme_slug)).one_or_none()
        if programme is None:
            raise MatchingError(f"no programme {programme_slug!r}")
        required = max(programme.reviewers_required, 1)
        pair_ids = list(
            session.scalars(
                select(Pair.id)
                .where(Pair.programme_id == programme.id, Pair.status == "proposed")
                .order_by(Pair.id)
            )
        )
    approved: list[ReviewOutcome] = []
    skipped: list[tuple[int, str]] = []
    for pair_id in pair_ids:
        allowed = eligible_reviewers(db, pair_id, reviewers)
        needed = required - len(_decided(db, pair_id))
        if len(allowed) < needed:
            skipped.append((pair_id, f"only {len(allowed)} of the reviewers may review it, {needed} needed"))
            continue
        try:
            for reviewer in allowed[:needed]:
                outcome = approve(db, pair_id, reviewer, pm=pm, progress_connections=progress_connections)
        except MatchingError as exc:
            skipped.append((pair_id, str(exc)))
            continue
        approved.append(outcome)
    return PanelResult(tuple(approved), tuple(skipped))


def _decided(db: Database, pair_id: int) -> list[int]:
    with db.transaction() as session:
        return list(session.scalars(select(ReviewDecision.id).where(ReviewDecision.pair_id == pair_id)))


# --- what reviewers see ----------------------------------------------------------------


def top_terms(breakdown: Mapping[str, Any], n: int = 3) -> list[tuple[str, float]]:
    """The ``n`` score terms that gave a pair most points, among those a reviewer may see."""
    visible = reviewer_breakdown(breakdown)
    ranked = sorted(visible.items(), key=lambda kv: (-kv[1].get("points", 0), kv[0]))
    return [(term, float(parts["points"])) for term, parts in ranked[:n] if parts.get("points")]


@dataclass(frozen=True)
class QueuedPair:
    """One pair in a programme's review queue, as reviewers see it (demographic terms left out)."""

    pair_id: int
    status: str
    mentee: tuple[str, str]  # (HR id, name)
    mentor: tuple[str, str]
    score: float | None  # the reviewer-visible score; None for a pair that was never scored
    approvals: int
    required: int
    pinned: bool
    top_terms: list[tuple[str, float]]


def review_queue(work: UnitOfWork, programme_slug: str, status: str = "proposed") -> list[QueuedPair]:
    """A programme's pairs of one status (``all`` for every status) with their approvals so far."""
    session = work.session
    programme = load_programme(session, programme_slug)
    names = _names(session)
    query = select(Pair).where(Pair.programme_id == programme.id).order_by(Pair.id)
    if status != "all":
        query = query.where(Pair.status == status)
    approvals = dict(
        session.execute(
            select(ReviewDecision.pair_id, func.count())
            .where(ReviewDecision.decision == "approve")
            .group_by(ReviewDecision.pair_id)
        ).all()
    )
    return [
        QueuedPair(
            pair_id=p.id,
            status=p.status,
            mentee=names[p.mentee_id],
            mentor=names[p.mentor_id],
            score=reviewer_score(p.breakdown or {}) if p.score is not None else None,
            approvals=approvals.get(p.id, 0),
            required=programme.reviewers_required,
            pinned=p.pinned,
            top_terms=top_terms(p.breakdown or {}),
        )
        for p in session.scalars(query)
    ]


@dataclass(frozen=True)
class PairReview:
    """Why a pair was made and who decided: what a reviewer reads before deciding."""

    pair_id: int
    status: str
    mentee: tuple[str, str]  # (HR id, name)
    mentor: tuple[str, str]
    score: float  # the reviewer-visible score
    terms: list[tuple[str, float, float, float]]  # (term, value, weight, points), demographic ones left out
    rules_passed: list[str]
    approvals: int
    required: int
    decisions: list[tuple[str, str, str]]  # (reviewer HR id, decision, reason)
    history: list[tuple[dt.datetime, str | None, str, str]]  # (at, from, to, by)
    may_review: list[str]  # HR ids still allowed to review it, at most 20


def pair_review(work: UnitOfWork, programme_slug: str, pair_id: int) -> PairReview:
    """One pair as a reviewer reads it (``match show --pair``): score terms, decisions, history."""
    session = work.session
    programme = load_programme(session, programme_slug)
    pair = session.get(Pair, pair_id)
    if pair is None or pair.programme_id != programme.id:
        raise MatchingError(f"no pair {pair_id} in {programme_slug!r}")
    names = _names(session)
    decisions = session.execute(
        select(ReviewDecision, Person.hr_id)
        .join(Person, Person.id == ReviewDecision.reviewer_id)
        .where(ReviewDecision.pair_id == pair_id)
        .order_by(ReviewDecision.id)
    ).all()
    history = session.scalars(
        select(PairStatusChange).where(PairStatusChange.pair_id == pair_id).order_by(PairStatusChange.id)
    ).all()
    return PairReview(
        pair_id=pair.id,
        status=pair.status,
        mentee=names[pair.mentee_id],
        mentor=names[pair.mentor_id],
        score=reviewer_score(pair.breakdown or {}),
        terms=[
            (term, float(parts["value"]), float(parts["weight"]), float(parts["points"]))
            for term, parts in sorted(reviewer_breakdown(pair.breakdown or {}).items())
        ],
        rules_passed=list(pair.rules_passed or []),
        approvals=sum(1 for d, _ in decisions if d.decision == "approve"),
        required=programme.reviewers_required,
        decisions=[(reviewer, d.decision, d.reason or "") for d, reviewer in decisions],
        history=[(c.at, c.from_status, c.to_status, c.actor) for c in history],
        may_review=_eligible(session, pair_id)[:20],
    )


def _names(session: Session) -> dict[int, tuple[str, str]]:
    """Person id -> (HR id, display name), for everyone."""
    rows = session.execute(select(Person.id, Person.hr_id, Person.given_name, Person.family_name))
    return {pid: (hr_id, f"{given} {family}".strip() or hr_id) for pid, hr_id, given, family in rows}
