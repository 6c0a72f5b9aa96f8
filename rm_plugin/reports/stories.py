"""Success stories: a pair tells what they learned and what changed, both consent, an admin publishes.

The rules, for every door (command line, portal, the erasure of a person's data):

- A member of an approved pair (active or closed) drafts the pair's story; one per pair.
- Either member, or the programme's admin, may edit it. Every edit makes a new version, and a
  consent holds only for the version it was given to: a changed text must be consented to
  again, and a published story whose text changes is unpublished until it is.
- Each member consents to the current version and says how they are named: ``name`` (name
  and job title) or ``anonymous`` ("the mentee", "the mentor").
- The programme's admin (``admin_hr_id``: rights come from rm-plugin's data) publishes a story
  both members consented to in its current version.
- Either member may withdraw their consent at any time; a published story is unpublished at
  once. :func:`withdraw_all_for_person` does that for every story of one person; erasing a
  person's data does the same through its own rules for these tables
  (:data:`rm_plugin.people.data_rights.ERASURE`).
- Published stories render as a newsletter issue and an intranet page, in HTML and Markdown,
  from the ``newsletter.*.j2`` and ``intranet.*.j2`` templates; each person is named only as
  they consented.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from rm_plugin.domain import text_limits
from rm_plugin.errors import NotFound, NotPermitted, ProgrammeError
from rm_plugin.programme import lookups
from rm_plugin.store import audit
from rm_plugin.store.models import Pair, Person, Programme, Story, StoryConsent
from rm_plugin.store.types import utcnow
from rm_plugin.unit_of_work import ProgrammeContext, UnitOfWork

APPROVED = ("active", "closed")
SHOWN_AS = ("name", "anonymous")
FORMATS = (("newsletter", "html"), ("newsletter", "md"), ("intranet", "html"), ("intranet", "md"))


class StoryError(ProgrammeError):
    """A story action was refused; the message says why and what to do."""


@dataclass(frozen=True)
class ConsentState:
    hr_id: str
    role: str  # mentee | mentor
    state: str  # none | given | outdated | withdrawn
    shown_as: str  # name | anonymous | "" (no consent)


@dataclass(frozen=True)
class StoryListing:
    """A story as the admin list shows it (its text stays in the story itself)."""

    id: int
    pair_id: int
    title: str
    status: str
    version: int
    consents: tuple[ConsentState, ...]

    @property
    def publishable(self) -> bool:
        return all(c.state == "given" for c in self.consents)


# --- the rules ----------------------------------------------------------------------------------


def _check_text(title: str | None, learned: str | None, changed: str | None, *, new: bool) -> list[str]:
    problems = []
    if title is not None and not title.strip():
        problems.append("the title must not be empty")
    for what, value, limit in (
        ("the title", title, text_limits.NAME),
        ("what you learned", learned, text_limits.TEXT),
        ("what changed", changed, text_limits.TEXT),
    ):
        problem = text_limits.too_long(what, value, limit)
        if problem:
            problems.append(problem)
    if new and title is None:
        problems.append("a story needs a title")
    if new and not (learned or "").strip() and not (changed or "").strip():
        problems.append("a story needs what you learned or what changed (or both)")
    return problems


def _member_pair(
    session: Session, hr_id: str, programme: Programme, pair_id: int | None
) -> tuple[Pair, Person]:
    """The approved pair of ``programme`` that ``hr_id`` is in (``pair_id`` picks one of several)."""
    who = lookups.person(session, hr_id)
    query = select(Pair).where(
        Pair.programme_id == programme.id,
        Pair.status.in_(APPROVED),
        (Pair.mentee_id == who.id) | (Pair.mentor_id == who.id),
    )
    if pair_id is not None:
        query = query.where(Pair.id == pair_id)
    pairs = list(session.scalars(query.order_by(Pair.id)))
    if not pairs:
        which = f"pair {pair_id}" if pair_id is not None else "an active or closed pair"
        raise StoryError(f"{hr_id} is not in {which} of {programme.slug}; only its members tell its story")
    if len(pairs) > 1:
        ids = ", ".join(str(p.id) for p in pairs)
        raise StoryError(f"{hr_id} is in several pairs of {programme.slug} ({ids}); choose one with --pair")
    return pairs[0], who


def _story_of(session: Session, pair: Pair) -> Story:
    story = session.scalar(select(Story).where(Story.pair_id == pair.id))
    if story is None:
        raise NotFound(f"pair {pair.id} has no story yet; a member drafts it with `stories draft`")
    return story


def _is_admin(programme: Programme, hr_id: str) -> bool:
    return bool(programme.admin_hr_id) and programme.admin_hr_id == hr_id


def _require_admin(programme: Programme, hr_id: str, doing: str) -> None:
    if not _is_admin(programme, hr_id):
        raise StoryError(
            f"only the admin of {programme.slug} ({programme.admin_hr_id or 'none set'}) may {doing}; "
            f"{hr_id} is not"
        )


def _story_in(session: Session, programme: Programme, story_id: int) -> Story:
    story = session.get(Story, story_id)
    pair = session.get(Pair, story.pair_id) if story is not None else None
    if story is None or pair is None or pair.programme_id != programme.id:
        raise NotFound(f"no story {story_id} in {programme.slug}")
    return story


def _unpublish(session: Session, story: Story, actor: str, why: str) -> None:
    if story.status == "published":
        story.status = "draft"
        story.published_at = None
        story.published_by = ""
        audit.record(session, actor, "story.unpublished", "story", story.id, reason=why)


def consent_states(session: Session, story: Story) -> tuple[ConsentState, ...]:
    pair = session.get(Pair, story.pair_id)
    assert pair is not None
    given = {
        c.person_id: c for c in session.scalars(select(StoryConsent).where(StoryConsent.story_id == story.id))
    }
    states = []
    for role, person_id in (("mentee", pair.mentee_id), ("mentor", pair.mentor_id)):
        person = session.get(Person, person_id)
        assert person is not None
        consent = given.get(person_id)
        if consent is None:
            state, shown = "none", ""
        elif consent.withdrawn_at is not None:
            state, shown = "withdrawn", ""
        elif consent.version != story.version:
            state, shown = "outdated", consent.shown_as
        else:
            state, shown = "given", consent.shown_as
        states.append(ConsentState(person.hr_id, role, state, shown))
    return tuple(states)


def _listing(session: Session, story: Story) -> StoryListing:
    return StoryListing(
        story.id, story.pair_id, story.title, story.status, story.version, consent_states(session, story)
    )


# --- what the doors call ------------------------------------------------------------------------


def draft(
    work: UnitOfWork,
    hr_id: str,
    programme_slug: str,
    *,
    title: str,
    learned: str = "",
    changed: str = "",
    pair_id: int | None = None,
) -> StoryListing:
    """A member drafts their pair's story (one per pair); nobody has consented to it yet."""
    session = work.session
    programme = lookups.programme(session, programme_slug)
    pair, who = _member_pair(session, hr_id, programme, pair_id)
    problems = _check_text(title, learned, changed, new=True)
    existing = session.scalar(select(Story.id).where(Story.pair_id == pair.id))
    if existing is not None:
        problems.append(f"pair {pair.id} already has story {existing}; change it with `stories edit`")
    if problems:
        raise StoryError("; ".join(problems))
    story = Story(
        pair_id=pair.id,
        author_id=who.id,
        title=title.strip(),
        learned=learned.strip(),
        changed=changed.strip(),
        edited_by=hr_id,
    )
    session.add(story)
    session.flush()
    audit.record(session, hr_id, "story.drafted", "story", story.id, pair_id=pair.id)
    return _listing(session, story)


def edit(
    work: UnitOfWork,
    hr_id: str,
    programme_slug: str,
    *,
    story_id: int | None = None,
    pair_id: int | None = None,
    title: str | None = None,
    learned: str | None = None,
    changed: str | None = None,
) -> StoryListing:
    """A member edits their pair's story, or the programme's admin edits story ``story_id``.

    Each edit makes a new version that both members must consent to again; a published story
    is unpublished until they do.
    """
    session = work.session
    programme = lookups.programme(session, programme_slug)
    if story_id is not None and _is_admin(programme, hr_id):
        story = _story_in(session, programme, story_id)
    else:
        pair, _ = _member_pair(session, hr_id, programme, pair_id)
        story = _story_of(session, pair)
        if story_id is not None and story.id != story_id:
            raise StoryError(
                f"story {story_id} is not the story of {hr_id}'s pair, and {hr_id} is not the admin"
            )
    problems = _check_text(title, learned, changed, new=False)
    if title is None and learned is None and changed is None:
        problems.append("nothing to change: give a new title, what you learned or what changed")
    if problems:
        raise StoryError("; ".join(problems))
    new = {
        "title": title.strip() if title is not None else story.title,
        "learned": learned.strip() if learned is not None else story.learned,
        "changed": changed.strip() if changed is not None else story.changed,
    }
    if not new["learned"] and not new["changed"]:
        raise StoryError("a story needs what you learned or what changed (or both)")
    if new == {"title": story.title, "learned": story.learned, "changed": story.changed}:
        return _listing(session, story)
    story.title, story.learned, story.changed = new["title"], new["learned"], new["changed"]
    story.version += 1
    story.edited_by = hr_id
    _unpublish(session, story, hr_id, "the text changed; both members consent again")
    audit.record(session, hr_id, "story.edited", "story", story.id, version=story.version)
    session.flush()
    return _listing(session, story)


def consent(
    work: UnitOfWork, hr_id: str, programme_slug: str, shown_as: str, *, pair_id: int | None = None
) -> StoryListing:
    """A member consents to publishing the current version of their pair's story, named as
    ``shown_as`` (``name`` or ``anonymous``)."""
    if shown_as not in SHOWN_AS:
        raise StoryError(f"choose how you are shown: one of {list(SHOWN_AS)}, not {shown_as!r}")
    session = work.session
    programme = lookups.programme(session, programme_slug)
    pair, who = _member_pair(session, hr_id, programme, pair_id)
    story = _story_of(session, pair)
    row = session.scalar(
        select(StoryConsent).where(StoryConsent.story_id == story.id, StoryConsent.person_id == who.id)
    )
    if row is None:
        row = StoryConsent(story_id=story.id, person_id=who.id, version=story.version, shown_as=shown_as)
        session.add(row)
    else:
        row.version, row.shown_as, row.withdrawn_at, row.given_at = story.version, shown_as, None, utcnow()
    session.flush()
    audit.record(
        session, hr_id, "story.consented", "story", story.id, version=story.version, shown_as=shown_as
    )
    return _listing(session, story)


def withdraw(
    work: UnitOfWork, hr_id: str, programme_slug: str, *, pair_id: int | None = None
) -> StoryListing:
    """A member withdraws their consent; a published story is unpublished at once."""
    session = work.session
    programme = lookups.programme(session, programme_slug)
    pair, who = _member_pair(session, hr_id, programme, pair_id)
    story = _story_of(session, pair)
    _withdraw(session, story, who.id, hr_id)
    return _listing(session, story)


def _withdraw(session: Session, story: Story, person_id: int, actor: str) -> None:
    row = session.scalar(
        select(StoryConsent).where(StoryConsent.story_id == story.id, StoryConsent.person_id == person_id)
    )
    if row is None:
        row = StoryConsent(
            story_id=story.id, person_id=person_id, version=story.version, shown_as="anonymous"
        )
        session.add(row)
    row.withdrawn_at = utcnow()
    _unpublish(session, story, actor, "a member withdrew their consent")
    audit.record(session, actor, "story.consent_withdrawn", "story", story.id)
    session.flush()


def publish(work: UnitOfWork, admin_hr_id: str, programme_slug: str, story_id: int) -> StoryListing:
    """The programme's admin publishes a story both members consented to in its current version."""
    session = work.session
    programme = lookups.programme(session, programme_slug)
    _require_admin(programme, admin_hr_id, "publish its stories")
    story = _story_in(session, programme, story_id)
    states = consent_states(session, story)
    missing = [f"{c.role} {c.hr_id} ({c.state})" for c in states if c.state != "given"]
    if missing:
        raise StoryError(
            f"story {story.id} (version {story.version}) cannot be published: no consent to this version "
            f"from {', '.join(missing)}"
        )
    if story.status != "published":
        story.status = "published"
        story.published_at = utcnow()
        story.published_by = admin_hr_id
        audit.record(session, admin_hr_id, "story.published", "story", story.id, version=story.version)
        session.flush()
    return _listing(session, story)


def list_stories(work: UnitOfWork, hr_id: str, programme_slug: str) -> list[StoryListing]:
    """The programme's stories: all of them for its admin, a member's own pair's for a member."""
    session = work.session
    programme = lookups.programme(session, programme_slug)
    query = select(Story).join(Pair, Pair.id == Story.pair_id).where(Pair.programme_id == programme.id)
    if not _is_admin(programme, hr_id):
        who = lookups.person(session, hr_id)
        query = query.where((Pair.mentee_id == who.id) | (Pair.mentor_id == who.id))
    return [_listing(session, story) for story in session.scalars(query.order_by(Story.id))]


@dataclass(frozen=True)
class StoryView:
    """A story with its text, for its members and the programme's admin."""

    listing: StoryListing
    learned: str
    changed: str


@dataclass(frozen=True)
class PairStory:
    """A pair's story as one of its members sees it (``story`` is None until one is drafted)."""

    pair_id: int
    programme_slug: str
    programme_name: str
    hr_id: str
    story: StoryView | None

    @property
    def my_consent(self) -> ConsentState | None:
        if self.story is None:
            return None
        return next((c for c in self.story.listing.consents if c.hr_id == self.hr_id), None)


def _view(session: Session, story: Story) -> StoryView:
    return StoryView(_listing(session, story), story.learned, story.changed)


def pair_story(work: UnitOfWork, hr_id: str, pair_id: int) -> PairStory:
    """Pair ``pair_id``'s story for ``hr_id``; NotPermitted unless they are in the approved pair."""
    session = work.session
    pair = lookups.pair(session, pair_id)
    lookups.member(session, pair, hr_id)
    if pair.status not in APPROVED:
        raise NotPermitted(f"pair {pair_id} is {pair.status}; only an approved pair tells its story")
    programme = session.get(Programme, pair.programme_id)
    assert programme is not None
    story = session.scalar(select(Story).where(Story.pair_id == pair.id))
    return PairStory(
        pair.id, programme.slug, programme.name, hr_id, _view(session, story) if story is not None else None
    )


def story_for_admin(work: UnitOfWork, admin_hr_id: str, programme_slug: str, story_id: int) -> StoryView:
    """Story ``story_id`` of the programme, with its text, for the programme's admin only."""
    session = work.session
    programme = lookups.programme(session, programme_slug)
    if not _is_admin(programme, admin_hr_id):
        raise NotPermitted(f"{admin_hr_id} is not the admin of {programme_slug}")
    return _view(session, _story_in(session, programme, story_id))


def withdraw_all_for_person(work: UnitOfWork, person_id: int) -> int:
    """Withdraw ``person_id``'s consent to every story of their pairs and unpublish those stories;
    returns how many stories it touched."""
    session = work.session
    stories = list(
        session.scalars(
            select(Story)
            .join(Pair, Pair.id == Story.pair_id)
            .where((Pair.mentee_id == person_id) | (Pair.mentor_id == person_id))
            .order_by(Story.id)
        )
    )
    for story in stories:
        _withdraw(session, story, person_id, "system")
    return len(stories)


# --- rendering the published stories ------------------------------------------------------------


def _named(person: Person, consent: StoryConsent, role: str) -> dict[str, Any]:
    """A member as a story shows them: by name and job title, or only by role."""
    if consent.shown_as == "name":
        title = f", {person.title}" if person.title else ""
        return {
            "named": True,
            "name": person.display_name,
            "job_title": person.title or "",
            "role": role,
            "label": f"{person.display_name}{title} ({role})",
        }
    return {
        "named": False,
        "name": "",
        "job_title": "",
        "role": role,
        "label": f"a {role} who chose not to be named",
    }


def published(session: Session, programme_slug: str) -> list[dict[str, Any]]:
    """The programme's published stories as templates get them, newest first, each person named
    only as they consented (a story without both consents in force is never among them)."""
    programme = lookups.programme(session, programme_slug)
    mentee, mentor = aliased(Person), aliased(Person)
    rows = session.execute(
        select(Story, mentee, mentor)
        .join(Pair, Pair.id == Story.pair_id)
        .join(mentee, mentee.id == Pair.mentee_id)
        .join(mentor, mentor.id == Pair.mentor_id)
        .where(Pair.programme_id == programme.id, Story.status == "published")
        .order_by(Story.published_at.desc(), Story.id.desc())
    ).all()
    out = []
    for story, senior, junior in rows:
        consents = {
            c.person_id: c
            for c in session.scalars(select(StoryConsent).where(StoryConsent.story_id == story.id))
            if c.withdrawn_at is None and c.version == story.version
        }
        if senior.id not in consents or junior.id not in consents:
            continue  # never shown without both consents, whatever the status says
        out.append(
            {
                "id": story.id,
                "title": story.title,
                "learned": story.learned,
                "changed": story.changed,
                "mentee": _named(senior, consents[senior.id], "mentee"),
                "mentor": _named(junior, consents[junior.id], "mentor"),
                "published_on": story.published_at.date().isoformat() if story.published_at else "",
            }
        )
    return out


def render_stories(
    session: Session, ctx: ProgrammeContext, programme_slug: str, kind: str, fmt: str, today: dt.date
) -> str:
    """The published stories as a ``newsletter`` issue or an ``intranet`` page, in ``html`` or ``md``."""
    if (kind, fmt) not in FORMATS:
        raise StoryError(f"stories render as {FORMATS}, not {(kind, fmt)}")
    programme = lookups.programme(session, programme_slug)
    return ctx.renderer.render(
        f"{kind}.{fmt}.j2",
        {
            "programme": {"slug": programme.slug, "name": programme.name},
            "issue_date": today.isoformat(),
            "stories": published(session, programme_slug),
        },
    )


def export(work: UnitOfWork, programme_slug: str, out_dir: Path) -> list[Path]:
    """Write the newsletter issue and the intranet page, HTML and Markdown; returns the files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind, fmt in FORMATS:
        path = out_dir / f"{kind}-{programme_slug}.{fmt}"
        path.write_text(
            render_stories(work.session, work.ctx, programme_slug, kind, fmt, work.today), encoding="utf-8"
        )
        paths.append(path)
    return paths
