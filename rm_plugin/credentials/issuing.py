"""Issuing, finding, serving and revoking credentials: the service every door and the ``badges``
connection call. Rules live here; the doors only parse and show."""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import uuid as uuids
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from rm_plugin.credentials import baking, images, status_list
from rm_plugin.credentials.keys import CredentialKeys
from rm_plugin.credentials.model import (
    AchievementInfo,
    Award,
    jwt_claims,
    open_badge_credential,
    status_entry,
)
from rm_plugin.credentials.settings import BadgeSettings
from rm_plugin.errors import NotFound, ProgrammeError
from rm_plugin.programme import lookups
from rm_plugin.store import audit
from rm_plugin.store.models import CredentialKey, IssuedCredential, Pair, Person, Programme


class CannotIssue(ProgrammeError):
    """The award names a person or programme that cannot receive a credential; retrying changes nothing."""


@dataclass(frozen=True)
class Issued:
    uuid: str
    url: str
    status_index: int
    fresh: bool  # False: the delivery had issued it already


def image_kind(settings: BadgeSettings, award: str) -> str:
    """``png`` or ``svg``: the format of the award's image (the site's own, or the drawn SVG)."""
    own = settings.image_file(award)
    return "png" if own is not None and own.suffix.lower() == ".png" else "svg"


def achievement(session: Session, settings: BadgeSettings, slug: str, award: str) -> AchievementInfo:
    """The achievement of a programme's award; NotFound unless a milestone of it grants that award."""
    programme = lookups.programme(session, slug)
    if award not in awards_of(programme):
        raise NotFound(f"programme {slug!r} grants no award {award!r}")
    return settings.achievement(programme, award, image_kind(settings, award))


def awards_of(programme: Programme) -> list[str]:
    """The award names a programme's milestones grant, in order."""
    names: list[str] = []
    for item in programme.milestones or []:
        for record in item.get("records", []):
            if record.get("action") == "award" and record.get("award") not in names:
                names.append(str(record["award"]))
    return names


def achievements(session: Session, settings: BadgeSettings) -> list[AchievementInfo]:
    """Every achievement of every programme, by programme then award."""
    out = []
    for programme in session.scalars(select(Programme).order_by(Programme.id)):
        for award in awards_of(programme):
            out.append(settings.achievement(programme, award, image_kind(settings, award)))
    return out


def achievement_image(settings: BadgeSettings, slug: str, award: str, name: str) -> tuple[str, bytes]:
    """("png"|"svg", bytes) of an award's unbaked image."""
    own = settings.image_file(award)
    if own is not None:
        return images.load_image(own)
    return "svg", images.badge_svg(name, slug).encode("utf-8")


def issue(
    session: Session,
    settings: BadgeSettings,
    keys: CredentialKeys,
    *,
    delivery_key: str,
    programme_slug: str,
    award: str,
    hr_id: str,
    pair_id: int | None,
    now: dt.datetime,
) -> Issued:
    """Issue the credential of one award delivery, or find the one it issued before.

    The credential is signed with the issuer's active key, gets the next bit of the revocation
    list, and is stored with the delivery's key so a retry returns it instead of a second one.
    Issuers take turns: the first statement writes the active key's row, which holds SQLite's
    write lock or PostgreSQL's row lock until commit, so two workers never take the same bit.
    """
    session.execute(update(CredentialKey).where(CredentialKey.status == "active").values(status="active"))
    found = session.scalar(select(IssuedCredential).where(IssuedCredential.delivery_key == delivery_key))
    if found is not None:
        return Issued(found.uuid, settings.urls.credential(found.uuid), found.status_index, False)
    person = session.scalar(select(Person).where(Person.hr_id == hr_id))
    programme = session.scalar(select(Programme).where(Programme.slug == programme_slug))
    if person is None or programme is None:
        raise CannotIssue(f"award {award!r}: no person {hr_id!r} or no programme {programme_slug!r}")
    if not person.email:
        raise CannotIssue(f"award {award!r}: {hr_id} has no work email to identify them in a credential")
    pair = session.get(Pair, pair_id) if pair_id else None
    role = ""
    if pair is not None:
        role = "mentee" if pair.mentee_id == person.id else "mentor" if pair.mentor_id == person.id else ""
    info = settings.achievement(programme, award, image_kind(settings, award))
    index = session.scalar(select(func.coalesce(func.max(IssuedCredential.status_index) + 1, 0)))
    number, position = status_list.place(index)
    credential_uuid = str(uuids.uuid4())
    credential = open_badge_credential(
        settings.issuer,
        info,
        Award(
            credential_id=settings.urls.credential(credential_uuid),
            subject_id=f"urn:uuid:{uuids.uuid4()}",
            email=person.email,
            salt=secrets.token_hex(8),
            role=role,
            valid_from=now,
            status=status_entry(settings.urls.status_list(number), position),
        ),
    )
    token, kid = keys.sign_at(session, jwt_claims(credential), settings.urls)
    session.add(
        IssuedCredential(
            uuid=credential_uuid,
            delivery_key=delivery_key,
            status_index=index,
            person_id=person.id,
            programme_id=programme.id,
            pair_id=pair.id if pair is not None else None,
            programme_slug=programme.slug,
            award=award,
            achievement_name=info.name,
            kid=kid,
            token=token,
            issued_at=now.replace(microsecond=0),
        )
    )
    session.flush()
    return Issued(credential_uuid, settings.urls.credential(credential_uuid), index, True)


def by_uuid(session: Session, credential: str) -> IssuedCredential:
    """A credential by its uuid or its full id (the verification address)."""
    wanted = credential.rstrip("/").rsplit("/", 1)[-1]
    found = session.scalar(select(IssuedCredential).where(IssuedCredential.uuid == wanted))
    if found is None:
        raise NotFound(f"no credential {credential!r}")
    return found


def own_credential(session: Session, person_id: int, credential: str) -> IssuedCredential:
    """A credential of the signed-in person; NotFound for anybody else's, so none is revealed."""
    found = session.scalar(
        select(IssuedCredential).where(
            IssuedCredential.uuid == credential, IssuedCredential.person_id == person_id
        )
    )
    if found is None or not found.token:
        raise NotFound(f"no credential {credential!r} of yours")
    return found


def stored_payload(credential: IssuedCredential) -> dict[str, Any]:
    """The JWT payload of a credential this site signed and stored (read, not verified: it is ours)."""
    part = credential.token.split(".")[1]
    decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    assert isinstance(decoded, dict)
    return decoded


def credentials_of(session: Session, person_id: int) -> list[IssuedCredential]:
    return list(
        session.scalars(
            select(IssuedCredential)
            .where(IssuedCredential.person_id == person_id)
            .order_by(IssuedCredential.issued_at, IssuedCredential.id)
        )
    )


@dataclass(frozen=True)
class CredentialLine:
    uuid: str
    url: str
    programme: str
    award: str
    hr_id: str
    issued_at: dt.datetime
    revoked: bool


def list_credentials(
    session: Session, settings: BadgeSettings, programme_slug: str | None = None, hr_id: str | None = None
) -> list[CredentialLine]:
    query = select(IssuedCredential, Person.hr_id).outerjoin(Person, Person.id == IssuedCredential.person_id)
    if programme_slug:
        query = query.where(IssuedCredential.programme_slug == programme_slug)
    if hr_id:
        query = query.where(Person.hr_id == hr_id)
    rows = session.execute(query.order_by(IssuedCredential.id))
    return [
        CredentialLine(
            c.uuid,
            settings.urls.credential(c.uuid),
            c.programme_slug,
            c.award,
            who or "(erased)",
            c.issued_at,
            c.revoked_at is not None,
        )
        for c, who in rows
    ]


def baked_image(settings: BadgeSettings, credential: IssuedCredential) -> tuple[str, bytes]:
    """("png"|"svg", the award's image with the signed credential baked in)."""
    kind, image = achievement_image(
        settings, credential.programme_slug, credential.award, credential.achievement_name
    )
    if kind == "png":
        return kind, baking.bake_png(image, credential.token)
    return kind, baking.bake_svg(image.decode("utf-8"), credential.token).encode("utf-8")


def baked_png(settings: BadgeSettings, credential: IssuedCredential) -> bytes:
    """The credential baked into a PNG: the site's own PNG for the award, else the drawn medal."""
    own = settings.image_file(credential.award)
    image = (
        images.load_image(own)[1] if own is not None and own.suffix.lower() == ".png" else images.badge_png()
    )
    return baking.bake_png(image, credential.token)


def revoked_positions(session: Session, number: int) -> list[int]:
    """The positions set in status list ``number`` (from 1): its revoked credentials."""
    low = (number - 1) * status_list.LIST_SIZE
    return [
        index - low
        for index in session.scalars(
            select(IssuedCredential.status_index).where(
                IssuedCredential.revoked_at.is_not(None),
                IssuedCredential.status_index >= low,
                IssuedCredential.status_index < low + status_list.LIST_SIZE,
            )
        )
    ]


def status_list_token(
    session: Session, settings: BadgeSettings, keys: CredentialKeys, number: int, now: dt.datetime
) -> str:
    """The signed ``BitstringStatusListCredential`` of list ``number`` (from 1), as a VC-JWT."""
    low = (number - 1) * status_list.LIST_SIZE
    if number < 1 or (
        number > 1
        and not session.scalar(
            select(func.count(IssuedCredential.id)).where(IssuedCredential.status_index >= low)
        )
    ):
        raise NotFound(f"no status list {number}")
    url = settings.urls.status_list(number)
    revoked = revoked_positions(session, number)
    credential = status_list.status_list_credential(settings.issuer, url, revoked, now)
    return keys.sign_at(session, jwt_claims(credential), settings.urls)[0]


def revoke(
    session: Session, credentials: Sequence[str], *, by: str, reason: str, now: dt.datetime
) -> list[str]:
    """Revoke credentials (an award granted in error); returns those newly revoked.

    Every credential named must exist, or nothing is revoked; a reason is required, as the
    verification page and the audit log show that it was revoked and by whom.
    """
    if not reason.strip():
        raise ProgrammeError("give the reason for revoking (--reason); the audit log keeps it")
    found = [by_uuid(session, c) for c in credentials]
    done = []
    for credential in found:
        if credential.revoke(by, reason.strip(), now):
            audit.record(session, by, "credential.revoked", "credential", credential.uuid)
            done.append(credential.uuid)
    return done
