"""Writing the audit log: who did what to which entity (no note text, no survey answers)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from rm_plugin.store.models import AuditEntry


def record(
    session: Session, actor: str, action: str, entity: str, entity_id: object = "", **detail: Any
) -> None:
    session.add(
        AuditEntry(actor=actor, action=action, entity=entity, entity_id=str(entity_id), detail=detail)
    )
