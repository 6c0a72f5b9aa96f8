"""The role-reversion watch: pairs where the senior mentee has slipped back into teaching.

After each meeting the pulse survey asks both members who did most of the teaching
(:data:`~rm_plugin.programme.surveys.TEACHING`). A meeting counts as *senior-led* when
either member answered ``mentee``. A pair is flagged when, among its :data:`RECENT` latest
meetings with an answer, more than half, and at least :data:`AT_LEAST`, were senior-led.

Admins see only the flag and the count of senior-led meetings, never who answered what: a
count over a meeting's two answers does not say which member gave which. The suggested
conversation comes from the ``role_reversion.txt.j2`` template, which a site may override.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from rm_plugin.programme import lookups
from rm_plugin.store.models import Meeting, Pair, Person, Programme, SurveyResponse
from rm_plugin.unit_of_work import ProgrammeContext, UnitOfWork

RECENT = 4  # latest answered meetings looked at
AT_LEAST = 2  # senior-led meetings needed among them, besides more than half


@dataclass(frozen=True)
class PairCount:
    """How many of a pair's recent answered meetings were senior-led."""

    pair_id: int
    considered: int
    senior_led: int

    @property
    def flagged(self) -> bool:
        return self.senior_led >= AT_LEAST and 2 * self.senior_led > self.considered


def counts(session: Session, programme: Programme) -> list[PairCount]:
    """Every active pair with at least one teaching answer, in pair order (one query)."""
    rows = session.execute(
        select(SurveyResponse.pair_id, Meeting.id, Meeting.held_on, SurveyResponse.answers)
        .join(Meeting, Meeting.id == SurveyResponse.meeting_id)
        .join(Pair, Pair.id == SurveyResponse.pair_id)
        .where(Pair.programme_id == programme.id, Pair.status == "active", SurveyResponse.kind == "pulse")
    )
    meetings: dict[int, dict[tuple, bool]] = defaultdict(dict)
    for pair_id, meeting_id, held_on, answers in rows:
        teaching = (answers or {}).get("teaching")
        if teaching is None:
            continue
        key = (held_on, meeting_id)
        meetings[pair_id][key] = meetings[pair_id].get(key, False) or teaching == "mentee"
    out = []
    for pair_id in sorted(meetings):
        latest = sorted(meetings[pair_id].items(), reverse=True)[:RECENT]
        out.append(PairCount(pair_id, len(latest), sum(led for _, led in latest)))
    return out


@dataclass(frozen=True)
class Flag:
    """A flagged pair as the admin sees it: who, the count, and a conversation to suggest."""

    pair_id: int
    mentee: str
    mentor: str
    considered: int
    senior_led: int
    conversation: str


@dataclass(frozen=True)
class Watch:
    """Pairs with answers to the teaching question, and the flagged ones."""

    programme: str
    pairs_answering: int
    flags: tuple[Flag, ...]


def watch(session: Session, ctx: ProgrammeContext, programme_slug: str) -> Watch:
    """The flagged pairs of a programme, each with the suggested conversation rendered."""
    programme = lookups.programme(session, programme_slug)
    found = counts(session, programme)
    flagged = [c for c in found if c.flagged]
    names: dict[int, tuple[str, str]] = {}
    if flagged:
        mentee, mentor = aliased(Person), aliased(Person)
        for pair_id, senior, junior in session.execute(
            select(Pair.id, mentee, mentor)
            .join(mentee, mentee.id == Pair.mentee_id)
            .join(mentor, mentor.id == Pair.mentor_id)
            .where(Pair.id.in_([c.pair_id for c in flagged]))
        ):
            names[pair_id] = (senior.display_name, junior.display_name)
    flags = []
    for count in flagged:
        mentee_name, mentor_name = names[count.pair_id]
        text = ctx.renderer.render(
            "role_reversion.txt.j2",
            {
                "programme": {"slug": programme.slug, "name": programme.name},
                "pair_id": count.pair_id,
                "mentee": {"name": mentee_name},
                "mentor": {"name": mentor_name},
                "considered": count.considered,
                "senior_led": count.senior_led,
            },
        )
        flags.append(Flag(count.pair_id, mentee_name, mentor_name, count.considered, count.senior_led, text))
    return Watch(programme.slug, len(found), tuple(flags))


def reversion_watch(work: UnitOfWork, programme_slug: str) -> Watch:
    """What the admin's role-reversion watch shows (``survey reversion``, the admin page)."""
    return watch(work.session, work.ctx, programme_slug)
