"""Credentials issued through the outbox, verified the way an outsider would: another JOSE library
(PyJWT) with the key fetched from the address the credential names, the Open Badges 3.0 rules
checked by hand from the specification, and a tampered, expired or revoked credential refused."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
import struct
import zlib
from typing import Any
from xml.etree import ElementTree

import jwt as pyjwt
import pytest
from click.testing import CliRunner
from conftest import PORTAL, BadgeWorld
from flask.testing import FlaskClient
from sqlalchemy import select

from rm_plugin.cli import build_cli
from rm_plugin.credentials import issuing
from rm_plugin.credentials.keys import CredentialKeys
from rm_plugin.credentials.verify import verify_token
from rm_plugin.outbox import enqueue
from rm_plugin.store.models import CredentialKey, IssuedCredential, OutboxItem, Person, StoredReceipt
from rm_plugin.sync.worker import run_sync
from rm_plugin.web.app import create_app
from rm_plugin.web.sessions import COOKIE_NAME

AWARD_KEY = "award:rm-2026:programme_completed:{pair}:{hr}:badges"


def award(world: BadgeWorld, hr_id: str = "E1001") -> str:
    """Write the award row a completed programme writes, deliver it, and return the receipt's id."""
    key = AWARD_KEY.format(pair=world.pair_id, hr=hr_id)
    with world.site.database.transaction() as s:
        enqueue(
            s,
            key=key,
            connection="badges",
            action="award",
            payload={
                "programme": "rm-2026",
                "award": "reverse-mentoring",
                "person": hr_id,
                "pair_id": world.pair_id,
            },
        )
    summary = run_sync(world.site)
    assert summary.parked == 0, summary
    with world.site.database.transaction() as s:
        receipt = s.scalar(select(StoredReceipt).where(StoredReceipt.key == key))
        assert receipt is not None
        return receipt.host_ref


def client(world: BadgeWorld) -> FlaskClient:
    app = create_app(world.site)
    app.testing = True
    return app.test_client()


def token_of(world: BadgeWorld, url: str) -> str:
    response = client(world).get(url, base_url=PORTAL, headers={"Accept": "text/plain"})
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    return response.get_data(as_text=True)


def fetch_key(world: BadgeWorld, token: str) -> Any:
    """Dereference the header's kid, as the specification says, and load it with PyJWT."""
    kid = pyjwt.get_unverified_header(token)["kid"]
    assert kid.startswith(f"{PORTAL}/badges/keys/")
    jwk = client(world).get(kid, base_url=PORTAL).get_json()
    assert "d" not in jwk and jwk["kty"] == "RSA"
    return pyjwt.PyJWK(jwk, algorithm="RS256").key


def spec_problems(payload: dict[str, Any]) -> list[str]:
    """Open Badges 3.0 (VC 2.0) required fields and JWT claims, written from the specification."""
    problems = []
    context = payload.get("@context")
    if not (
        isinstance(context, list)
        and context[0] == "https://www.w3.org/ns/credentials/v2"
        and str(context[1]).startswith("https://purl.imsglobal.org/spec/ob/v3p0/context")
    ):
        problems.append("@context")
    if not {"VerifiableCredential", "OpenBadgeCredential"} <= set(payload.get("type", [])):
        problems.append("type")
    if not isinstance(payload.get("id"), str):
        problems.append("id")
    issuer = payload.get("issuer", {})
    if not (isinstance(issuer, dict) and issuer.get("id") and "Profile" in issuer.get("type", [])):
        problems.append("issuer")
    valid_from = dt.datetime.fromisoformat(payload["validFrom"].replace("Z", "+00:00"))
    subject = payload["credentialSubject"]
    if "AchievementSubject" not in subject.get("type", []):
        problems.append("credentialSubject.type")
    achievement = subject.get("achievement", {})
    for field in ("id", "name", "description"):
        if not isinstance(achievement.get(field), str):
            problems.append(f"achievement.{field}")
    if "Achievement" not in achievement.get("type", []) or "narrative" not in achievement.get("criteria", {}):
        problems.append("achievement")
    for identifier in subject.get("identifier", []):
        if identifier["type"] != "IdentityObject" or not identifier["identityHash"].startswith("sha256$"):
            problems.append("identifier")
    if payload.get("iss") != issuer.get("id"):
        problems.append("iss")
    if payload.get("jti") != payload.get("id"):
        problems.append("jti")
    if payload.get("sub") != subject.get("id"):
        problems.append("sub")
    if payload.get("nbf") != int(valid_from.timestamp()):
        problems.append("nbf")
    status = payload.get("credentialStatus", {})
    if status.get("type") != "BitstringStatusListEntry" or status.get("statusPurpose") != "revocation":
        problems.append("credentialStatus")
    return problems


def revoked_bit(world: BadgeWorld, status: dict[str, Any]) -> bool:
    """Fetch the status list the credential names, verify it with PyJWT, and read the bit by hand."""
    list_token = token_of(world, status["statusListCredential"])
    claims = pyjwt.decode(list_token, fetch_key(world, list_token), algorithms=["RS256"])
    assert "BitstringStatusListCredential" in claims["type"]
    encoded = claims["credentialSubject"]["encodedList"]
    assert encoded[0] == "u"
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(bits) * 8 >= 131072
    index = int(status["statusListIndex"])
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def test_an_award_becomes_a_credential_another_library_verifies(world: BadgeWorld) -> None:
    url = award(world)
    assert url.startswith(f"{PORTAL}/badges/credentials/")
    token = token_of(world, url)
    header = pyjwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and set(header) <= {"alg", "kid", "typ", "jwk"}
    payload = pyjwt.decode(token, fetch_key(world, token), algorithms=["RS256"])
    assert spec_problems(payload) == []
    assert payload["id"] == url
    assert payload["credentialSubject"]["role"] == "mentor"
    identifier = payload["credentialSubject"]["identifier"][0]
    expected = hashlib.sha256(("ada.lovelace@example.com" + identifier["salt"]).encode()).hexdigest()
    assert identifier["identityHash"] == f"sha256${expected}"
    assert "Lovelace" not in json.dumps(payload) and "ada.lovelace" not in json.dumps(payload).lower()
    # the issuer profile and the achievement are served where the credential says
    web = client(world)
    profile = web.get(payload["issuer"]["id"], base_url=PORTAL).get_json()
    assert profile["id"] == payload["iss"] and profile["name"] == "Example Co"
    achievement = web.get(payload["credentialSubject"]["achievement"]["id"], base_url=PORTAL).get_json()
    assert achievement["type"] == ["Achievement"] and achievement["name"] == "Reverse mentoring"
    image = web.get(achievement["image"]["id"], base_url=PORTAL)
    assert image.status_code == 200 and image.mimetype == "image/svg+xml"
    assert revoked_bit(world, payload["credentialStatus"]) is False
    page = web.get(url, base_url=PORTAL)
    assert page.status_code == 200 and "Verified." in page.get_data(as_text=True)


def test_a_retried_delivery_issues_no_second_credential(world: BadgeWorld) -> None:
    first = award(world)
    with world.site.database.transaction() as s:
        item = s.scalars(select(OutboxItem)).one()
        item.status = "pending"
    award(world)
    with world.site.database.transaction() as s:
        assert [c.uuid for c in s.scalars(select(IssuedCredential))] == [first.rsplit("/", 1)[1]]


def test_tampered_expired_and_revoked_credentials_are_refused(world: BadgeWorld) -> None:
    url = award(world)
    token = token_of(world, url)
    key = fetch_key(world, token)
    head, body, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["credentialSubject"]["achievement"]["name"] = "Chief executive"
    forged_body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    forged = f"{head}.{forged_body}.{signature}"
    with pytest.raises(pyjwt.InvalidSignatureError):
        pyjwt.decode(forged, key, algorithms=["RS256"])
    settings, keys = world.settings, CredentialKeys(world.settings.secret)
    now = dt.datetime.now(dt.UTC)
    with world.site.database.transaction() as s:
        assert "signature does not verify" in verify_token(s, settings, keys, forged, now).problems[0]
        # an expired one: signed by the issuer's key, but past its validUntil
        expired = dict(pyjwt.decode(token, key, algorithms=["RS256"]))
        expired["validUntil"] = "2026-06-02T00:00:00Z"
        expired["exp"] = int(dt.datetime(2026, 6, 2, tzinfo=dt.UTC).timestamp())
        old = keys.sign_at(s, expired, settings.urls)[0]
        verdict = verify_token(s, settings, keys, old, now)
    with pytest.raises(pyjwt.ExpiredSignatureError):
        pyjwt.decode(old, key, algorithms=["RS256"])
    assert not verdict.valid and any("expired" in p for p in verdict.problems)
    # revoked: the bit is set in the published list, the page and the verifier say so
    result = CliRunner().invoke(
        build_cli(),
        [
            "--site",
            str(world.site.root),
            "badges",
            "revoke",
            url,
            "--reason",
            "granted in error",
            "--by",
            "E9",
        ],
    )
    assert result.exit_code == 0, result.output
    assert revoked_bit(world, payload["credentialStatus"]) is True
    page = client(world).get(url, base_url=PORTAL).get_data(as_text=True)
    assert "Revoked" in page
    with world.site.database.transaction() as s:
        assert verify_token(s, settings, keys, token, now).revoked


def png_credential(png: bytes) -> str | None:
    """Read the openbadgecredential iTXt chunk by hand (PNG spec: length, type, data, CRC)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    at = 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        assert struct.unpack(">I", png[at + 8 + length : at + 12 + length])[0] == zlib.crc32(kind + data)
        if kind == b"iTXt" and data.startswith(b"openbadgecredential\0"):
            rest = data[len(b"openbadgecredential\0") :]
            assert rest[:2] == b"\0\0"  # not compressed, as the standard requires
            return rest[2:].split(b"\0", 2)[2].decode()
        at += 12 + length
    return None


def signed_in(world: BadgeWorld, hr_id: str) -> FlaskClient:
    web = client(world)
    with world.site.database.transaction() as s:
        person_id = s.scalar(select(Person.id).where(Person.hr_id == hr_id))
    sid, _ = web.application.extensions["rm_portal"].sessions.create({"person_id": person_id})
    web.set_cookie(COOKIE_NAME, sid, domain="rm.example.com")
    return web


def test_the_holder_downloads_baked_images_and_nobody_else_does(world: BadgeWorld) -> None:
    url = award(world)
    uuid = url.rsplit("/", 1)[1]
    token = token_of(world, url)
    ada = signed_in(world, "E1001")
    listing = ada.get("/portal/mine/credentials", base_url=PORTAL).get_data(as_text=True)
    assert f"/portal/mine/credentials/{uuid}.png" in listing
    png = ada.get(f"/portal/mine/credentials/{uuid}.png", base_url=PORTAL)
    assert png.status_code == 200 and png_credential(png.data) == token
    svg = ada.get(f"/portal/mine/credentials/{uuid}.svg", base_url=PORTAL)
    root = ElementTree.fromstring(svg.data)
    assert root[0].tag == "{https://purl.imsglobal.org/ob/v3p0}credential"
    assert root[0].get("verify") == token
    downloaded = ada.get(f"/portal/mine/credentials/{uuid}.json", base_url=PORTAL).get_json()
    assert downloaded["jwt"] == token and downloaded["credential"]["id"] == url
    alan = signed_in(world, "E1002")
    assert alan.get(f"/portal/mine/credentials/{uuid}.png", base_url=PORTAL).status_code == 404
    assert client(world).get(f"/portal/mine/credentials/{uuid}.png", base_url=PORTAL).status_code == 401


def test_rotation_keeps_old_credentials_verifying(world: BadgeWorld, tmp_path: Any) -> None:
    old_url = award(world)
    cli = build_cli()
    site = ["--site", str(world.site.root)]
    rotated = CliRunner().invoke(cli, [*site, "badges", "keys", "--rotate", "--grace-days", "0"])
    assert rotated.exit_code == 0, rotated.output
    assert "made signing key" in rotated.output and "retired" in rotated.output
    new_url = award(world, "E1002")
    old, new = token_of(world, old_url), token_of(world, new_url)
    assert pyjwt.get_unverified_header(old)["kid"] != pyjwt.get_unverified_header(new)["kid"]
    for token in (old, new):
        pyjwt.decode(token, fetch_key(world, token), algorithms=["RS256"])
    (tmp_path / "old.jwt").write_text(old)
    verified = CliRunner().invoke(cli, [*site, "badges", "verify", str(tmp_path / "old.jwt")])
    assert verified.exit_code == 0 and verified.output.strip().endswith("valid"), verified.output
    listed = CliRunner().invoke(cli, [*site, "badges", "list"])
    assert "2 credential(s)" in listed.output and "E1002" in listed.output


def test_an_award_for_a_person_without_email_is_parked_with_the_reason(world: BadgeWorld) -> None:
    with world.site.database.transaction() as s:
        s.scalars(select(Person).where(Person.hr_id == "E1002")).one().email = ""
        enqueue(
            s,
            key="award:x",
            connection="badges",
            action="award",
            payload={
                "programme": "rm-2026",
                "award": "reverse-mentoring",
                "person": "E1002",
                "pair_id": world.pair_id,
            },
        )
    assert run_sync(world.site).parked == 1
    with world.site.database.transaction() as s:
        assert "no work email" in s.scalars(select(OutboxItem)).one().last_error


def test_without_a_key_the_delivery_names_the_command(world: BadgeWorld) -> None:
    with world.site.database.transaction() as s:
        for key in s.scalars(select(issuing.IssuedCredential)):
            s.delete(key)
        for key in s.scalars(select(CredentialKey)):
            s.delete(key)
    with world.site.database.transaction() as s:
        enqueue(
            s,
            key="award:y",
            connection="badges",
            action="award",
            payload={
                "programme": "rm-2026",
                "award": "reverse-mentoring",
                "person": "E1001",
                "pair_id": world.pair_id,
            },
        )
    run_sync(world.site)
    with world.site.database.transaction() as s:
        assert "rm-plugin badges keys" in s.scalars(select(OutboxItem)).one().last_error


def test_a_participant_downloads_their_own_data_with_a_form_token(world: BadgeWorld) -> None:
    award(world)
    ada = signed_in(world, "E1001")
    assert ada.post("/portal/mine/data", base_url=PORTAL).status_code == 400  # no token: refused
    page = ada.get("/portal/mine/data", base_url=PORTAL).get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = ada.post("/portal/mine/data", data={"csrf_token": token}, base_url=PORTAL)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    exported = json.loads(response.data)
    assert exported["person"] == "E1001"
    assert [p["hr_id"] for p in exported["tables"]["people"]] == ["E1001"]
    assert len(exported["tables"]["credentials"]) == 1
    assert client(world).post("/portal/mine/data", base_url=PORTAL).status_code in (400, 401)


def test_check_names_the_missing_key_and_counts_what_was_issued(world: BadgeWorld) -> None:
    award(world)
    cli, where = build_cli(), ["--site", str(world.site.root)]
    healthy = CliRunner().invoke(cli, [*where, "check"])
    assert "1 credential(s) issued" in healthy.output, healthy.output
    with world.site.database.transaction() as s:
        s.execute(CredentialKey.__table__.update().values(status="retired"))
    broken = CliRunner().invoke(cli, [*where, "check"])
    assert broken.exit_code != 0 and "rm-plugin badges keys" in broken.output, broken.output
