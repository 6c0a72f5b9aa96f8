"""Who a launch is: the LMS user matched to one of our people by a configurable claim.

By default the claim is ``lis.person_sourcedid`` (Moodle sends the user's ID number there) and it
holds the HR id; a site may match ``email`` instead, or a custom parameter set up in the platform
(``custom.hr_id``). What the launch says about roles never enters here: rights come from our own
data (pair membership, reviewer, programme admin), never from the platform.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rm_plugin.store.models import Person

LTI_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
#: Short names for the nested LTI claims a site may choose.
NESTED = {"lis": LTI_CLAIM + "lis", "custom": LTI_CLAIM + "custom", "ext": LTI_CLAIM + "ext"}


@dataclass(frozen=True)
class IdentityRule:
    claim: str = "lis.person_sourcedid"  # "email", "custom.hr_id", a full claim URL, ...
    matches: str = "hr_id"  # or "email"

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> IdentityRule:
        return cls(
            claim=str(section.get("claim", cls.claim)), matches=str(section.get("matches", cls.matches))
        )


@dataclass(frozen=True)
class IdentityResult:
    """The person found, or why nobody was: ``reason`` is ``no_value`` (the claim is missing or
    empty), ``unknown`` (nobody has that value) or ``inactive`` (the person has left)."""

    person_id: int | None
    reason: str = ""

    @property
    def found(self) -> bool:
        return self.person_id is not None


def claim_value(claims: Mapping[str, Any], name: str) -> str:
    """The string at ``name``: a top-level claim, or ``lis.x`` / ``custom.x`` / ``ext.x`` inside
    the LTI claim of that name."""
    if name in claims:
        value = claims[name]
    else:
        head, _, rest = name.partition(".")
        container = claims.get(NESTED.get(head, ""))
        value = container.get(rest) if rest and isinstance(container, Mapping) else None
    return value.strip() if isinstance(value, str) else ""


def person_for_launch(session: Session, claims: Mapping[str, Any], rule: IdentityRule) -> IdentityResult:
    """Match the launch's user to one active person (read-only)."""
    value = claim_value(claims, rule.claim)
    if not value:
        return IdentityResult(None, "no_value")
    if rule.matches == "email":
        query = select(Person.id, Person.status).where(func.lower(Person.email) == value.lower())
    else:
        query = select(Person.id, Person.status).where(Person.hr_id == value)
    rows = session.execute(query.limit(2)).all()
    if len(rows) != 1:
        return IdentityResult(None, "unknown")
    person_id, status = rows[0]
    if status != "active":
        return IdentityResult(None, "inactive")
    return IdentityResult(int(person_id))
