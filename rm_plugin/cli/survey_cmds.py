"""``rm-plugin survey``: pulse surveys and retrospectives, and the admins' aggregates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from rm_plugin.cli.acting import as_option, pair_options
from rm_plugin.cli.context import SiteHandle, pass_site
from rm_plugin.programme import surveys
from rm_plugin.reports.reversion import reversion_watch
from rm_plugin.unit_of_work import unit_of_work


@click.group(short_help="Pulses after meetings and retrospectives.")
def survey() -> None:
    """Short pulses after meetings, midpoint and final retrospectives."""


@survey.command("submit", short_help="Answer a pulse or a retrospective.")
@as_option()
@click.argument("kind", type=click.Choice(surveys.KINDS))
@pair_options
@click.option("--meeting", "meeting_id", type=int, help="pulse: the confirmed meeting it is about.")
@click.option("--rating", type=int, help="pulse: 1 (poor) to 5 (great).")
@click.option("--comment", default="", help="pulse: an optional comment (never shown to admins).")
@click.option(
    "--teaching",
    type=click.Choice(surveys.TEACHING),
    help="pulse: who did most of the teaching (mentor, mentee, or even).",
)
@click.option("--went-well", default="")
@click.option("--to-improve", default="")
@click.option("--actions", default="")
@click.option("--learning", "learning_gained", type=int, help="retrospective: learning gained, 1-5.")
@click.option("--relationship", "relationship_quality", type=int, help="retrospective: relationship, 1-5.")
@click.option(
    "--skill", "skills", multiple=True, metavar="SKILL=BEFORE:AFTER", help="e.g. 'generative AI=2:4'."
)
@click.option(
    "--from-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Retrospective answers (JSON).",
)
@pass_site
def submit(
    handle: SiteHandle,
    as_hr_id: str,
    kind: str,
    pair_id: int | None,
    programme_slug: str | None,
    meeting_id: int | None,
    rating: int | None,
    comment: str,
    teaching: str | None,
    went_well: str,
    to_improve: str,
    actions: str,
    learning_gained: int | None,
    relationship_quality: int | None,
    skills: tuple[str, ...],
    from_file: Path | None,
) -> None:
    """Answer a pulse (KIND pulse) or a retrospective (midpoint or final)."""
    site = handle.site
    if kind == "pulse":
        if meeting_id is None or rating is None:
            raise click.UsageError("a pulse needs --meeting and --rating")
        with unit_of_work(site) as work:
            surveys.submit_pulse_as_member(work, as_hr_id, meeting_id, rating, comment, teaching)
        click.echo(f"thank you: pulse for meeting {meeting_id} saved")
        return
    answers: dict[str, Any] = {}
    if from_file is not None:
        answers = surveys.read_answers(from_file)
    labels: dict[str, str] = {}
    for key, value in (("went_well", went_well), ("to_improve", to_improve), ("actions", actions)):
        if value:
            answers[key] = value
            labels[key] = "--" + key.replace("_", "-")
    for key, number, option in (
        ("learning_gained", learning_gained, "--learning"),
        ("relationship_quality", relationship_quality, "--relationship"),
    ):
        if number is not None:
            answers[key] = number
            labels[key] = option
    if skills:
        answers["skill_confidence"] = _parse_skills(skills)
        labels["skill_confidence"] = "--skill"
    with unit_of_work(site) as work:
        pair_id = surveys.submit_retrospective_as_member(
            work, as_hr_id, kind, answers, labels, pair_id=pair_id, programme_slug=programme_slug
        )
    click.echo(f"thank you: {kind} retrospective for pair {pair_id} saved")


def _parse_skills(items: tuple[str, ...]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for item in items:
        skill, _, scores = item.rpartition("=")
        before, _, after = scores.partition(":")
        if not skill or not before.isdigit() or not after.isdigit():
            raise click.BadParameter(
                f"expected SKILL=BEFORE:AFTER like 'AI=2:4', not {item!r}", param_hint="--skill"
            )
        out[skill.strip()] = {"before": int(before), "after": int(after)}
    return out


@survey.command("summary", short_help="Figures over the answers, never any text.")
@click.argument("programme_slug", metavar="PROGRAMME")
@click.option("--kind", type=click.Choice(surveys.KINDS), default="pulse", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_site
def summary(handle: SiteHandle, programme_slug: str, kind: str, fmt: str) -> None:
    """Figures over a programme's answers, only from at least 5 people in 2 pairs; never any text."""
    with unit_of_work(handle.site) as work:
        figures = surveys.aggregate(work.session, programme_slug, kind)
    if fmt == "json":
        click.echo(json.dumps(figures, indent=2))
        return
    click.echo(
        f"{programme_slug}, {kind} survey: {figures['responses']} answer(s) from {figures['people']} "
        f"people in {figures['pairs']} pairs"
    )
    if kind == "pulse":
        click.echo(f"  rating (1-5), mean {figures['rating_mean']:.2f}")
        most = max(figures["rating_distribution"].values()) or 1
        for rating, count in figures["rating_distribution"].items():
            click.echo(f"    {rating}  {count:>5}  {'#' * round(30 * count / most)}")
        return
    click.echo(f"  learning gained (1-5), mean       {figures['learning_gained_mean']:.2f}")
    click.echo(f"  relationship quality (1-5), mean  {figures['relationship_quality_mean']:.2f}")
    skills = figures["skill_confidence"]
    if not skills:
        click.echo("  confidence per skill: no skill was rated by enough people to show")
        return
    width = max(len("skill"), *(len(name) for name in skills))
    click.echo(f"  {'skill':<{width}}  answers  before  after  change")
    for name, row in skills.items():
        change = row["after_mean"] - row["before_mean"]
        click.echo(
            f"  {name:<{width}}  {row['responses']:>7}  {row['before_mean']:>6.2f}  {row['after_mean']:>5.2f}"
            f"  {change:>+6.2f}"
        )


@survey.command("reversion", short_help="Pairs where the mentee did most of the teaching.")
@click.argument("programme_slug", metavar="PROGRAMME")
@pass_site
def reversion(handle: SiteHandle, programme_slug: str) -> None:
    """Pairs where the senior mentee did most of the teaching lately: a count, never the answers."""
    with unit_of_work(handle.site) as work:
        watch = reversion_watch(work, programme_slug)
    click.echo(
        f"{len(watch.flags)} of {watch.pairs_answering} pair(s) answering the teaching question flagged"
    )
    for flag in watch.flags:
        click.echo(
            f"\npair {flag.pair_id}: {flag.mentee} (mentee) and {flag.mentor} (mentor): the mentee did most "
            f"of the teaching in {flag.senior_led} of their last {flag.considered} answered meeting(s)"
        )
        click.echo(flag.conversation.rstrip())


COMMANDS = [survey]
