"""Matching commands: ``rm-plugin match propose|show|pin|approve|reject|audit PROGRAMME``."""

from __future__ import annotations

from collections.abc import Sequence

import click
from sqlalchemy import func, select

from rm_plugin.cli.context import SiteHandle, pass_site
from rm_plugin.matching.candidates import DEFAULT_TOP_K
from rm_plugin.matching.fairness import audit as fairness_audit
from rm_plugin.matching.review import (
    approve_pair,
    eligible_reviewers,
    reject_pair,
    reviewer_breakdown,
    reviewer_score,
)
from rm_plugin.matching.service import MatchingError
from rm_plugin.matching.service import pin as pin_pair
from rm_plugin.matching.service import propose as propose_pairs
from rm_plugin.matching.state import load_programme
from rm_plugin.store.models import Pair, PairStatusChange, Person, ReviewDecision
from rm_plugin.unit_of_work import unit_of_work


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain aligned text table."""
    cells = [[str(h) for h in headers], *[[("" if c is None else str(c)) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _top_terms(breakdown: dict, n: int = 3) -> str:
    visible = reviewer_breakdown(breakdown)
    ranked = sorted(visible.items(), key=lambda kv: (-kv[1].get("points", 0), kv[0]))
    return ", ".join(f"{term} {parts['points']:g}" for term, parts in ranked[:n] if parts.get("points"))


@click.group()
def match() -> None:
    """Propose pairs, review them, and audit the matching for fairness."""


@match.command()
@click.argument("programme")
@click.option("--top-k", default=DEFAULT_TOP_K, show_default=True, help="Candidate mentors kept per mentee.")
@click.option("--actor", default="admin", show_default=True, help="Who runs it (for the audit log).")
@pass_site
def propose(handle: SiteHandle, programme: str, top_k: int, actor: str) -> None:
    """Propose pairs for PROGRAMME, replacing unreviewed proposals; keeps active and pinned pairs."""
    site = handle.site
    result = propose_pairs(site.database, site.pm, programme, actor=actor, top_k=top_k)
    for problem in result.problems:
        click.echo(f"skipped: {problem}", err=True)
    click.echo(
        f"run {result.run_id}: {len(result.proposed)} pair(s) proposed, {result.kept} kept from before, "
        f"{result.replaced} unreviewed proposal(s) replaced; total score {result.total_score:g}"
    )
    if result.proposed:
        click.echo(
            table(
                ["pair", "mentee", "mentor", "score"],
                [(p.pair_id, p.mentee, p.mentor, p.score) for p in result.proposed],
            )
        )
    if result.unmatched:
        click.echo("\nunmatched:")
        click.echo(table(["who", "role", "why"], [(u.hr_id, u.role, u.reason) for u in result.unmatched]))
    click.echo(f"\nnext: `rm-plugin match show {programme}`, then reviewers approve or reject each pair")


@match.command()
@click.argument("programme")
@click.option(
    "--status", default="proposed", show_default=True, help="proposed, active, rejected, withdrawn or all."
)
@click.option("--pair", "pair_id", type=int, help="Show one pair: why it was made and who decided.")
@pass_site
def show(handle: SiteHandle, programme: str, status: str, pair_id: int | None) -> None:
    """List PROGRAMME's pairs with their score, or one pair's breakdown (as reviewers see it)."""
    db = handle.site.database
    try:
        with db.transaction() as s:
            prog = load_programme(s, programme)
            names = {p.id: (p.hr_id, p.display_name) for p in s.scalars(select(Person))}
            if pair_id is not None:
                pair = s.get(Pair, pair_id)
                if pair is None or pair.programme_id != prog.id:
                    raise MatchingError(f"no pair {pair_id} in {programme!r}")
                decisions = s.execute(
                    select(ReviewDecision, Person.hr_id)
                    .join(Person, Person.id == ReviewDecision.reviewer_id)
                    .where(ReviewDecision.pair_id == pair_id)
                    .order_by(ReviewDecision.id)
                ).all()
                history = s.scalars(
                    select(PairStatusChange)
                    .where(PairStatusChange.pair_id == pair_id)
                    .order_by(PairStatusChange.id)
                ).all()
                _show_pair(pair, names, decisions, history, prog.reviewers_required)
                click.echo("may review: " + (", ".join(eligible_reviewers(db, pair_id)[:20]) or "nobody"))
                return
            query = select(Pair).where(Pair.programme_id == prog.id).order_by(Pair.id)
            if status != "all":
                query = query.where(Pair.status == status)
            approvals = dict(
                s.execute(
                    select(ReviewDecision.pair_id, func.count())
                    .where(ReviewDecision.decision == "approve")
                    .group_by(ReviewDecision.pair_id)
                ).all()
            )
            rows = [
                (
                    p.id,
                    p.status,
                    f"{names[p.mentee_id][1]} ({names[p.mentee_id][0]})",
                    f"{names[p.mentor_id][1]} ({names[p.mentor_id][0]})",
                    f"{reviewer_score(p.breakdown or {}):g}" if p.score is not None else "",
                    f"{approvals.get(p.id, 0)}/{prog.reviewers_required}",
                    "yes" if p.pinned else "",
                    _top_terms(p.breakdown or {}),
                )
                for p in s.scalars(query)
            ]
    except MatchingError as exc:
        raise click.ClickException(str(exc)) from exc
    if not rows:
        click.echo(f"no {status} pairs in {programme}")
        return
    click.echo(
        table(["pair", "status", "mentee", "mentor", "score", "approvals", "pinned", "top terms"], rows)
    )


def _show_pair(pair: Pair, names: dict, decisions: list, history: list, required: int) -> None:
    click.echo(
        f"pair {pair.id} ({pair.status}): mentee {names[pair.mentee_id][1]} ({names[pair.mentee_id][0]}),"
    )
    shown = reviewer_score(pair.breakdown or {})
    click.echo(f"  mentor {names[pair.mentor_id][1]} ({names[pair.mentor_id][0]}); score {shown:g}")
    rows = [
        (term, f"{parts['value']:g}", f"{parts['weight']:g}", f"{parts['points']:g}")
        for term, parts in sorted(reviewer_breakdown(pair.breakdown or {}).items())
    ]
    click.echo(table(["term", "value", "weight", "points"], rows))
    click.echo("rules passed: " + ", ".join(pair.rules_passed or []))
    approvals = sum(1 for d, _ in decisions if d.decision == "approve")
    click.echo(f"approvals: {approvals} of {required}")
    for decision, reviewer in decisions:
        click.echo(
            f"  {reviewer}: {decision.decision}" + (f" ({decision.reason})" if decision.reason else "")
        )
    for change in history:
        when = f"{change.at:%Y-%m-%d %H:%M}"
        click.echo(f"  {when} {change.from_status or '-'} -> {change.to_status} by {change.actor}")


@match.command()
@click.argument("programme")
@click.argument("mentee")
@click.argument("mentor")
@click.option("--actor", default="admin", show_default=True)
@pass_site
def pin(handle: SiteHandle, programme: str, mentee: str, mentor: str, actor: str) -> None:
    """Require MENTEE with MENTOR (HR ids); later runs keep it. It must pass every hard rule."""
    site = handle.site
    pair_id = pin_pair(site.database, programme, mentee, mentor, actor=actor, pm=site.pm)
    click.echo(f"pinned pair {pair_id}: {mentee} with {mentor}; it still needs its reviewers' approval")


@match.command()
@click.argument("programme")
@click.argument("pair_id", type=int)
@click.option("--reviewer", required=True, help="The reviewer's HR id.")
@pass_site
def approve(handle: SiteHandle, programme: str, pair_id: int, reviewer: str) -> None:
    """Approve PAIR_ID as REVIEWER; with enough approvals the pair becomes active."""
    with unit_of_work(handle.site) as work:
        outcome = approve_pair(work, pair_id, reviewer, programme_slug=programme)
    if outcome.status == "active":
        where = ", ".join(outcome.enrolled_on) or "no progress connection"
        by = ", ".join(outcome.approved_by)
        click.echo(f"pair {pair_id} is active (approved by {by}); enrolment queued for {where}")
    else:
        click.echo(f"pair {pair_id}: {outcome.approvals} of {outcome.required} approvals")


@match.command()
@click.argument("programme")
@click.argument("pair_id", type=int)
@click.option("--reviewer", required=True, help="The reviewer's HR id.")
@click.option("--reason", required=True, help="Why this pair should not be made (required).")
@pass_site
def reject(handle: SiteHandle, programme: str, pair_id: int, reviewer: str, reason: str) -> None:
    """Reject PAIR_ID; later runs never propose this mentee with this mentor again."""
    with unit_of_work(handle.site) as work:
        reject_pair(work, pair_id, reviewer, reason, programme_slug=programme)
    click.echo(f"pair {pair_id} rejected; run `rm-plugin match propose {programme}` to propose again")


@match.command(name="audit")
@click.argument("programme")
@click.option("--threshold", default=0.8, show_default=True, help="Flag rates below this share of the best.")
@click.option("--min-group", default=5, show_default=True, help="Smaller groups are not flagged.")
@pass_site
def audit_cmd(handle: SiteHandle, programme: str, threshold: float, min_group: int) -> None:
    """Rates application -> proposal -> approval per group, flagging groups below 80% of the best."""
    rows = fairness_audit(handle.site.database, programme, threshold=threshold, min_group=min_group)

    def pct(rate: float | None) -> str:
        return "-" if rate is None else f"{rate:.0%}"

    click.echo(
        table(
            [
                "dimension",
                "role",
                "group",
                "applied",
                "proposed",
                "approved",
                "proposal rate",
                "approval rate",
                "flag",
            ],
            [
                (
                    r.dimension,
                    r.role,
                    r.group,
                    r.applied,
                    r.proposed,
                    r.approved,
                    pct(r.proposal_rate),
                    pct(r.approval_rate),
                    "; ".join(r.flags),
                )
                for r in rows
            ],
        )
    )
    flagged = sum(1 for r in rows if r.flags)
    click.echo(f"\n{flagged} group(s) flagged" if flagged else "\nno group flagged")


COMMANDS = [match]
