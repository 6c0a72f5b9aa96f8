"""Verifying a credential as the Open Badges 3.0 verification steps say, against this issuer.

The signature is checked with the public key the ``kid`` header names (one this issuer
publishes), the JWT claims against the credential they mirror (``iss``/``jti``/``sub``/``nbf``
/``exp``), the shape against the data model's required fields, the dates against now, and the
revocation bit in the status list the credential points at.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from rm_plugin.credentials import status_list
from rm_plugin.credentials.issuing import revoked_positions
from rm_plugin.credentials.keys import CredentialKeys
from rm_plugin.credentials.model import CONTEXT, parse_datetime_z
from rm_plugin.credentials.settings import BadgeSettings
from rm_plugin.lti import jose


@dataclass(frozen=True)
class Verdict:
    """What verification found. ``valid`` only when the signature, claims and dates hold and the
    credential is not revoked; ``problems`` says why not, one sentence each."""

    problems: tuple[str, ...] = ()
    revoked: bool = False
    credential: Mapping[str, Any] | None = None
    kid: str = ""
    checks: tuple[str, ...] = field(default_factory=tuple)

    @property
    def valid(self) -> bool:
        return not self.problems and not self.revoked and self.credential is not None


def _types(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def shape_problems(vc: Mapping[str, Any]) -> list[str]:
    """Every required field of an OpenBadgeCredential that is missing or of the wrong type."""
    problems = []
    context = vc.get("@context")
    if not isinstance(context, list) or list(context[:2]) != list(CONTEXT):
        problems.append(f"@context must start with {list(CONTEXT)}")
    types = _types(vc.get("type"))
    if "VerifiableCredential" not in types or not {"OpenBadgeCredential", "AchievementCredential"} & set(
        types
    ):
        problems.append("type must include VerifiableCredential and OpenBadgeCredential")
    if not isinstance(vc.get("id"), str) or not vc["id"]:
        problems.append("id must be a URI")
    issuer = vc.get("issuer")
    if not (isinstance(issuer, Mapping) and isinstance(issuer.get("id"), str)) and not isinstance(
        issuer, str
    ):
        problems.append("issuer must be a Profile with an id, or a URI")
    if not isinstance(vc.get("validFrom"), str):
        problems.append("validFrom must be a date-time")
    subject = vc.get("credentialSubject")
    if not isinstance(subject, Mapping):
        return [*problems, "credentialSubject must be an AchievementSubject object"]
    if "AchievementSubject" not in _types(subject.get("type")):
        problems.append("credentialSubject.type must include AchievementSubject")
    if not subject.get("id") and not subject.get("identifier"):
        problems.append("credentialSubject needs an id or an identifier")
    achievement = subject.get("achievement")
    if not isinstance(achievement, Mapping):
        return [*problems, "credentialSubject.achievement must be an Achievement object"]
    for key in ("id", "name", "description"):
        if not isinstance(achievement.get(key), str) or not achievement[key]:
            problems.append(f"credentialSubject.achievement.{key} is required")
    if "Achievement" not in _types(achievement.get("type")):
        problems.append("credentialSubject.achievement.type must include Achievement")
    if not isinstance(achievement.get("criteria"), Mapping):
        problems.append("credentialSubject.achievement.criteria is required")
    return problems


def claim_problems(claims: Mapping[str, Any], now: dt.datetime) -> list[str]:
    """The JWT claims against the credential they carry, and its dates against ``now``."""
    problems = []
    issuer = claims.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    subject = claims.get("credentialSubject")
    subject_id = subject.get("id") if isinstance(subject, Mapping) else None
    for claim, expected, name in (
        ("iss", issuer_id, "issuer.id"),
        ("jti", claims.get("id"), "id"),
        ("sub", subject_id, "credentialSubject.id"),
    ):
        if claims.get(claim) is None or claims.get(claim) != expected:
            problems.append(f"the {claim} claim does not match the credential's {name}")
    try:
        valid_from = parse_datetime_z(str(claims.get("validFrom")))
    except ValueError:
        return [*problems, "validFrom is not a date-time"]
    nbf = claims.get("nbf")
    if not isinstance(nbf, int) or nbf != int(valid_from.timestamp()):
        problems.append("the nbf claim does not equal validFrom")
    if valid_from > now:
        problems.append(f"not valid before {valid_from:%Y-%m-%d %H:%M} UTC")
    until = claims.get("validUntil")
    exp = claims.get("exp")
    if until is not None or exp is not None:
        try:
            ends = parse_datetime_z(str(until))
        except ValueError:
            return [*problems, "validUntil is not a date-time"]
        if exp != int(ends.timestamp()):
            problems.append("the exp claim does not equal validUntil")
        if ends <= now:
            problems.append(f"expired on {ends:%Y-%m-%d %H:%M} UTC")
    return problems


def revoked_in_list(session: Session, settings: BadgeSettings, entry: Any) -> bool | None:
    """The revocation bit the credential's status entry points at, read from this issuer's list;
    None when the entry is not one of this issuer's lists."""
    if not isinstance(entry, Mapping) or entry.get("type") != "BitstringStatusListEntry":
        return None
    url = str(entry.get("statusListCredential", ""))
    prefix = settings.urls.status_list(0)[:-1]
    if not url.startswith(prefix) or not url[len(prefix) :].isdigit():
        return None
    number = int(url[len(prefix) :])
    try:
        position = int(entry.get("statusListIndex", ""))
    except ValueError:
        return None
    if not 0 <= position < status_list.LIST_SIZE:
        return None
    bits = status_list.decode(status_list.encode(revoked_positions(session, number)))
    return status_list.is_set(bits, position)


def verify_token(
    session: Session, settings: BadgeSettings, keys: CredentialKeys, token: str, now: dt.datetime
) -> Verdict:
    """Verify a VC-JWT credential as this issuer's verifier page does."""
    try:
        header = jose.header(token.strip())
    except jose.InvalidToken:
        return Verdict(problems=("this is not a signed credential (a compact JWS)",))
    kid = settings.urls.kid_of(str(header.get("kid", "")))
    jwk = keys.public_jwk(session, kid) if kid else None
    if jwk is None:
        return Verdict(problems=("it is not signed with a key this issuer publishes",))
    try:
        claims = jose.verify(token.strip(), jwk)
    except jose.InvalidToken:
        return Verdict(problems=("the signature does not verify: the credential was changed or forged",))
    problems = shape_problems(claims) + claim_problems(claims, now)
    issuer = claims.get("issuer")
    if (issuer.get("id") if isinstance(issuer, Mapping) else issuer) != settings.issuer.id:
        problems.append("it names another issuer")
    revoked = revoked_in_list(session, settings, claims.get("credentialStatus"))
    if revoked is None:
        problems.append("it has no status entry in this issuer's revocation list")
    checks = ("signature (RS256)", "claims iss/jti/sub/nbf", "required fields", "dates", "status list")
    return Verdict(tuple(problems), bool(revoked), claims, kid or "", checks)
