"""Remembering where a person's progress score can go, from the grade-service claim of a launch."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_plugin.store.models import LtiGradeTarget
from rm_plugin.web.lti.launch import Launch


def record_grade_target(session: Session, person_id: int, launch: Launch, now: dt.datetime) -> bool:
    """Keep (or refresh) the person's LTI user id and the link's AGS endpoints; False when the
    launch offered no grade service."""
    ags = launch.ags
    lineitems = str(ags.get("lineitems") or "")
    lineitem = str(ags.get("lineitem") or "")
    if not (lineitems or lineitem) or not launch.context_id:
        return False
    scopes = [str(s) for s in ags.get("scope") or [] if isinstance(s, str)]
    target = session.scalar(
        select(LtiGradeTarget).where(
            LtiGradeTarget.person_id == person_id,
            LtiGradeTarget.platform_id == launch.platform_id,
            LtiGradeTarget.context_id == launch.context_id,
            LtiGradeTarget.resource_link_id == launch.resource_link_id,
        )
    )
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
    return True
