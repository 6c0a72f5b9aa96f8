"""Messages to people (invitations, reminders, nudges) as ``notify`` outbox rows.

One row per enabled ``notify`` connection, rendered from a message template. Callers pass
only what the template may show: never meeting notes or survey comments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from rm_plugin.outbox import enqueue, enrolment_key
from rm_plugin.unit_of_work import ProgrammeContext


def send_message(
    session: Session,
    ctx: ProgrammeContext,
    *,
    key: str,
    audience: Sequence[str],
    template: str,
    context: Mapping[str, Any],
    kind: str,
    pair_id: int | None = None,
) -> int:
    """Queue one message to ``audience`` (HR ids) on every notify connection; returns rows added.

    A message about a pair (``pair_id``) follows the pair's enrolment on that connection.
    """
    message = ctx.renderer.message(template, context)
    payload = {"audience": list(audience), "subject": message.subject, "body": message.body, "kind": kind}
    added = 0
    for connection in ctx.notify:
        added += enqueue(
            session,
            key=f"notify:{key}:{connection}",
            connection=connection,
            action="notify",
            payload=payload,
            after=[enrolment_key(pair_id, connection)] if pair_id is not None else [],
        )
    return added
