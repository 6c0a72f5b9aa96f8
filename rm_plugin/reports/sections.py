"""The programme report laid out as sections: headline sentences, charts, and the tables under them.

One layout for every door: the HTML report and the admin dashboard render the sections, the
CSV and JSON exports write the same tables, so a figure reads the same wherever it is seen.
Every chart carries its text alternative, and its figures are always in a table below it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rm_plugin.reports.metrics import AT_RISK_BANDS, ProgrammeReport, Survey

#: Column kinds: how a value is shown in HTML (CSV and JSON keep the plain value).
KINDS = ("text", "int", "num", "pct", "date")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "int"


@dataclass(frozen=True)
class Table:
    key: str  # the file name stem in the CSV export and the key in the JSON one
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip((c.name for c in self.columns), row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class Chart:
    """What to draw: ``kind`` ``bars`` (vertical), ``hbars`` (horizontal), ``bars_line`` (bars for
    the first series, a line for the second) or ``intervals`` (points with low-high whiskers,
    one series per group, ``errors`` giving (low, high) per value)."""

    key: str
    kind: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[float | None, ...]], ...]
    alt: str
    value_label: str = ""
    percent: bool = False
    errors: tuple[tuple[tuple[float, float] | None, ...], ...] = ()


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    lines: tuple[str, ...]
    charts: tuple[Chart, ...] = ()
    tables: tuple[Table, ...] = ()
    notes: tuple[str, ...] = field(default=())


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def num(value: float | None, places: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{places}f}"


def _round(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(value, places)


def sections(report: ProgrammeReport) -> list[Section]:
    """The report's sections, in reading order."""
    return [
        _recruitment(report),
        _durations(report),
        _cadence(report),
        _at_risk(report),
        _feedback(report),
        _skills(report),
        _completion(report),
        _seniority(report),
        _retention(report),
        _fairness(report),
    ]


def tables(report: ProgrammeReport) -> list[Table]:
    """Every table of the report, in reading order (what the CSV and JSON exports hold)."""
    return [table for section in sections(report) for table in section.tables]


def _recruitment(report: ProgrammeReport) -> Section:
    r = report.recruitment
    rows = tuple(
        (role, r.applications[role], r.matched[role], _round(r.match_rate(role))) for role in r.applications
    )
    line = "; ".join(
        f"{r.applications[role]} {role} application(s), {r.matched[role]} matched ({pct(r.match_rate(role))})"
        for role in r.applications
    )
    chart = Chart(
        "recruitment",
        "bars",
        tuple(r.applications),
        (
            ("applications", tuple(float(r.applications[k]) for k in r.applications)),
            ("matched", tuple(float(r.matched[k]) for k in r.applications)),
        ),
        alt=f"Bar chart of applications and people matched per role: {line}.",
        value_label="people",
    )
    return Section(
        "recruitment",
        "Applications and matching",
        (line + ".", f"{r.withdrawn} application(s) withdrawn."),
        (chart,),
        (
            Table(
                "recruitment",
                "Applications and match rate per role",
                (
                    Column("role", "text"),
                    Column("applications"),
                    Column("matched"),
                    Column("match_rate", "pct"),
                ),
                rows,
            ),
            Table(
                "pairs_by_status",
                "Pairs by status",
                (Column("status", "text"), Column("pairs")),
                tuple(r.pairs.items()),
            ),
        ),
    )


def _durations(report: ProgrammeReport) -> Section:
    steps = (("to match", report.time_to_match), ("to a signed agreement", report.time_to_agreement))
    rows = []
    lines = []
    for name, d in steps:
        quartiles = d.quartiles()
        rows.append(
            (
                name,
                d.count,
                _round(d.median, 1),
                quartiles[0] if quartiles else None,
                quartiles[1] if quartiles else None,
                d.unknown,
            )
        )
        lines.append(
            f"Median time {name}: {num(d.median)} day(s) over {d.count} pair(s)"
            + (f" (middle half {num(quartiles[0])}–{num(quartiles[1])})" if quartiles else "")
            + "."
        )
    bands = [report.time_to_match.bands(), report.time_to_agreement.bands()]
    labels = tuple(bands[0])
    chart = Chart(
        "durations",
        "bars",
        labels,
        tuple(
            (name, tuple(float(b[label]) for label in labels))
            for (name, _), b in zip(steps, bands, strict=True)
        ),
        alt="Bar chart of pairs by days taken: "
        + "; ".join(
            f"{name}: " + ", ".join(f"{label} {b[label]}" for label in labels)
            for (name, _), b in zip(steps, bands, strict=True)
        )
        + ".",
        value_label="pairs",
    )
    return Section(
        "durations",
        "Time to match and to a signed agreement",
        tuple(lines),
        (chart,),
        (
            Table(
                "durations",
                "Days taken per step",
                (
                    Column("step", "text"),
                    Column("pairs"),
                    Column("median_days", "num"),
                    Column("lower_quartile_days", "num"),
                    Column("upper_quartile_days", "num"),
                    Column("dates_unknown"),
                ),
                tuple(rows),
            ),
            Table(
                "duration_bands",
                "Pairs by days taken",
                (Column("days", "text"), Column("to_match"), Column("to_signed_agreement")),
                tuple((label, bands[0][label], bands[1][label]) for label in labels),
            ),
        ),
    )


def _cadence(report: ProgrammeReport) -> Section:
    c = report.cadence
    bands = c.bands()
    lines = [
        f"{num(c.per_pair_month)} meeting(s) per pair per month against {num(c.expected_per_pair_month)} "
        f"the agreed cadences ask for ({pct(c.ratio)}), over {len(c.pairs)} pair(s).",
    ]
    if c.too_early:
        lines.append(f"{c.too_early} pair(s) started less than one cadence ago and are not counted yet.")
    months = tuple(m.month for m in c.monthly)
    charts = (
        Chart(
            "meetings_by_month",
            "bars_line",
            months,
            (
                ("meetings held", tuple(float(m.held) for m in c.monthly)),
                ("the cadences ask for", tuple(round(m.expected, 1) for m in c.monthly)),
            ),
            alt="Meetings held per month against what the cadences ask for: "
            + "; ".join(f"{m.month} {m.held} held, {m.expected:.1f} asked for" for m in c.monthly)
            + ".",
            value_label="meetings",
        ),
        Chart(
            "cadence_bands",
            "bars",
            tuple(bands),
            (("pairs", tuple(float(v) for v in bands.values())),),
            alt="Pairs by meetings held against their cadence: "
            + ", ".join(f"{label} {count}" for label, count in bands.items())
            + ".",
            value_label="pairs",
        ),
    )
    return Section(
        "cadence",
        "Meetings against the cadence",
        tuple(lines),
        charts,
        (
            Table(
                "cadence",
                "Meetings per pair per month",
                (
                    Column("pairs_counted"),
                    Column("pairs_too_early"),
                    Column("meetings"),
                    Column("pair_months", "num"),
                    Column("meetings_per_pair_month", "num"),
                    Column("cadence_asks_per_pair_month", "num"),
                    Column("held_over_asked", "pct"),
                ),
                (
                    (
                        len(c.pairs),
                        c.too_early,
                        c.meetings,
                        _round(c.pair_months, 2),
                        _round(c.per_pair_month, 3),
                        _round(c.expected_per_pair_month, 3),
                        _round(c.ratio),
                    ),
                ),
            ),
            Table(
                "meetings_by_month",
                "Meetings per month",
                (Column("month", "text"), Column("held"), Column("cadence_asks", "num")),
                tuple((m.month, m.held, round(m.expected, 2)) for m in c.monthly),
            ),
            Table(
                "cadence_bands",
                "Pairs by meetings held over meetings asked for",
                (Column("held_over_asked", "text"), Column("pairs")),
                tuple(bands.items()),
            ),
        ),
    )


def _at_risk(report: ProgrammeReport) -> Section:
    a, rv = report.at_risk, report.reversion
    bands = a.bands()
    return Section(
        "at_risk",
        "Pairs at risk",
        (
            f"{len(a.not_meeting)} of {a.active_pairs} active pair(s) had not met for 1.5 times their "
            f"cadence or longer on {a.judged_on}; {len(a.not_signed)} had still not both signed their "
            "agreement.",
            f"Role reversion: {rv.flagged} of {rv.pairs_answering} pair(s) answering the teaching question "
            "had the senior mentee doing most of the teaching in most of their recent meetings.",
        ),
        (
            Chart(
                "at_risk",
                "bars",
                tuple(bands),
                (("pairs", tuple(float(v) for v in bands.values())),),
                alt="Pairs not meeting, by time since they last met: "
                + ", ".join(f"{label} {count}" for label, count in bands.items())
                + ".",
                value_label="pairs",
            ),
        ),
        (
            Table(
                "at_risk",
                f"Pairs at risk on {a.judged_on}",
                (Column("why", "text"), Column("nudge_level", "text"), Column("pairs")),
                (
                    *(
                        (f"not met for {label}", level, bands[label])
                        for level, label in AT_RISK_BANDS.items()
                    ),
                    ("agreement not signed by both", "reminder", len(a.not_signed)),
                ),
            ),
            Table(
                "role_reversion",
                "Role-reversion watch",
                (Column("pairs_answering"), Column("pairs_flagged")),
                ((rv.pairs_answering, rv.flagged),),
            ),
        ),
    )


def _feedback(report: ProgrammeReport) -> Section:
    by_kind: dict[str, Survey] = {s.kind: s for s in report.surveys}
    lines, notes, charts, tabs = [], [], [], []
    pulse = by_kind["pulse"]
    if pulse.figures:
        f = pulse.figures
        dist = f["rating_distribution"]
        lines.append(
            f"Meetings were rated {f['rating_mean']} out of 5 on average "
            f"({f['responses']} answers from {f['people']} people in {f['pairs']} pairs)."
        )
        charts.append(
            Chart(
                "pulse",
                "bars",
                tuple(dist),
                (("answers", tuple(float(v) for v in dist.values())),),
                alt="Pulse ratings from 1 to 5: " + ", ".join(f"{k}: {v}" for k, v in dist.items()) + ".",
                value_label="answers",
            )
        )
        teaching = f.get("teaching_distribution", {})
        tabs.append(
            Table(
                "pulse",
                "Pulse ratings after meetings",
                (Column("rating", "text"), Column("answers")),
                tuple(dist.items()),
            )
        )
        tabs.append(
            Table(
                "pulse_teaching",
                "Who did most of the teaching (pulse answers)",
                (Column("answer", "text"), Column("answers")),
                tuple(teaching.items()),
            )
        )
    else:
        notes.append(f"Pulse figures are withheld: {pulse.hidden}")
    rows = []
    for kind in ("midpoint", "final"):
        survey = by_kind[kind]
        if survey.figures:
            f = survey.figures
            rows.append(
                (
                    kind,
                    f["responses"],
                    f["people"],
                    f["pairs"],
                    f["learning_gained_mean"],
                    f["relationship_quality_mean"],
                )
            )
            lines.append(
                f"{kind.capitalize()} retrospective: learning gained {f['learning_gained_mean']}, "
                f"relationship {f['relationship_quality_mean']} out of 5 ({f['people']} people)."
            )
        else:
            notes.append(f"{kind.capitalize()} retrospective figures are withheld: {survey.hidden}")
    tabs.append(
        Table(
            "retrospectives",
            "Retrospectives (means out of 5)",
            (
                Column("kind", "text"),
                Column("responses"),
                Column("people"),
                Column("pairs"),
                Column("learning_gained", "num"),
                Column("relationship_quality", "num"),
            ),
            tuple(rows),
        )
    )
    notes.append(
        "Survey figures are shown only over at least 5 people in at least 2 pairs; comments and "
        "other free text are never shown."
    )
    return Section("feedback", "Participant feedback", tuple(lines), tuple(charts), tuple(tabs), tuple(notes))


def _skills(report: ProgrammeReport) -> Section:
    s = report.skills
    if not s.skills:
        return Section(
            "skills",
            "Skill confidence before and after",
            ("No skill was rated by enough people yet (at least 5 people in at least 2 pairs).",),
            (),
            (
                Table(
                    "skill_confidence",
                    "Skill confidence (means out of 5)",
                    (
                        Column("skill", "text"),
                        Column("responses"),
                        Column("before", "num"),
                        Column("after", "num"),
                    ),
                    (),
                ),
            ),
        )
    names = tuple(row.skill for row in s.skills)
    gain = sum(r.after - r.before for r in s.skills) / len(s.skills)
    return Section(
        "skills",
        "Skill confidence before and after",
        (
            f"Confidence rose by {gain:.1f} points out of 5 on average across {len(names)} skill(s) "
            f"(from the {s.kind} retrospective).",
        ),
        (
            Chart(
                "skill_confidence",
                "hbars",
                names,
                (("before", tuple(r.before for r in s.skills)), ("after", tuple(r.after for r in s.skills))),
                alt="Confidence before and after, out of 5, per skill: "
                + "; ".join(f"{r.skill} {r.before} before, {r.after} after" for r in s.skills)
                + ".",
                value_label="confidence (1-5)",
            ),
        ),
        (
            Table(
                "skill_confidence",
                f"Skill confidence (means out of 5, {s.kind} retrospective)",
                (
                    Column("skill", "text"),
                    Column("responses"),
                    Column("before", "num"),
                    Column("after", "num"),
                ),
                tuple((r.skill, r.responses, r.before, r.after) for r in s.skills),
            ),
        ),
        ("Skills rated by fewer than 5 people in 2 pairs are left out.",),
    )


def _completion(report: ProgrammeReport) -> Section:
    c = report.completion
    if c.completed_pairs is None:
        line = "The programme has no milestone with the completed rule, so completion is not measured."
    else:
        line = f"{c.completed_pairs} of {c.approved_pairs} approved pair(s) completed ({pct(c.rate)})."
    keys = tuple(m.key for m in c.milestones)
    return Section(
        "completion",
        "Completion and milestones",
        (line, f"{c.closed_pairs} pair(s) closed."),
        (
            Chart(
                "milestones",
                "hbars",
                keys,
                (("pairs", tuple(float(m.pairs) for m in c.milestones)),),
                alt="Pairs that reached each milestone: "
                + ", ".join(f"{m.key} {m.pairs}" for m in c.milestones)
                + ".",
                value_label="pairs",
            ),
        ),
        (
            Table(
                "completion",
                "Completion",
                (
                    Column("approved_pairs"),
                    Column("closed_pairs"),
                    Column("completed_pairs"),
                    Column("completion_rate", "pct"),
                ),
                ((c.approved_pairs, c.closed_pairs, c.completed_pairs, _round(c.rate)),),
            ),
            Table(
                "milestones",
                "Milestones reached",
                (Column("milestone", "text"), Column("pairs"), Column("people")),
                tuple((m.key, m.pairs, m.people) for m in c.milestones),
            ),
        ),
    )


def _seniority(report: ProgrammeReport) -> Section:
    s = report.seniority
    levels = tuple(f"level {row.level}" for row in s.levels)
    share = s.executive_mentees / s.executives if s.executives else None
    line = (
        f"{s.executive_mentees} of the organisation's {s.executives} executive(s) (level {s.executive_level} "
        f"and above) are mentees ({pct(share)})."
        if s.executive_level is not None
        else "No job levels are known, so executive participation cannot be measured."
    )
    return Section(
        "seniority",
        "Executive participation",
        (line,),
        (
            Chart(
                "seniority",
                "bars",
                levels,
                (
                    ("mentee applications", tuple(float(r.applied) for r in s.levels)),
                    ("mentees matched", tuple(float(r.matched) for r in s.levels)),
                ),
                alt="Mentees by job level: "
                + ", ".join(
                    f"level {r.level} {r.applied} applied, {r.matched} matched" for r in s.levels if r.applied
                )
                + ".",
                value_label="mentees",
            ),
        ),
        (
            Table(
                "seniority",
                "Mentees by job level",
                (
                    Column("job_level"),
                    Column("people_in_organisation"),
                    Column("mentee_applications"),
                    Column("mentees_matched"),
                    Column("share_of_level", "pct"),
                ),
                tuple(
                    (
                        r.level,
                        r.organisation,
                        r.applied,
                        r.matched,
                        _round(r.matched / r.organisation) if r.organisation else None,
                    )
                    for r in s.levels
                ),
            ),
        ),
    )


def _retention(report: ProgrammeReport) -> Section:
    r = report.retention
    if r.since is None:
        return Section(
            "retention",
            "Retention",
            ("The programme has no start date, so retention cannot be measured.",),
            (),
            (_retention_table(report),),
        )
    lines, cats, part, other, part_err, other_err = [], [], [], [], [], []
    for h in r.horizons:
        label = f"{h.months} months"
        if not h.ready:
            lines.append(f"At {label} ({h.measured_on}): not measured yet.")
            continue
        p, o = h.participants, h.others
        lines.append(
            f"At {label}: {_share_text(p)} of participants stayed, against {_share_text(o)} of others"
            + (
                f"; difference {h.difference.value * 100:+.1f} points (95% CI {h.difference.low * 100:+.1f} "
                f"to {h.difference.high * 100:+.1f})."
                if h.difference
                else "."
            )
        )
        cats.append(label)
        part.append(p.share.value if p.share else None)
        other.append(o.share.value if o.share else None)
        part_err.append((p.share.low, p.share.high) if p.share else None)
        other_err.append((o.share.low, o.share.high) if o.share else None)
    charts: tuple[Chart, ...] = ()
    if cats:
        charts = (
            Chart(
                "retention",
                "intervals",
                tuple(cats),
                (("participants", tuple(part)), ("others", tuple(other))),
                alt="Share still employed, with 95% intervals: " + " ".join(lines),
                value_label="still employed",
                percent=True,
                errors=(tuple(part_err), tuple(other_err)),
            ),
        )
    notes = (
        f"Measured from the programme's start ({r.since}) over the people employed that day. Each "
        "share has a 95% Wilson score interval, which stays inside 0–100% and keeps its coverage in "
        "small groups and near 100%; the difference has Newcombe's hybrid score interval, built from "
        "the two. Groups of fewer than "
        f"{r.min_group} people get no share. Participants chose to take part, so a difference is not "
        "by itself an effect of the programme.",
    ) + (
        (f"{r.undated_leavers} person(s) gone with no leaving date on record (or erased) are left out.",)
        if r.undated_leavers
        else ()
    )
    return Section(
        "retention",
        "Retention of participants and others",
        tuple(lines),
        charts,
        (_retention_table(report),),
        notes,
    )


def _share_text(group: Any) -> str:
    if group.share is None:
        return f"(a group of {group.people}, too small to show)"
    return f"{group.share.value:.1%} of {group.people}"


def _retention_table(report: ProgrammeReport) -> Table:
    rows: list[tuple[Any, ...]] = []
    for h in report.retention.horizons:
        for g in (h.participants, h.others):
            s = g.share
            rows.append(
                (
                    h.months,
                    h.measured_on,
                    g.name,
                    g.people,
                    g.stayed if s else None,
                    _round(s.value) if s else None,
                    _round(s.low) if s else None,
                    _round(s.high) if s else None,
                )
            )
        d = h.difference
        rows.append(
            (
                h.months,
                h.measured_on,
                "difference",
                None,
                None,
                _round(d.value) if d else None,
                _round(d.low) if d else None,
                _round(d.high) if d else None,
            )
        )
    return Table(
        "retention",
        "Still employed after the programme's start (95% intervals)",
        (
            Column("months"),
            Column("measured_on", "date"),
            Column("group", "text"),
            Column("people"),
            Column("stayed"),
            Column("share", "pct"),
            Column("low", "pct"),
            Column("high", "pct"),
        ),
        tuple(rows),
    )


def _fairness(report: ProgrammeReport) -> Section:
    f = report.fairness
    flagged = sum(1 for row in f.rows if row.flags)
    return Section(
        "fairness",
        "Fairness audit",
        (
            f"{flagged} group(s) by department, level band or location have a proposal or approval rate "
            "below four fifths of the best group's.",
            *(
                f"Opt-in attribute {name!r}: {count} group(s) flagged (see `rm-plugin match audit`)."
                for name, count in f.opt_in_flagged.items()
            ),
        ),
        (),
        (
            Table(
                "fairness",
                "Applications, proposals and approvals per group",
                (
                    Column("dimension", "text"),
                    Column("role", "text"),
                    Column("group", "text"),
                    Column("applied"),
                    Column("proposed"),
                    Column("approved"),
                    Column("flags", "text"),
                ),
                tuple(
                    (r.dimension, r.role, r.group, r.applied, r.proposed, r.approved, "; ".join(r.flags))
                    for r in f.rows
                ),
            ),
            Table(
                "fairness_opt_in",
                "Opt-in attributes: groups flagged (values not shown)",
                (Column("attribute", "text"), Column("groups_flagged")),
                tuple(f.opt_in_flagged.items()),
            ),
        ),
        ("Groups of fewer than 5 applicants are not flagged; opt-in groups that small are merged.",),
    )
