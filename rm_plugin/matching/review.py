"""The reviewer panel: a proposal becomes an active pair after N distinct approvals.

Someone in the pair, or in either person's management chain (above or below them), cannot
review it; nor can anyone when a chain involved is broken (a manager who is not in the
roster), since a conflict could not be ruled out. A pair with someone who has left is never
approved. One rejection, with a reason, rejects the pair and keeps that combination out of
later runs. Reviewers see the score breakdown without any term computed from opt-in
demographic data. Activation enqueues one ``enrol`` delivery per progress connection in the
same transaction, then fires ``rm_pair_approved`` after the commit.

A programme may name a review panel (its ``reviewers`` setting): then only its members review.

The doors call :func:`approve_pair` and :func:`reject_pair` in a unit of work;
:func:`approve` and :func:`reject` run them in a transaction of their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pluggy
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rm_plugin.domain.records import PairInfo
from rm_plugin.enrolment.programmes import require_running
from rm_plugin.errors import UserError
from rm_plugin.matching.applicants import visible, visible_score
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


def _chain(managers: Mapping[str, str | None], person: str) -> tuple[list[str], str | None]:
    """``person``'s managers, nearest first, and why the chain cannot be trusted (or ``None``).

    A manager named but not stored breaks the chain: who is above them is unknown, which is
    never read as "the top". A chain that comes back on itself is no better.
    """
    seen: list[str] = []
    node = managers.get(person)
    while node is not None:
        if node == person or node in seen:
            return seen, "loops back on itself"
        if node not in managers:
            return seen, f"is broken at {node}, who is not in the roster"
        seen.append(node)
        node = managers[node]
    return seen, None


def conflict(managers: Mapping[str, str | None], reviewer: str, mentee: str, mentor: str) -> str | None:
    """Why ``reviewer`` may not review the pair, or ``None`` if they may."""
    if reviewer in (mentee, mentor):
        return f"{reviewer} is in the pair"
    chains = {who: _chain(managers, who) for who in (mentee, mentor, reviewer)}
    for who, (_, problem) in chains.items():
        if problem:
            return f"{who}'s management chain {problem}, so a conflict cannot be ruled out"
    for member in (mentee, mentor):
        if reviewer in chains[member][0]:
            return f"{reviewer} is in {member}'s management chain"
        if member in chains[reviewer][0]:
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


def review_panel(programme: Programme) -> tuple[str, ...]:
    """The programme's review panel (its ``reviewers`` setting): who alone may review its pairs.

    Empty when none was set: then anyone not in conflict may, but only from the command line;
    the portal shows proposals to panel members only, so no employee browses them unasked.
    """
    return tuple((programme.settings or {}).get("reviewers") or ())


def _reviewer(session: Session, pair: Pair, programme: Programme, reviewer_hr_id: str) -> Person:
    panel = review_panel(programme)
    if panel and reviewer_hr_id not in panel:
        raise MatchingError(
            f"{reviewer_hr_id} is not on the review panel of {programme.slug!r} ({', '.join(panel)})"
        )
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


def _check_members_active(session: Session, pair: Pair) -> None:
    for person_id, role in ((pair.mentee_id, "mentee"), (pair.mentor_id, "mentor")):
        person = session.get(Person, person_id)
        assert person is not None
        if person.status != "active":
            when = f" on {person.termination_date:%Y-%m-%d}" if person.termination_date else ""
            raise MatchingError(
                f"pair {pair.id} cannot be approved: {role} {person.hr_id} left the organisation{when}; "
                "`rm-plugin people sync` or `rm-plugin match propose` withdraws it"
            )


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
    """The ``enrol`` delivery an active pair owes a host (also what a late-enabled host is backfilled).

    It starts when the pair does (the day it became active), not when the programme did.
    """
    start = pair.starts_on or programme.starts_on
    return {
        "key": enrolment_key(pair.id, connection),
        "connection": connection,
        "action": "enrol",
        "payload": {
            "pair_id": pair.id,
            "programme": programme.slug,
            "mentee": mentee,
            "mentor": mentor,
            "start": start.isoformat() if start else None,
            "end": programme.ends_on.isoformat() if programme.ends_on else None,
        },
    }


def pair_info(pair: Pair, programme: Programme, mentee: str, mentor: str) -> PairInfo:
    """What plugins hear of a pair: the score is the visible one, never the demographic term."""
    return PairInfo(
        id=pair.id,
        programme_slug=programme.slug,
        mentee_hr_id=mentee,
        mentor_hr_id=mentor,
        status=pair.status,
        score=visible_score(pair.breakdown or {}) if pair.score is not None else None,
    )


def approve_pair(
    work: UnitOfWork, pair_id: int, reviewer_hr_id: str, *, programme_slug: str | None = None
) -> ReviewOutcome:
    """Record an approval; with enough distinct approvals the pair becomes active.

    Each enabled progress connection that takes enrolments (``work.ctx.receiving("enrol")``) gets one
    ``enrol`` delivery when the pair becomes active, and ``rm_pair_approved`` fires after commit.
    The pair's clock starts the day it becomes active (``work.today``), or on the programme's
    start if that is later; a programme that is closed or past its end date makes no new pair.
    """
    session, ctx = work.session, work.ctx
    pair, programme = _load(session, pair_id, programme_slug)
    require_running(programme, work.today, "approve pairs")
    _check_members_active(session, pair)
    reviewer = _reviewer(session, pair, programme, reviewer_hr_id)
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
    pair.starts_on = max(programme.starts_on or work.today, work.today)
    enrolled_on = ctx.receiving("enrol")
    for connection in enrolled_on:
        enqueue(session, **enrol_row(programme, pair, mentee, mentor, connection))
    record(session, reviewer_hr_id, "match.activate", "pair", pair.id, approved_by=approvers)
    info = pair_info(pair, programme, mentee, mentor)
    fire_after_commit(session, ctx.hook, "rm_pair_approved", pair=info, approved_by=list(approvers))
    return ReviewOutcome(info.id, "active", len(approvers), required, tuple(approvers), enrolled_on)


@dataclass(frozen=True)
class BatchApproval:
    """One reviewer's approvals of many pairs: each decided on its own."""

    approved: tuple[ReviewOutcome, ...]
    refused: tuple[tuple[int, str], ...]  # pair id, why this reviewer's approval was refused


def approve_pairs(
    work: UnitOfWork, programme_slug: str, reviewer_hr_id: str, pair_ids: Sequence[int] | None = None
) -> BatchApproval:
    """``reviewer_hr_id`` approves each of ``pair_ids`` (default: every proposed pair of the programme).

    Each approval is :func:`approve_pair` in a savepoint of its own, so one the reviewer may not
    give (in a management chain, already decided, over a capacity) is listed with its reason and
    the others still count; pairs that reach their approvals become active as one by one.
    """
    session = work.session
    if pair_ids is None:
        programme = load_programme(session, programme_slug)
        pair_ids = list(
            session.scalars(
                select(Pair.id)
                .where(Pair.programme_id == programme.id, Pair.status == "proposed")
                .order_by(Pair.id)
            )
        )
    approved: list[ReviewOutcome] = []
    refused: list[tuple[int, str]] = []
    for pair_id in pair_ids:
        try:
            with session.begin_nested():
                approved.append(approve_pair(work, pair_id, reviewer_hr_id, programme_slug=programme_slug))
        except UserError as exc:
            refused.append((pair_id, str(exc)))
    return BatchApproval(tuple(approved), tuple(refused))


def approve(
    db: Database,
    pair_id: int,
    reviewer_hr_id: str,
    *,
    pm: pluggy.PluginManager | None = None,
    progress_connections: Sequence[str] = (),
    programme_slug: str | None = None,
    today: dt.date | None = None,
    ctx: ProgrammeContext | None = None,
) -> ReviewOutcome:
    """:func:`approve_pair` in a transaction of its own.

    :param progress_connections: names of the enabled connections with role ``progress``;
        each gets one ``enrol`` delivery when the pair becomes active (unless ``ctx`` is given).
    :param today: the day of the decision (default: today), which starts an activated pair's clock.
    :param ctx: a site's programme context (:meth:`ProgrammeContext.from_site`), which knows
        which connections take enrolments; it replaces ``pm`` and ``progress_connections``.
    """
    if ctx is None:
        ctx = ProgrammeContext(progress=tuple(progress_connections), hook=pm.hook if pm is not None else None)
    with db.transaction() as session:
        work = UnitOfWork(session, ctx, today or dt.date.today())
        return approve_pair(work, pair_id, reviewer_hr_id, programme_slug=programme_slug)


def reject_pair(
    work: UnitOfWork, pair_id: int, reviewer_hr_id: str, reason: str, *, programme_slug: str | None = None
) -> ReviewOutcome:
    """Reject a proposal with a reason; later runs never propose this combination again."""
    if not reason or not reason.strip():
        raise MatchingError("a rejection needs a reason (say why this pair should not be made)")
    session = work.session
    pair, programme = _load(session, pair_id, programme_slug)
    reviewer = _reviewer(session, pair, programme, reviewer_hr_id)
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


def _eligible(
    session: Session, pair_id: int, candidates: Iterable[str] | None = None, limit: int | None = None
) -> list[str]:
    """The first ``limit`` allowed reviewers by HR id (all without a limit).

    Without ``candidates``, active people are read a page at a time and each page's chains
    are read a level at a time, so finding 20 reviewers costs a few queries whatever the
    organisation's size.
    """
    pair = session.get(Pair, pair_id)
    if pair is None:
        raise MatchingError(f"no pair {pair_id}")
    mentee, mentor = _people(session, pair)
    managers = ManagerLookup(session)
    managers.prefetch_chains([mentee, mentor])
    if any(_chain(managers, member)[1] for member in (mentee, mentor)):
        return []
    decided = set(
        session.scalars(
            select(Person.hr_id)
            .join(ReviewDecision, ReviewDecision.reviewer_id == Person.id)
            .where(ReviewDecision.pair_id == pair_id)
        )
    )

    def allowed(page: Sequence[str]) -> list[str]:
        managers.prefetch_chains(page)
        return [hr for hr in page if hr not in decided and conflict(managers, hr, mentee, mentor) is None]

    if candidates is not None:
        pool = list(dict.fromkeys(candidates))
        active = active_hr_ids(session, pool)
        return allowed([c for c in pool if c in active])[:limit]
    found: list[str] = []
    after, size = "", 50
    while limit is None or len(found) < limit:
        page = list(
            session.scalars(
                select(Person.hr_id)
                .where(Person.status == "active", Person.hr_id > after)
                .order_by(Person.hr_id)
                .limit(size)
            )
        )
        if not page:
            break
        found.extend(allowed(page))
        after, size = page[-1], min(size * 4, 2000)
    return found if limit is None else found[:limit]


def reviewer_breakdown(breakdown: Mapping[str, Any]) -> dict[str, Any]:
    """The score breakdown a reviewer may see: terms from opt-in demographic data are left out."""
    return visible(breakdown)


def reviewer_score(breakdown: Mapping[str, Any]) -> float:
    """The score a reviewer is shown: the sum of the terms they may see, so the hidden
    demographic term cannot be worked out as the total minus the visible terms."""
    return visible_score(breakdown)


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
    today: dt.date | None = None,
    ctx: ProgrammeContext | None = None,
) -> PanelResult:
    """Have a pool of reviewers approve every proposed pair of a programme (the demo's panel).

    For each pair, the first reviewers of ``reviewers`` allowed to review it approve it until
    the programme's required number is reached; a pair without enough allowed reviewers is
    skipped with the reason, and one that would exceed a capacity is skipped too.
    """
    with db.transaction() as session:
        programme = load_programme(session, programme_slug)
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
                outcome = approve(
                    db,
                    pair_id,
                    reviewer,
                    pm=pm,
                    progress_connections=progress_connections,
                    today=today,
                    ctx=ctx,
                )
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
    skills: tuple[str, ...] = ()  # the mentee's wanted skills the mentor offers, highest priority first


def review_queue(work: UnitOfWork, programme_slug: str, status: str = "proposed") -> list[QueuedPair]:
    """A programme's pairs of one status (``all`` for every status) with their approvals so far."""
    session = work.session
    programme = load_programme(session, programme_slug)
    query = select(Pair).where(Pair.programme_id == programme.id).order_by(Pair.id)
    if status != "all":
        query = query.where(Pair.status == status)
    pairs = list(session.scalars(query))
    names = display_names(session, {p.mentee_id for p in pairs} | {p.mentor_id for p in pairs})
    skills = matched_skills(session, programme, pairs)
    approvals = approvals_by_pair(session, programme)
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
            skills=tuple(skill for skill, _ in skills[p.id][0]),
        )
        for p in pairs
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
    skills_matched: list[tuple[str, int]] = field(default_factory=list)  # (skill, priority 1-3)
    skills_missing: list[tuple[str, int]] = field(default_factory=list)  # wanted, not offered


def pair_review(work: UnitOfWork, programme_slug: str, pair_id: int) -> PairReview:
    """One pair as a reviewer reads it (``match show --pair``): score terms, decisions, history.

    Reads only the pair's own rows and a few pages of people, whatever the organisation's size.
    """
    session = work.session
    programme = load_programme(session, programme_slug)
    pair = session.get(Pair, pair_id)
    if pair is None or pair.programme_id != programme.id:
        raise MatchingError(f"no pair {pair_id} in {programme_slug!r}")
    names = display_names(session, {pair.mentee_id, pair.mentor_id})
    decisions = session.execute(
        select(ReviewDecision, Person.hr_id)
        .join(Person, Person.id == ReviewDecision.reviewer_id)
        .where(ReviewDecision.pair_id == pair_id)
        .order_by(ReviewDecision.id)
    ).all()
    history = session.scalars(
        select(PairStatusChange).where(PairStatusChange.pair_id == pair_id).order_by(PairStatusChange.id)
    ).all()
    matched, missing = matched_skills(session, programme, [pair])[pair.id]
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
        may_review=_eligible(session, pair_id, limit=20) if pair.status == "proposed" else [],
        skills_matched=matched,
        skills_missing=missing,
    )


def approvals_by_pair(session: Session, programme: Programme) -> dict[int, int]:
    """Pair id -> approvals so far, for the programme's pairs that have any."""
    return dict(
        session.execute(
            select(ReviewDecision.pair_id, func.count())
            .join(Pair, Pair.id == ReviewDecision.pair_id)
            .where(ReviewDecision.decision == "approve", Pair.programme_id == programme.id)
            .group_by(ReviewDecision.pair_id)
        ).all()
    )


def display_names(session: Session, person_ids: Collection[int]) -> dict[int, tuple[str, str]]:
    """Person id -> (HR id, display name), for the people asked for."""
    out: dict[int, tuple[str, str]] = {}
    ids = sorted(person_ids)
    for start in range(0, len(ids), ManagerLookup.BATCH):
        rows = session.execute(
            select(Person.id, Person.hr_id, Person.given_name, Person.family_name).where(
                Person.id.in_(ids[start : start + ManagerLookup.BATCH])
            )
        )
        out.update({pid: (hr_id, f"{given} {family}".strip() or hr_id) for pid, hr_id, given, family in rows})
    return out


def matched_skills(
    session: Session, programme: Programme, pairs: Sequence[Pair]
) -> dict[int, tuple[list[tuple[str, int]], list[tuple[str, int]]]]:
    """Per pair: the mentee's wanted skills the mentor offers, and those they do not, as
    (skill, priority), highest priority first."""
    wanted: dict[int, dict[str, int]] = {}
    offered: dict[int, set[str]] = {}
    for person_id, role, skills_wanted, skills_offered in session.execute(
        select(
            Application.person_id, Application.role, Application.skills_wanted, Application.skills_offered
        ).where(Application.programme_id == programme.id)
    ):
        if role == "mentee":
            wanted[person_id] = dict(skills_wanted or {})
        else:
            offered[person_id] = set(skills_offered or ())
    out = {}
    for pair in pairs:
        ranked = sorted(wanted.get(pair.mentee_id, {}).items(), key=lambda item: (-int(item[1]), item[0]))
        has = offered.get(pair.mentor_id, set())
        out[pair.id] = (
            [(skill, int(p)) for skill, p in ranked if skill in has],
            [(skill, int(p)) for skill, p in ranked if skill not in has],
        )
    return out
