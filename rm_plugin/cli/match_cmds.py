"""Matching commands: ``rm-plugin match propose|show|pin|approve|reject|close|audit|export PROGRAMME``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from rm_plugin.cli.context import SiteHandle, pass_site
from rm_plugin.matching.export import FORMATS, write_export
from rm_plugin.matching.fairness import audit as fairness_audit
from rm_plugin.matching.review import (
    BatchApproval,
    PairReview,
    approve_pair,
    approve_pairs,
    pair_review,
    reject_pair,
    review_queue,
)
from rm_plugin.matching.service import pin as pin_pair
from rm_plugin.matching.service import propose as propose_pairs
from rm_plugin.programme.closing import close_one_pair
from rm_plugin.unit_of_work import unit_of_work


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain aligned text table."""
    cells = [[str(h) for h in headers], *[[("" if c is None else str(c)) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


@click.group(short_help="Propose, review, close and audit pairs.")
def match() -> None:
    """Propose pairs, review them, and audit the matching for fairness."""


SHOWN = 50  # pairs and skipped applications listed by `propose` unless --all


@match.command(short_help="Propose pairs from the submitted applications.")
@click.argument("programme")
@click.option("--actor", default="admin", show_default=True, help="Who runs it (for the audit log).")
@click.option("--all", "show_all", is_flag=True, help="List every pair and every unmatched person.")
@pass_site
def propose(handle: SiteHandle, programme: str, actor: str, show_all: bool) -> None:
    """Propose pairs for PROGRAMME, replacing unreviewed proposals; keeps active and pinned pairs.

    Prints the pairs and who is unmatched counted by reason; `match export` writes them all.
    """
    site = handle.site
    result = propose_pairs(site.database, site.pm, programme, actor=actor)
    for problem in result.problems[: None if show_all else SHOWN]:
        click.echo(f"skipped: {problem}", err=True)
    if not show_all and len(result.problems) > SHOWN:
        click.echo(f"skipped: … and {len(result.problems) - SHOWN} more (--all lists them)", err=True)
    for departure in result.withdrawn:
        click.echo(f"withdrawn: pair {departure.pair_id}: {departure.reason}")
    click.echo(
        f"run {result.run_id}: {len(result.proposed)} pair(s) proposed, {result.kept} kept from before, "
        f"{result.replaced} unreviewed proposal(s) replaced; total score {result.total_score:g} "
        f"(objective {result.objective})"
    )
    shown = result.proposed if show_all else result.proposed[:SHOWN]
    if shown:
        click.echo(
            table(
                ["pair", "mentee", "mentor", "score"],
                [(p.pair_id, p.mentee, p.mentor, p.score) for p in shown],
            )
        )
    if len(shown) < len(result.proposed):
        click.echo(f"… and {len(result.proposed) - len(shown)} more (--all lists them)")
    if result.unmatched:
        click.echo("\nunmatched:")
        if show_all:
            click.echo(table(["who", "role", "why"], [(u.hr_id, u.role, u.reason) for u in result.unmatched]))
        else:
            rows = [(r.role, r.label, r.count, ", ".join(r.examples)) for r in result.reasons()]
            click.echo(table(["role", "why", "count", "e.g."], rows))
            click.echo(f"each person's reason: --all, or `rm-plugin match export {programme}`")
    click.echo(f"\nnext: `rm-plugin match show {programme}`, then reviewers approve or reject each pair")


@match.command(short_help="List pairs, or one pair as reviewers see it.")
@click.argument("programme")
@click.option(
    "--status",
    type=click.Choice(["proposed", "active", "rejected", "withdrawn", "closed", "all"]),
    default="proposed",
    show_default=True,
)
@click.option("--pair", "pair_id", type=int, help="Show one pair: why it was made and who decided.")
@pass_site
def show(handle: SiteHandle, programme: str, status: str, pair_id: int | None) -> None:
    """List PROGRAMME's pairs with their score, or one pair's breakdown (as reviewers see it)."""
    with unit_of_work(handle.site) as work:
        if pair_id is not None:
            review = pair_review(work, programme, pair_id)
        else:
            queue = review_queue(work, programme, status)
    if pair_id is not None:
        _show_pair(review)
        return
    if not queue:
        click.echo(f"no {status} pairs in {programme}")
        return
    rows = [
        (
            p.pair_id,
            p.status,
            f"{p.mentee[1]} ({p.mentee[0]})",
            f"{p.mentor[1]} ({p.mentor[0]})",
            f"{p.score:g}" if p.score is not None else "",
            f"{p.approvals}/{p.required}",
            "yes" if p.pinned else "",
            ", ".join(p.skills) or "-",
            ", ".join(f"{term} {points:g}" for term, points in p.top_terms),
        )
        for p in queue
    ]
    headers = [
        "pair",
        "status",
        "mentee",
        "mentor",
        "score",
        "approvals",
        "pinned",
        "skills matched",
        "top terms",
    ]
    click.echo(table(headers, rows))


def _show_pair(review: PairReview) -> None:
    click.echo(f"pair {review.pair_id} ({review.status}): mentee {review.mentee[1]} ({review.mentee[0]}),")
    click.echo(f"  mentor {review.mentor[1]} ({review.mentor[0]}); score {review.score:g}")
    rows = [
        (term, f"{value:g}", f"{weight:g}", f"{points:g}") for term, value, weight, points in review.terms
    ]
    click.echo(table(["term", "value", "weight", "points"], rows))

    def skills(found: list[tuple[str, int]]) -> str:
        return ", ".join(f"{skill} (priority {priority})" for skill, priority in found) or "none"

    click.echo(f"skills matched: {skills(review.skills_matched)}")
    if review.skills_missing:
        click.echo(f"skills not offered: {skills(review.skills_missing)}")
    click.echo("rules passed: " + ", ".join(review.rules_passed))
    click.echo(f"approvals: {review.approvals} of {review.required}")
    for reviewer, decision, reason in review.decisions:
        click.echo(f"  {reviewer}: {decision}" + (f" ({reason})" if reason else ""))
    for at, from_status, to_status, actor in review.history:
        click.echo(f"  {at:%Y-%m-%d %H:%M} {from_status or '-'} -> {to_status} by {actor}")
    if review.status == "proposed":
        click.echo("may review: " + (", ".join(review.may_review) or "nobody"))


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


@match.command(short_help="Approve pairs as a reviewer.")
@click.argument("programme")
@click.argument("pair_ids", metavar="[PAIR_ID]...", nargs=-1, type=int)
@click.option("--reviewer", required=True, help="The reviewer's HR id.")
@click.option("--all", "every_proposed", is_flag=True, help="Every proposed pair the reviewer may review.")
@pass_site
def approve(
    handle: SiteHandle, programme: str, pair_ids: tuple[int, ...], reviewer: str, every_proposed: bool
) -> None:
    """Approve PAIR_IDs (or --all proposed pairs) as REVIEWER; with enough approvals a pair becomes active.

    Each pair is decided on its own: one the reviewer may not approve is listed with why and the
    others still count. Exits non-zero when nothing was approved.
    """
    if bool(pair_ids) == every_proposed:
        raise click.UsageError("give the pair ids to approve, or --all for every proposed pair")
    with unit_of_work(handle.site) as work:
        if len(pair_ids) == 1:  # one pair: its refusal is the command's error
            batch = BatchApproval((approve_pair(work, pair_ids[0], reviewer, programme_slug=programme),), ())
        else:
            batch = approve_pairs(work, programme, reviewer, list(pair_ids) or None)
    for outcome in batch.approved:
        if outcome.status == "active":
            where = ", ".join(outcome.enrolled_on) or "no progress connection"
            by = ", ".join(outcome.approved_by)
            click.echo(f"pair {outcome.pair_id} is active (approved by {by}); enrolment queued for {where}")
        else:
            click.echo(f"pair {outcome.pair_id}: {outcome.approvals} of {outcome.required} approvals")
    for pair_id, why in batch.refused:
        click.echo(f"pair {pair_id}: not approved: {why}", err=True)
    if len(pair_ids) != 1:
        active = sum(o.status == "active" for o in batch.approved)
        click.echo(
            f"{reviewer} approved {len(batch.approved)} pair(s), {active} now active; "
            f"{len(batch.refused)} not approved"
        )
    if not batch.approved:
        raise SystemExit(1)


@match.command(short_help="Reject a proposed pair, with a reason.")
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


@match.command(short_help="End one active pair early, with a reason.")
@click.argument("programme")
@click.argument("pair_id", type=int)
@click.option("--reason", required=True, help="Why it ends; kept in the pair's history, not sent to them.")
@click.option("--by", "by", required=True, help="Who closes it (your HR id or name); the audit log keeps it.")
@pass_site
def close(handle: SiteHandle, programme: str, pair_id: int, reason: str, by: str) -> None:
    """Close active pair PAIR_ID of PROGRAMME today, as when a member leaves.

    Each progress host gets a close delivery (run `rm-plugin sync` to deliver it) and both members
    get a message that the pair has ended; they stay in the programme and can be matched again.
    """
    with unit_of_work(handle.site) as work:
        closed = close_one_pair(work, programme, pair_id, reason=reason, by=by)
    click.echo(
        f"pair {closed.pair_id} ({closed.mentee} with {closed.mentor}) closed on {closed.ends_on}; "
        f"{closed.deliveries} close delivery(ies) and {closed.told} message(s) queued: "
        "`rm-plugin sync` delivers them"
    )


@match.command(name="audit", short_help="Flag groups with low proposal or approval rates.")
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


@match.command(name="export", short_help="Write pairs and unmatched people as CSV/JSON.")
@click.argument("programme")
@click.option("--format", "fmt", type=click.Choice([*FORMATS, "both"]), default="both", show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Default: <output>/matching.")
@pass_site
def export_cmd(handle: SiteHandle, programme: str, fmt: str, out: Path | None) -> None:
    """Write PROGRAMME's proposed and active pairs (score terms as reviewers see them) and the
    people the latest run left unmatched (with the reason), as CSV and/or JSON."""
    site = handle.site
    formats = FORMATS if fmt == "both" else (fmt,)
    with unit_of_work(site) as work:
        files = write_export(work, programme, out or site.output_dir / "matching", formats)
    for path in files:
        click.echo(str(path))


COMMANDS = [match]
