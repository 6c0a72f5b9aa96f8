"""Remembering where a person's progress score can go, from the grade-service claim of a launch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from rm_plugin.lti.launch import Launch
from rm_plugin.outbox import enqueue
from rm_plugin.store.models import LtiGradeTarget, Pair, Person, Programme

if TYPE_CHECKING:
    from rm_plugin.site import Site


def grade_connections(site: Site) -> list[str]:
    """The enabled ``lti_grades`` connections, which receive progress scores."""
    return [c.name for c in site.enabled_connections(role="progress") if c.type == "lti_grades"]


def record_grade_target(session: Session, person_id: int, launch: Launch, now: dt.datetime) -> int | None:
    """Keep (or refresh) the person's LTI user id and the link's AGS endpoints. Returns the id of
    a target seen for the first time, None otherwise (known already, or no grade service)."""
    ags = launch.ags
    lineitems = str(ags.get("lineitems") or "")
    lineitem = str(ags.get("lineitem") or "")
    if not (lineitems or lineitem) or not launch.context_id:
        return None
    scopes = [str(s) for s in ags.get("scope") or [] if isinstance(s, str)]
    target: LtiGradeTarget | None = session.scalar(
        select(LtiGradeTarget).where(
            LtiGradeTarget.person_id == person_id,
            LtiGradeTarget.platform_id == launch.platform_id,
            LtiGradeTarget.context_id == launch.context_id,
            LtiGradeTarget.resource_link_id == launch.resource_link_id,
        )
    )
    new = target is None
    if target is None:
        target = LtiGradeTarget(
            person_id=person_id,
            platform_id=launch.platform_id,
            context_id=launch.context_id,
            resource_link_id=launch.resource_link_id,
        )
        session.add(target)
    target.deployment_id = launch.deployment_id
    target.sub = launch.sub
    target.lineitems_url = lineitems
    target.lineitem_url = lineitem
    target.scopes = scopes
    target.updated_at = now
    session.flush()
    return target.id if new else None


def queue_progress_refresh(
    session: Session, person_id: int, target_id: int, connections: Sequence[str]
) -> int:
    """Queue one progress score per pair of the person for each grade connection, when a graded
    link is seen for the first time: what the person reached before they ever launched from it
    reaches the gradebook too. Returns the rows added."""
    if not connections:
        return 0
    hr_id = session.scalar(select(Person.hr_id).where(Person.id == person_id))
    rows = session.execute(
        select(Pair.id, Programme.slug)
        .join(Programme, Programme.id == Pair.programme_id)
        .where(
            or_(Pair.mentee_id == person_id, Pair.mentor_id == person_id),
            Pair.status.in_(("active", "closed")),
        )
    ).all()
    added = 0
    today = dt.date.today().isoformat()
    for pair_id, slug in rows:
        for connection in connections:
            added += enqueue(
                session,
                key=f"completion:{slug}:progress:{pair_id}:{hr_id}:{connection}:link{target_id}",
                connection=connection,
                action="completion",
                payload={
                    "programme": slug,
                    "milestone": "progress",
                    "person": hr_id,
                    "pair_id": pair_id,
                    "reached_on": today,
                },
            )
    return added
