"""The demo: the whole product on the embedded defaults (SQLite, the bundled sample organisation).

Each step uses the same functions the CLI commands do, so the demo shows what an admin would
get. It runs in a temporary site unless given a directory, where it creates (or reuses) a site
and keeps it. The programme started four months before today: reviewers approve its pairs on
its first day, and the simulated months end today, so nothing is dated in the future.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_plugin.credentials import demo as badges
from rm_plugin.enrolment.applications import import_file
from rm_plugin.enrolment.programmes import create_programme, programme_overview
from rm_plugin.matching.review import approve_proposals
from rm_plugin.matching.service import propose
from rm_plugin.programme.leavers import sync_roster
from rm_plugin.programme.simulation import simulate_programme
from rm_plugin.programme.surveys import TooFewResponses, aggregate
from rm_plugin.reports import stories
from rm_plugin.reports.export import write_report
from rm_plugin.sample import applications_csv
from rm_plugin.site import SITE_FILE, Site, create_site
from rm_plugin.store.models import Application, Meeting, OutboxItem, Pair, Person, Programme
from rm_plugin.sync.worker import run_sync
from rm_plugin.unit_of_work import ProgrammeContext, unit_of_work

PROGRAMME = "rm-2026"
MONTHS = 4  # simulated, ending today
LENGTH_DAYS = 182  # the programme runs six months
OUTBOX = (
    "The outbox is where every fact a host must hear (an enrolment, a completion, a badge, a "
    "message) waits: it is written in the same transaction as the change, and `rm-plugin sync` delivers it."
)
FILES_HOST = (
    "The files host stands in for Moodle or an HR system: it writes each delivery it receives as a "
    "JSON line in {where}, so you can read what a real host would be sent."
)
DEMO_PORTAL = "http://localhost:8080"  # what `rm-plugin serve` answers on by default

Echo = Callable[[str], None]


@dataclass
class DemoResult:
    site_root: Path
    kept: bool
    figures: dict[str, int] = field(default_factory=dict)
    files_host_dir: Path | None = None  # where the files host wrote what it received


def run_demo(directory: Path | None = None, echo: Echo = print) -> DemoResult:
    """Run every step in ``directory`` (kept, created if needed) or in a temporary site (removed)."""
    kept = directory is not None
    root = directory.resolve() if directory is not None else Path(tempfile.mkdtemp(prefix="rm-plugin-demo-"))
    if not (root / SITE_FILE).exists():
        root.mkdir(parents=True, exist_ok=True)
        create_site(root)
    badges.prepare_demo_issuer(root, DEMO_PORTAL)
    result = DemoResult(root, kept)
    site = Site.load(root)
    try:
        _steps(site, result, echo)
    finally:
        site.close()
        if not kept:
            shutil.rmtree(root, ignore_errors=True)
    return result


def _steps(site: Site, result: DemoResult, echo: Echo) -> None:
    if result.kept:
        echo(f"site: {site.root} (kept after the demo), database {site.database.dialect}")
    else:
        echo(f"site: {site.root}, a temporary site removed when the demo ends; run `rm-plugin demo DIR`")
        echo("      to keep the site, its database and the files the hosts received in DIR")

    echo("\n1. Sync the sample roster from the csv HR source")
    report = sync_roster(site)
    for line in report.lines():
        echo(f"   {line}")
    result.figures["people_created"] = report.created

    echo(f"\n2. Create the programme {PROGRAMME}")
    with unit_of_work(site) as work:
        session = work.session
        if session.scalar(select(Programme.id).where(Programme.slug == PROGRAMME)) is None:
            starts = work.today - dt.timedelta(days=30 * MONTHS)
            create_programme(
                session,
                slug=PROGRAMME,
                name="Reverse mentoring 2026: digital skills for leaders",
                defaults=site.programme_defaults,
                starts_on=starts,
                ends_on=starts + dt.timedelta(days=LENGTH_DAYS),
                enrolment="open",
                objectives=("digital-skills", "cross-generational-learning"),
                rules={"not_same_department": True, "shared_language": True},
                admin_hr_id=_programme_admin(session),
            )
        for line in programme_overview(work, PROGRAMME).rules:
            echo(f"   {line}")

    echo("\n3. Import the sample applications")
    with unit_of_work(site) as work:
        imported = import_file(work, PROGRAMME, applications_csv())
    for line in imported.lines():
        echo(f"   {line}")
    result.figures["applications"] = imported.imported

    echo("\n4. Who is eligible under the programme's seniority rule")
    with unit_of_work(site) as work:
        summary = programme_overview(work, PROGRAMME).eligibility
    for line in summary.lines():
        echo(f"   {line}")
    result.figures["eligible_mentees"] = summary.eligible["mentee"]
    result.figures["eligible_mentors"] = summary.eligible["mentor"]

    _match_and_review(site, result, echo)
    _programme_life(site, result, echo)
    badges.ensure_key(site)
    _sync(site, result, echo)
    _credentials(site, result, echo)
    _report_and_stories(site, result, echo)
    echo("\ndemo finished: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in result.figures.items()))


def _programme_admin(session: Session) -> str | None:
    """The most senior person of the People department runs the sample programme."""
    return session.scalar(
        select(Person.hr_id)
        .where(Person.status == "active", Person.department == "People")
        .order_by(Person.job_level.desc(), Person.hr_id)
        .limit(1)
    )


def sample_reviewers(site: Site) -> list[str]:
    """The demo's review panel: senior people of the People and Legal teams who did not apply.

    Each pair is approved by the first two of them allowed to review it (not in the pair,
    not in either person's management chain).
    """
    with site.database.transaction() as session:
        applicants = set(session.scalars(select(Application.person_id)))
        people = session.scalars(
            select(Person)
            .where(
                Person.status == "active", Person.department.in_(("People", "Legal")), Person.job_level >= 5
            )
            .order_by(Person.job_level.desc(), Person.hr_id)
        )
        return [p.hr_id for p in people if p.id not in applicants][:6]


def _match_and_review(site: Site, result: DemoResult, echo: Echo) -> None:
    echo("\n5. Propose pairs: hard rules first, then an exact optimal assignment")
    proposal = propose(site.database, site.pm, PROGRAMME, actor="demo")
    echo(
        f"   {len(proposal.proposed)} pair(s) proposed (total score {proposal.total_score:.2f}), "
        f"{proposal.kept} kept from before, {len(proposal.unmatched)} person(s) unmatched"
    )
    with site.database.transaction() as session:
        names = {p.hr_id: p.display_name for p in session.scalars(select(Person))}
        best = sorted(proposal.proposed, key=lambda p: -p.score)[:3]
        for item in best:
            pair = session.get(Pair, item.pair_id)
            terms = pair.breakdown if pair else {}
            shown = ", ".join(f"{k} {t['points']:.2f}" for k, t in terms.items() if t.get("points"))
            who = f"{names[item.mentee]} (mentee) + {names[item.mentor]} (mentor)"
            echo(f"   e.g. {who}: {item.score:.2f} [{shown}]")
    mentors_left = sum(1 for u in proposal.unmatched if u.role == "mentor")
    for unmatched in [u for u in proposal.unmatched if u.role == "mentee"][:3]:
        echo(f"   unmatched mentee {unmatched.hr_id}: {unmatched.reason}")
    if mentors_left:
        echo(f"   {mentors_left} mentor(s) had no mentee left (more mentors applied than mentees)")
    result.figures["proposed"] = len(proposal.proposed)

    reviewers = sample_reviewers(site)
    with site.database.transaction() as session:
        first_day = session.scalar(select(Programme.starts_on).where(Programme.slug == PROGRAMME))
    echo(f"\n6. Two reviewers approve each proposal on the programme's first day, {first_day}")
    echo(f"   (panel: {', '.join(reviewers)})")
    before = _outbox_rows(site)
    panel = approve_proposals(
        site.database, PROGRAMME, reviewers, ctx=ProgrammeContext.from_site(site), today=first_day
    )
    echo(f"   {len(panel.approved)} pair(s) active; {len(panel.skipped)} could not be reviewed")
    for pair_id, why in panel.skipped[:3]:
        echo(f"   pair {pair_id} skipped: {why}")
    result.figures["enrolments_queued"] = _outbox_rows(site) - before
    echo(f"   {result.figures['enrolments_queued']} enrolment(s) queued in the outbox, one per pair and host")
    echo(_wrapped(OUTBOX))
    with site.database.transaction() as session:
        result.figures["active_pairs"] = len(
            list(session.scalars(select(Pair.id).where(Pair.status == "active")))
        )


def _wrapped(text: str) -> str:
    return textwrap.fill(text, width=100, initial_indent="   ", subsequent_indent="   ")


def _outbox_rows(site: Site) -> int:
    with site.database.transaction() as session:
        return len(list(session.scalars(select(OutboxItem.id))))


def _programme_life(site: Site, result: DemoResult, echo: Echo) -> None:
    echo(f"\n7. Agreements signed, then {MONTHS} months of meetings and surveys, simulated up to today")
    with site.database.transaction() as session:
        if session.scalar(select(Meeting.id).limit(1)) is not None:
            echo("   already simulated by an earlier run on this site; nothing to replay")
            return
        summary = simulate_programme(
            session, ProgrammeContext.from_site(site), PROGRAMME, seed=7, months=MONTHS
        )
    for key, value in summary.as_dict().items():
        echo(f"   {key.replace('_', ' ')}: {value}")
    result.figures["outbox_rows_added"] = summary.outbox_rows_added
    result.figures["meetings"] = summary.meetings_logged
    result.figures["milestones"] = summary.milestones_reached
    with site.database.transaction() as session:
        for kind in ("pulse", "final"):
            try:
                figures = aggregate(session, PROGRAMME, kind)
            except TooFewResponses as exc:
                echo(f"   {kind}: {exc}")
                continue
            shown = {
                k: v for k, v in figures.items() if k in ("responses", "rating_mean", "learning_gained_mean")
            }
            echo(f"   {kind} survey (aggregate only): {shown}")


def _sync(site: Site, result: DemoResult, echo: Echo) -> None:
    host_dir = site.output_dir / "files-host"
    echo("\n8. Deliver progress to the hosts")
    echo(_wrapped(FILES_HOST.format(where=host_dir)))
    with site.database.transaction() as session:
        pending = len(list(session.scalars(select(OutboxItem.id).where(OutboxItem.status == "pending"))))
    queued = [
        f"{result.figures[key]} {what}"
        for key, what in (("enrolments_queued", "from step 6"), ("outbox_rows_added", "from step 7"))
        if key in result.figures
    ]
    echo(f"   {pending} outbox row(s) pending" + (f" ({' + '.join(queued)})" if queued else ""))
    first = run_sync(site)
    echo(f"   sync: {first}")
    again = run_sync(site)
    echo(f"   rerun: {again} (nothing new, so no host call)")
    result.figures["delivered"] = first.delivered
    result.figures["rerun_delivered"] = again.delivered
    result.files_host_dir = host_dir
    for journal in sorted(host_dir.glob("*.jsonl")):
        lines = sum(1 for _ in journal.open(encoding="utf-8"))
        echo(f"   {journal.relative_to(site.root)}: {lines} line(s)")


def _credentials(site: Site, result: DemoResult, echo: Echo) -> None:
    echo("\n9. Open Badges 3.0 credentials for the completed pairs (the badges connection)")
    issued = badges.issued(site)
    result.figures["credentials"] = len(issued)
    for line in badges.describe(site, issued, result.kept):
        echo(f"   {line}")


SAMPLE_STORIES = (
    (
        "From slide decks to a shared board",
        "How my team already works in shared boards and short videos, and why they skip long decks.",
        "Our leadership updates are now a short video and a board anyone can comment on.",
    ),
    (
        "Listening first",
        "What a first year in the company feels like, and which of our habits confuse newcomers.",
        "I now open my team meetings with the newest person's question.",
    ),
    (
        "Generative AI, hands on",
        "To try a tool for a week before forming a view on it.",
        "Two of our reports are drafted with an assistant and checked by people.",
    ),
)


def _report_and_stories(site: Site, result: DemoResult, echo: Echo) -> None:
    echo("\n10. Success stories: a member drafts, both consent, the admin publishes")
    with unit_of_work(site) as work:
        programme = work.session.scalar(select(Programme).where(Programme.slug == PROGRAMME))
        assert programme is not None and programme.admin_hr_id
        admin = programme.admin_hr_id
        if stories.list_stories(work, admin, PROGRAMME):
            echo("   already told by an earlier run on this site")
        else:
            pairs = work.session.scalars(
                select(Pair)
                .where(Pair.programme_id == programme.id, Pair.status == "active")
                .order_by(Pair.id)
            ).all()
            for index, (pair, (title, learned, changed)) in enumerate(
                zip(pairs, SAMPLE_STORIES, strict=False)
            ):
                mentee = work.session.get(Person, pair.mentee_id)
                mentor = work.session.get(Person, pair.mentor_id)
                assert mentee is not None and mentor is not None
                kw = {"pair_id": pair.id}
                story = stories.draft(
                    work, mentee.hr_id, PROGRAMME, title=title, learned=learned, changed=changed, **kw
                )
                stories.consent(work, mentee.hr_id, PROGRAMME, "name", **kw)
                stories.consent(work, mentor.hr_id, PROGRAMME, "anonymous" if index % 2 else "name", **kw)
                stories.publish(work, admin, PROGRAMME, story.id)
                echo(f"   story {story.id} of pair {pair.id} published: {title!r}")
        newsletter = stories.export(work, PROGRAMME, site.output_dir)
    result.figures["stories"] = len(SAMPLE_STORIES)

    echo("\n11. The programme report (open it in a browser; it prints to PDF) and the newsletter")
    with unit_of_work(site) as work:
        written = write_report(work, PROGRAMME, site.output_dir)
    report = written.report
    echo(f"   match rate: {report.recruitment.match_rate('mentee'):.0%} of mentees")
    echo(
        f"   meetings per pair per month: {report.cadence.per_pair_month:.1f} "
        f"against {report.cadence.expected_per_pair_month:.1f} the cadences ask for"
    )
    echo(f"   role reversion: {report.reversion.flagged} pair(s) flagged")
    for path in (*written.paths, *newsletter):
        echo(f"   {path.relative_to(site.root)}")
    if not result.kept:
        echo("   (this demo site is temporary; run `rm-plugin demo DIR` to keep the site and these files)")
