"""Read-only views of a person's programmes for the portal's first page (the participant pages
that come next replace this with the programme services)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from rm_plugin.store.models import Application, Pair, Person, Programme


@dataclass(frozen=True)
class ProgrammeLine:
    name: str
    role: str  # mentor | mentee
    stage: str  # applied | proposed | active | closed | withdrawn


def programmes_of(session: Session, person_id: int) -> list[ProgrammeLine]:
    """Each programme the person applied to, with the furthest stage their pair reached."""
    lines: list[ProgrammeLine] = []
    applications = session.execute(
        select(Programme.id, Programme.name, Application.role, Application.status)
        .join(Programme, Programme.id == Application.programme_id)
        .where(Application.person_id == person_id)
        .order_by(Programme.starts_on.desc(), Programme.id.desc())
    ).all()
    for programme_id, name, role, status in applications:
        pair_statuses = set(
            session.scalars(
                select(Pair.status).where(
                    Pair.programme_id == programme_id,
                    Pair.mentee_id == person_id if role == "mentee" else Pair.mentor_id == person_id,
                )
            )
        )
        stage = "withdrawn" if status == "withdrawn" else "applied"
        for candidate in ("proposed", "closed", "active"):
            if candidate in pair_statuses:
                stage = candidate
        lines.append(ProgrammeLine(name=name, role=role, stage=stage))
    return lines


def administered_by(session: Session, person_id: int) -> list[str]:
    hr_id = session.scalar(select(Person.hr_id).where(Person.id == person_id))
    if hr_id is None:
        return []
    return list(
        session.scalars(
            select(Programme.name).where(or_(Programme.admin_hr_id == hr_id)).order_by(Programme.name)
        )
    )
