"""The JSON of Open Badges 3.0 (a W3C Verifiable Credentials 2.0 profile), built from plain values.

Written from the 1EdTech data model: an issuer ``Profile``, an ``Achievement`` per programme
award, and an ``OpenBadgeCredential`` whose ``credentialSubject`` (an ``AchievementSubject``) names
the achievement and identifies the recipient by a salted SHA-256 of their work email, so the
credential carries no email or name in clear. No I/O here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CONTEXT = (VC_CONTEXT, OB_CONTEXT)
CREDENTIAL_TYPE = ("VerifiableCredential", "OpenBadgeCredential")
SCHEMA = {
    "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
    "type": "1EdTechJsonSchemaValidator2019",
}


def datetime_z(when: dt.datetime) -> str:
    """A DateTimeZ as the data model writes it: UTC, whole seconds, a trailing ``Z``."""
    return when.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime_z(text: str) -> dt.datetime:
    """The aware datetime of a DateTimeZ (``...Z`` or an explicit offset); ValueError otherwise."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    return value


@dataclass(frozen=True)
class Issuer:
    """The issuing organisation. ``id`` is the address its profile is served at."""

    id: str
    name: str
    url: str = ""
    email: str = ""
    description: str = ""

    def profile(self, *, standalone: bool = False) -> dict[str, Any]:
        """The ``Profile``; ``standalone`` adds the ``@context`` a document served on its own needs."""
        out: dict[str, Any] = {"@context": list(CONTEXT)} if standalone else {}
        out.update({"id": self.id, "type": ["Profile"], "name": self.name})
        for key in ("url", "email", "description"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out


@dataclass(frozen=True)
class AchievementInfo:
    """What a programme's award recognises: its name, description, criteria and image."""

    id: str
    name: str
    description: str
    criteria: str
    image_url: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    def as_json(self, issuer: Issuer, *, standalone: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"@context": list(CONTEXT)} if standalone else {}
        out.update(
            {
                "id": self.id,
                "type": ["Achievement"],
                "achievementType": "Badge",
                "name": self.name,
                "description": self.description,
                "criteria": {"narrative": self.criteria},
                "creator": issuer.profile(),
            }
        )
        if self.image_url:
            out["image"] = {"id": self.image_url, "type": "Image", "caption": self.name}
        if self.tags:
            out["tag"] = list(self.tags)
        return out


def criteria_narrative(definitions: Sequence[Mapping[str, Any]], until: str | None = None) -> str:
    """The criteria as a sentence per milestone, up to and including ``until`` (default: all)."""
    lines = []
    for item in definitions:
        rule = item.get("rule")
        if rule == "agreement_signed":
            lines.append("Signed a mentoring agreement with their partner.")
        elif rule == "meetings":
            count = int(item.get("count", 1))
            lines.append(f"Held {count} meeting{'s' if count != 1 else ''} that both partners confirmed.")
        elif rule == "retrospective":
            lines.append(f"Submitted the {item.get('kind', 'final')} retrospective.")
        elif rule == "completed":
            lines.append("Completed the programme: both partners submitted the final retrospective.")
        elif rule == "reported":
            lines.append(f"Completed {str(item.get('key', '')).replace('_', ' ')}.")
        if until is not None and item.get("key") == until:
            break
    return "\n".join(f"- {line}" for line in lines) or "Completed the programme."


def identity_hash(email: str, salt: str) -> str:
    """``sha256$<hex>`` over the normalised email followed by the salt (the IdentityHash rule)."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()


def email_identifier(email: str, salt: str) -> dict[str, Any]:
    """An ``IdentityObject`` for a work email, hashed with ``salt`` so the email is not in clear."""
    return {
        "type": "IdentityObject",
        "identityHash": identity_hash(email, salt),
        "identityType": "emailAddress",
        "hashed": True,
        "salt": salt,
    }


def status_entry(list_url: str, index: int) -> dict[str, Any]:
    """A ``BitstringStatusListEntry`` pointing at the credential's bit in a revocation list."""
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


@dataclass(frozen=True)
class Award:
    """One person's award, as the credential states it."""

    credential_id: str
    subject_id: str  # a ``urn:uuid:`` of its own: the holder is recognised by the identifier
    email: str
    salt: str
    role: str  # mentor | mentee
    valid_from: dt.datetime
    status: Mapping[str, Any]


def open_badge_credential(issuer: Issuer, achievement: AchievementInfo, award: Award) -> dict[str, Any]:
    """The ``OpenBadgeCredential`` (unsigned) of ``award``."""
    subject: dict[str, Any] = {
        "id": award.subject_id,
        "type": ["AchievementSubject"],
        "identifier": [email_identifier(award.email, award.salt)],
        "achievement": achievement.as_json(issuer),
    }
    if award.role:
        subject["role"] = award.role
    credential: dict[str, Any] = {
        "@context": list(CONTEXT),
        "id": award.credential_id,
        "type": list(CREDENTIAL_TYPE),
        "issuer": issuer.profile(),
        "validFrom": datetime_z(award.valid_from),
        "awardedDate": datetime_z(award.valid_from),
        "name": achievement.name,
        "credentialSubject": subject,
        "credentialStatus": dict(award.status),
        "credentialSchema": [dict(SCHEMA)],
    }
    if achievement.image_url:
        credential["image"] = {"id": achievement.image_url, "type": "Image", "caption": achievement.name}
    return credential


def jwt_claims(credential: Mapping[str, Any]) -> dict[str, Any]:
    """The JWT payload of the VC-JWT proof: the credential itself plus ``iss``, ``jti``, ``sub``,
    ``nbf`` (and ``exp`` when it has a ``validUntil``), each mirroring the credential's own value."""
    claims = dict(credential)
    issuer = credential["issuer"]
    claims["iss"] = issuer["id"] if isinstance(issuer, Mapping) else issuer
    claims["jti"] = credential["id"]
    claims["sub"] = credential["credentialSubject"]["id"]
    claims["nbf"] = int(parse_datetime_z(credential["validFrom"]).timestamp())
    if credential.get("validUntil"):
        claims["exp"] = int(parse_datetime_z(credential["validUntil"]).timestamp())
    return claims
