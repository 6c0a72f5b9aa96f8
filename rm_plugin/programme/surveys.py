"""Pulse surveys after confirmed meetings, midpoint and final retrospectives, and admin aggregates.

Admins see answers only as aggregates over at least :data:`MIN_GROUP` people in at least
:data:`MIN_PAIRS` pairs, and never the free-text fields (comments, what went well, actions).
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_plugin.errors import NotFound, ProgrammeError
from rm_plugin.programme import lookups, milestones
from rm_plugin.programme.agreement_body import goal_skills
from rm_plugin.programme.agreements import get_agreement, version_body
from rm_plugin.store import audit
from rm_plugin.store.models import Meeting, Pair, SurveyResponse
from rm_plugin.unit_of_work import ProgrammeContext, UnitOfWork

MIN_GROUP = 5  # distinct people behind any figure an admin sees
MIN_PAIRS = 2  # ... from at least this many pairs, so no one pair's view stands alone
KINDS = ("pulse", "midpoint", "final")
TEXT_LIMIT = 4000

#: The pulse survey after a meeting: a 1-5 rating, an optional comment (never shown to admins),
#: and who did most of the teaching, which the role-reversion watch counts (the senior slipping
#: back into teaching). Skipping the teaching question is allowed.
PULSE_QUESTIONS = {
    "rating": "How useful was this meeting? (1 poor to 5 great)",
    "comment": "Anything to add? (only your pair sees it)",
    "teaching": "Who did most of the teaching in this meeting?",
}
TEACHING = ("mentor", "mentee", "even")  # the junior mentor, the senior mentee, about even


class TooFewResponses(ProgrammeError):
    """An aggregate was asked for over fewer answers than the minimum group size."""


def _scale(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ProgrammeError(f"{name} must be a whole number from 1 to 5, not {value!r}")
    return value


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ProgrammeError(f"{name} must be text")
    if len(value) > TEXT_LIMIT:
        raise ProgrammeError(f"{name} is longer than {TEXT_LIMIT} characters")
    return value.strip()


def submit_pulse(
    session: Session,
    ctx: ProgrammeContext,
    meeting_id: int,
    by_hr_id: str,
    rating: int,
    comment: str = "",
    today: dt.date | None = None,
    teaching: str | None = None,
) -> SurveyResponse:
    """A member's 1–5 pulse on a confirmed meeting, once per person and meeting.

    ``teaching`` answers who did most of the teaching (one of :data:`TEACHING`), if given.
    """
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(f"no meeting {meeting_id}")
    pair = lookups.pair(session, meeting.pair_id)
    who = lookups.member(session, pair, by_hr_id)
    if meeting.confirmed_at is None:
        raise ProgrammeError(
            f"meeting {meeting_id} is not confirmed yet; the pulse follows a confirmed meeting"
        )
    answers = {"rating": _scale("rating", rating), "comment": _text("comment", comment)}
    if teaching is not None:
        if teaching not in TEACHING:
            raise ProgrammeError(f"teaching must be one of {list(TEACHING)}, not {teaching!r}")
        answers["teaching"] = teaching
    taken = session.scalar(
        select(SurveyResponse.id).where(
            SurveyResponse.meeting_id == meeting.id,
            SurveyResponse.person_id == who.id,
            SurveyResponse.kind == "pulse",
        )
    )
    if taken is not None:
        raise ProgrammeError(f"{by_hr_id} already answered the pulse for meeting {meeting_id}")
    response = SurveyResponse(
        pair_id=pair.id, person_id=who.id, kind="pulse", meeting_id=meeting.id, answers=answers
    )
    session.add(response)
    session.flush()
    audit.record(session, by_hr_id, "survey.submitted", "survey", response.id, kind="pulse")
    return response


def submit_retrospective(
    session: Session,
    ctx: ProgrammeContext,
    pair_id: int,
    by_hr_id: str,
    kind: str,
    answers: Any,
    today: dt.date,
    labels: Mapping[str, str] | None = None,
) -> SurveyResponse:
    """A member's midpoint or final retrospective, once each.

    ``answers``: see :func:`check_retrospective`; ``labels`` names where each answer came
    from (e.g. ``{"skill_confidence": "--skill"}``) so errors point at what the person typed.
    """
    if kind not in ("midpoint", "final"):
        raise ProgrammeError(f"a retrospective is midpoint or final, not {kind!r}")
    pair = lookups.active_pair(session, pair_id)
    who = lookups.member(session, pair, by_hr_id)
    skills = goal_skills(version_body(session, get_agreement(session, pair.id)))
    clean = check_retrospective(answers, skills, labels or {})
    taken = session.scalar(
        select(SurveyResponse.id).where(
            SurveyResponse.pair_id == pair.id, SurveyResponse.person_id == who.id, SurveyResponse.kind == kind
        )
    )
    if taken is not None:
        raise ProgrammeError(f"{by_hr_id} already submitted the {kind} retrospective of pair {pair.id}")
    response = SurveyResponse(pair_id=pair.id, person_id=who.id, kind=kind, answers=clean)
    session.add(response)
    session.flush()
    audit.record(session, by_hr_id, "survey.submitted", "survey", response.id, kind=kind)
    milestones.evaluate(session, ctx, pair, today)
    return response


RETRO_TEXT = ("went_well", "to_improve", "actions")
RETRO_SCALES = ("learning_gained", "relationship_quality")
RETRO_KEYS = (*RETRO_TEXT, *RETRO_SCALES, "skill_confidence")


def check_retrospective(answers: Any, skills: list[str], labels: Mapping[str, str]) -> dict[str, Any]:
    """The cleaned answers, or one error listing every problem, each naming its key.

    ``answers`` is untrusted (often a JSON file), so its shape is checked before any value is
    read: an object with ``went_well``, ``to_improve``, ``actions`` (text), ``learning_gained``
    and ``relationship_quality`` (1–5), and ``skill_confidence`` mapping every goal skill of
    the agreement to ``{"before": 1–5, "after": 1–5}``. ``labels`` renames keys in messages.
    """
    if not isinstance(answers, Mapping):
        raise ProgrammeError(
            "retrospective answers must be an object with keys "
            f"{list(RETRO_KEYS)}, not {type(answers).__name__ if answers is not None else 'null'}"
        )
    problems: list[str] = []
    clean: dict[str, Any] = {}

    def name(key: str) -> str:
        return labels.get(key, key)

    unknown = sorted(str(k) for k in set(answers) - set(RETRO_KEYS))
    if unknown:
        problems.append(f"unknown retrospective answer(s) {unknown}; expected {sorted(RETRO_KEYS)}")
    for key in RETRO_TEXT:
        try:
            clean[key] = _text(name(key), answers.get(key, ""))
        except ProgrammeError as exc:
            problems.append(str(exc))
    for key in RETRO_SCALES:
        if key not in answers:
            problems.append(f"{name(key)} (1 to 5) is required")
            continue
        try:
            clean[key] = _scale(name(key), answers[key])
        except ProgrammeError as exc:
            problems.append(str(exc))
    given = answers.get("skill_confidence", {})
    label = name("skill_confidence")
    if not isinstance(given, Mapping):
        problems.append(f"{label} must map each goal skill to {{before: 1-5, after: 1-5}}")
        given = {}
    missing, extra = sorted(set(skills) - set(given)), sorted(str(s) for s in set(given) - set(skills))
    if missing or extra:
        problems.append(
            f"{label} must cover exactly the agreement's goal skills {skills}"
            + (f"; missing {missing}" if missing else "")
            + (f"; not a goal {extra}" if extra else "")
        )
    scores: dict[str, dict[str, int]] = {}
    for skill in skills:
        if skill not in given:
            continue
        value = given[skill]
        where = f"skill_confidence.{skill}" if label == "skill_confidence" else f"{label} {skill!r}"
        if not isinstance(value, Mapping) or set(value) != {"before", "after"}:
            problems.append(f"{where} must be {{before: 1-5, after: 1-5}}, not {value!r}")
            continue
        try:
            scores[skill] = {
                "before": _scale(f"{where} before", value["before"]),
                "after": _scale(f"{where} after", value["after"]),
            }
        except ProgrammeError as exc:
            problems.append(str(exc))
    clean["skill_confidence"] = scores
    if problems:
        raise ProgrammeError("; ".join(problems))
    return clean


def aggregate(session: Session, programme_slug: str, kind: str, min_group: int = MIN_GROUP) -> dict[str, Any]:
    """Figures over a programme's answers of one kind, only from enough people and pairs.

    Answers are counted by who gave them: one pair answering many pulses is still two
    people, whose ratings could be read back. So a figure needs at least ``min_group``
    distinct people (never fewer than :data:`MIN_GROUP`) in at least :data:`MIN_PAIRS`
    pairs; a per-skill figure needs the same among the people who rated that skill.
    Never any free text: pulse gives the rating's mean and distribution; retrospectives
    give the means of learning gained and relationship quality, and confidence before and
    after per skill.
    """
    if kind not in KINDS:
        raise ProgrammeError(f"survey kind must be one of {list(KINDS)}, not {kind!r}")
    min_group = max(min_group, MIN_GROUP)
    programme = lookups.programme(session, programme_slug)
    rows = session.execute(
        select(SurveyResponse.person_id, SurveyResponse.pair_id, SurveyResponse.answers)
        .join(Pair, Pair.id == SurveyResponse.pair_id)
        .where(Pair.programme_id == programme.id, SurveyResponse.kind == kind)
    ).all()
    people, pairs = len({r.person_id for r in rows}), len({r.pair_id for r in rows})
    if people < min_group or pairs < MIN_PAIRS:
        raise TooFewResponses(
            f"{programme.slug} has {kind} answers from {people} person(s) in {pairs} pair(s); figures "
            f"are shown only over at least {min_group} people in at least {MIN_PAIRS} pairs, so no "
            "single person's answer can be read from them"
        )
    answers = [r.answers for r in rows]
    if kind == "pulse":
        ratings = [a["rating"] for a in answers]
        return {
            "kind": kind,
            "responses": len(ratings),
            "people": people,
            "pairs": pairs,
            "rating_mean": round(statistics.fmean(ratings), 2),
            "rating_distribution": {str(v): ratings.count(v) for v in range(1, 6)},
            "teaching_distribution": {t: sum(a.get("teaching") == t for a in answers) for t in TEACHING},
        }
    per_skill: dict[str, list[tuple[int, int, int, int]]] = {}
    for r in rows:
        for skill, scores in r.answers.get("skill_confidence", {}).items():
            per_skill.setdefault(skill, []).append(
                (r.person_id, r.pair_id, scores["before"], scores["after"])
            )
    return {
        "kind": kind,
        "responses": len(answers),
        "people": people,
        "pairs": pairs,
        "learning_gained_mean": round(statistics.fmean(a["learning_gained"] for a in answers), 2),
        "relationship_quality_mean": round(statistics.fmean(a["relationship_quality"] for a in answers), 2),
        "skill_confidence": {
            skill: {
                "responses": len(values),
                "before_mean": round(statistics.fmean(v[2] for v in values), 2),
                "after_mean": round(statistics.fmean(v[3] for v in values), 2),
            }
            for skill, values in sorted(per_skill.items())
            if len({v[0] for v in values}) >= min_group and len({v[1] for v in values}) >= MIN_PAIRS
        },
    }


# --- what the doors call ---------------------------------------------------------------


def read_answers(path: Path) -> dict[str, Any]:
    """The retrospective answers a JSON file holds; a file of another shape is refused, naming it."""
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ProgrammeError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    if not isinstance(loaded, dict):
        kind = "a list" if isinstance(loaded, list) else type(loaded).__name__
        raise ProgrammeError(
            f"{path}: must be one JSON object with keys {list(RETRO_KEYS)}, not {kind} "
            "(see the example answers.json in the README)"
        )
    return loaded


def submit_pulse_as_member(
    work: UnitOfWork,
    hr_id: str,
    meeting_id: int,
    rating: int,
    comment: str = "",
    teaching: str | None = None,
) -> None:
    """A member answers the pulse survey about a confirmed meeting of their pair."""
    submit_pulse(work.session, work.ctx, meeting_id, hr_id, rating, comment, work.today, teaching)


def submit_retrospective_as_member(
    work: UnitOfWork,
    hr_id: str,
    kind: str,
    answers: Mapping[str, Any],
    labels: Mapping[str, str] | None = None,
    *,
    pair_id: int | None = None,
    programme_slug: str | None = None,
) -> int:
    """A member submits the ``midpoint`` or ``final`` retrospective of their pair; returns the pair's id.

    ``labels`` name each answer as the person gave it (e.g. ``--went-well``), for the errors.
    """
    pair_id = lookups.acting_pair(work.session, hr_id, pair_id, programme_slug)
    submit_retrospective(work.session, work.ctx, pair_id, hr_id, kind, answers, work.today, labels or {})
    return pair_id
