"""Matching a programme in the store: propose pairs, and pin the pairs an admin requires.

``propose`` replaces the programme's unreviewed proposals with a fresh run, keeping active
pairs, pinned pairs and proposals a reviewer already approved (their people are taken out
and the mentors' capacity reduced). Proposals with someone who has left are withdrawn first.
The whole run commits in one transaction. Only visible scores leave the run: the stored
breakdown and score, the result and the audit log never hold a term computed from opt-in
demographic data.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

import pluggy
from sqlalchemy.orm import Session

from rm_plugin.enrolment.programmes import programme_info
from rm_plugin.matching import engine
from rm_plugin.matching.candidates import DEFAULT_TOP_K
from rm_plugin.matching.departures import Departure, withdraw_proposals_of_leavers
from rm_plugin.matching.state import (
    MatchingError,
    ProgrammeState,
    load_programme,
    load_state,
    require_open,
)
from rm_plugin.store import Database
from rm_plugin.store.audit import record
from rm_plugin.store.models import Pair, PairStatusChange
from rm_plugin.store.types import utcnow

__all__ = ["MatchingError", "ProposeResult", "ProposedPair", "ReasonCount", "pin", "propose"]


@dataclass(frozen=True)
class ProposedPair:
    pair_id: int
    mentee: str
    mentor: str
    score: float  # the visible score, as reviewers see it


@dataclass(frozen=True)
class ReasonCount:
    """How many people of one role were left unmatched for one kind of reason."""

    role: str
    kind: str
    label: str
    count: int
    examples: tuple[str, ...]  # the first few HR ids


@dataclass(frozen=True)
class ProposeResult:
    """What a run did: new proposals, pairs kept from before, who stayed unmatched and why."""

    programme: str
    run_id: str
    proposed: tuple[ProposedPair, ...]
    kept: int
    replaced: int
    unmatched: tuple[engine.Unmatched, ...]
    problems: tuple[str, ...]  # applications that could not be read (they were left out)
    total_score: float  # the sum of the visible scores
    objective: str = "most_pairs"
    withdrawn: tuple[Departure, ...] = ()  # proposals withdrawn because someone left

    def reasons(self, examples: int = 3) -> list[ReasonCount]:
        """The unmatched counted by role and kind of reason, most frequent first."""
        counts = Counter((u.role, u.kind) for u in self.unmatched)
        firsts: dict[tuple[str, str], list[str]] = {}
        for u in self.unmatched:
            firsts.setdefault((u.role, u.kind), []).append(u.hr_id)
        return [
            ReasonCount(
                role, kind, engine.REASON_KINDS.get(kind, kind), n, tuple(firsts[(role, kind)][:examples])
            )
            for (role, kind), n in sorted(counts.items(), key=lambda item: (item[0][0] != "mentee", -item[1]))
        ]


def _status(session: Session, pair: Pair, to: str, actor: str, reason: str) -> None:
    session.add(
        PairStatusChange(pair_id=pair.id, from_status=pair.status, to_status=to, actor=actor, reason=reason)
    )
    pair.status = to


def _run_engine(
    state: ProgrammeState,
    mentee_ids: list[str],
    mentor_capacity: dict[str, int],
    pm: pluggy.PluginManager | None,
    top_k: int,
) -> engine.Outcome:
    mentors = [replace(state.mentors[hr], capacity=cap) for hr, cap in mentor_capacity.items()]
    return engine.run(
        [state.mentees[hr] for hr in mentee_ids],
        mentors,
        state.settings,
        org=state.org,
        forbidden=state.forbidden,
        pm=pm,
        programme=programme_info(state.programme),
        top_k=top_k,
    )


def _add_pairs(
    session: Session,
    state: ProgrammeState,
    proposals: Sequence[engine.Proposal],
    run_id: str,
    actor: str,
    *,
    pinned: bool,
) -> list[Pair]:
    """Store proposals as pairs with their first status change (one flush for all of them)."""
    pairs = [
        Pair(
            programme_id=state.programme.id,
            mentee_id=proposal.mentee.person_id,
            mentor_id=proposal.mentor.person_id,
            status="proposed",
            score=proposal.visible_score,
            breakdown={term: dict(parts) for term, parts in proposal.visible_breakdown.items()},
            rules_passed=list(proposal.rules_passed),
            pinned=pinned,
            run_id=run_id,
        )  # its clock starts when it becomes active (``review.approve_pair``), not at proposal
        for proposal in proposals
    ]
    session.add_all(pairs)
    session.flush()
    reason = "pinned by an admin" if pinned else f"proposed by matching run {run_id}"
    session.add_all(
        PairStatusChange(pair_id=pair.id, from_status=None, to_status="proposed", actor=actor, reason=reason)
        for pair in pairs
    )
    return pairs


def propose(
    db: Database,
    pm: pluggy.PluginManager | None,
    programme_slug: str,
    *,
    actor: str = "admin",
    top_k: int = DEFAULT_TOP_K,
) -> ProposeResult:
    """Run matching for a programme and store the proposals (status ``proposed``).

    Deterministic: the same people, applications and pairs give the same proposals.
    ``top_k`` is where the search starts (a speed setting): the result is the same for any.
    """
    run_id = f"{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    with db.transaction() as session:
        programme = load_programme(session, programme_slug, for_update=True)
        require_open(programme)
        departed = withdraw_proposals_of_leavers(session, actor=actor, programme_id=programme.id)
        state = load_state(session, programme)
        for pair in state.replaceable:
            _status(session, pair, "withdrawn", actor, f"replaced by matching run {run_id}")
        taken = state.kept_mentees()
        load = state.mentor_load()
        mentee_ids = sorted(hr for hr in state.mentees if hr not in taken)
        capacity = {hr: max(a.capacity - load.get(hr, 0), 0) for hr, a in sorted(state.mentors.items())}
        outcome = _run_engine(state, mentee_ids, capacity, pm, top_k)
        pairs = _add_pairs(session, state, outcome.proposals, run_id, actor, pinned=False)
        created = [
            ProposedPair(pair.id, proposal.mentee.hr_id, proposal.mentor.hr_id, proposal.visible_score)
            for pair, proposal in zip(pairs, outcome.proposals, strict=True)
        ]
        record(
            session,
            actor,
            "match.propose",
            "programme",
            programme.id,
            run_id=run_id,
            kept=len(state.kept),
            replaced=len(state.replaceable),
            withdrawn=[d.pair_id for d in departed],
            problems=state.problems,
            excluded=[
                {"hr_id": hr, "role": role, "kind": "skipped", "reason": f"application left out: {why}"}
                for (hr, role), why in state.excluded.items()
            ],
            unmatched=[
                {"hr_id": u.hr_id, "role": u.role, "kind": u.kind, "reason": u.reason}
                for u in outcome.unmatched
            ],
            **engine.describe(outcome),
        )
    return ProposeResult(
        programme=programme_slug,
        run_id=run_id,
        proposed=tuple(created),
        kept=len(state.kept),
        replaced=len(state.replaceable),
        unmatched=tuple(outcome.unmatched),
        problems=tuple(state.problems),
        total_score=round(outcome.total_score, 4),
        objective=outcome.objective,
        withdrawn=tuple(departed),
    )


def pin(
    db: Database,
    programme_slug: str,
    mentee_hr_id: str,
    mentor_hr_id: str,
    *,
    actor: str = "admin",
    pm: pluggy.PluginManager | None = None,
) -> int:
    """Require a pair: it must pass every hard rule and fit capacities; later runs keep it.

    Returns the pair's id. An unreviewed proposal of the same mentee is replaced.
    """
    with db.transaction() as session:
        programme = load_programme(session, programme_slug, for_update=True)
        require_open(programme)
        withdraw_proposals_of_leavers(session, actor=actor, programme_id=programme.id)
        state = load_state(session, programme)
        for hr, pool, role in (
            (mentee_hr_id, state.mentees, "mentee"),
            (mentor_hr_id, state.mentors, "mentor"),
        ):
            if (hr, role) in state.excluded:
                why = state.excluded[(hr, role)]
                raise MatchingError(f"{hr} cannot be matched as {role} in {programme_slug!r}: {why}")
            if hr not in pool:
                raise MatchingError(
                    f"{hr} has no submitted {role} application in {programme_slug!r}, or is not active"
                )
        if mentee_hr_id in state.kept_mentees():
            raise MatchingError(
                f"{mentee_hr_id} already has an active, pinned or approved pair in {programme_slug!r}"
            )
        capacity = state.mentors[mentor_hr_id].capacity - state.mentor_load().get(mentor_hr_id, 0)
        if capacity <= 0:
            raise MatchingError(f"mentor {mentor_hr_id} has no capacity left in {programme_slug!r}")
        outcome = _run_engine(state, [mentee_hr_id], {mentor_hr_id: 1}, pm, 1)
        if not outcome.proposals:
            reason = next(
                (u.reason for u in outcome.unmatched if u.role == "mentee"), "it breaks a hard rule"
            )
            raise MatchingError(f"cannot pin {mentee_hr_id} with {mentor_hr_id}: {reason}")
        for pair in state.replaceable:
            if state.hr_of[pair.mentee_id] == mentee_hr_id:
                _status(session, pair, "withdrawn", actor, f"replaced by a pinned pair with {mentor_hr_id}")
        run_id = f"pin-{dt.date.today():%Y%m%d}"
        (pair,) = _add_pairs(session, state, outcome.proposals[:1], run_id, actor, pinned=True)
        record(session, actor, "match.pin", "pair", pair.id, mentee=mentee_hr_id, mentor=mentor_hr_id)
        return pair.id
