"""The credential issuer's public addresses, at the stable URLs its credentials name.

Anyone may call them, with no session: the issuer profile, the achievements and their images,
the public keys (each at the address a credential's ``kid`` names), each credential's
verification page (or its VC-JWT, for software), and the revocation status lists. JSON answers
allow any origin, so a verifier running in a browser can fetch them.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request

from rm_plugin.credentials import issuing
from rm_plugin.credentials.keys import CredentialKeys, as_published
from rm_plugin.credentials.settings import BadgeSettings
from rm_plugin.credentials.verify import verify_token
from rm_plugin.errors import NotFound
from rm_plugin.web.portal import portal

bp = Blueprint("badges", __name__, url_prefix="/badges")
JWT_TYPE = "text/plain; charset=utf-8"  # Open Badges 3.0: a VC-JWT web resource is served as text


def settings() -> BadgeSettings:
    """The issuer's settings, read once per app from the site."""
    found = current_app.extensions.get("rm_badges")
    if found is None:
        found = current_app.extensions["rm_badges"] = BadgeSettings.from_site(portal().site)
    assert isinstance(found, BadgeSettings)
    return found


def keys() -> CredentialKeys:
    return CredentialKeys(settings().secret, clock=portal().clock)


def _public(response: Response, max_age: int = 300) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


def _json(value: Any, max_age: int = 300) -> Response:
    return _public(jsonify(value), max_age)


@bp.get("/issuer")
def issuer() -> Response:
    return _json(settings().issuer.profile(standalone=True))


@bp.get("/keys")
def key_set() -> Response:
    with portal().database.transaction() as s:
        published = keys().published(s)
    return _json({"keys": [as_published(k, settings().urls) for k in published["keys"]]})


@bp.get("/keys/<kid>")
def key(kid: str) -> Response:
    with portal().database.transaction() as s:
        jwk = keys().public_jwk(s, kid)
    if jwk is None:
        abort(404)
    return _json(as_published(jwk, settings().urls))


@bp.get("/achievements/<slug>/<award>")
def achievement(slug: str, award: str) -> Response:
    try:
        with portal().database.transaction() as s:
            info = issuing.achievement(s, settings(), slug, award)
    except NotFound:
        abort(404)
    return _json(info.as_json(settings().issuer, standalone=True))


@bp.get("/achievements/<slug>/<award>/image.<kind>")
def achievement_image(slug: str, award: str, kind: str) -> Response:
    try:
        with portal().database.transaction() as s:
            info = issuing.achievement(s, settings(), slug, award)
    except NotFound:
        abort(404)
    found, image = issuing.achievement_image(settings(), slug, award, info.name)
    if found != kind:
        abort(404)
    return _public(Response(image, mimetype="image/png" if kind == "png" else "image/svg+xml"), 3600)


@bp.get("/status/<int:number>")
def status(number: int) -> Response:
    p = portal()
    try:
        with p.database.transaction() as s:
            token = issuing.status_list_token(s, settings(), keys(), number, p.now())
    except NotFound:
        abort(404)
    return _public(Response(token, content_type=JWT_TYPE), 60)


@bp.get("/credentials/<uuid>")
def credential(uuid: str) -> Response | str:
    """The verification page; software asking for ``text/plain`` (or ``?format=jwt``) gets the VC-JWT."""
    p = portal()
    try:
        with p.database.transaction() as s:
            row = issuing.by_uuid(s, uuid)
            verdict = verify_token(s, settings(), keys(), row.token, p.now()) if row.token else None
            revoked_at = row.revoked_at
            issued_at, name = row.issued_at, row.achievement_name
            token = row.token
    except NotFound:
        abort(404)
    wants_jwt = request.args.get("format") == "jwt" or (
        request.accept_mimetypes.best_match(["text/html", "text/plain"]) == "text/plain"
    )
    if wants_jwt:
        if not token:
            abort(404)
        return _public(Response(token, content_type=JWT_TYPE), 60)
    return render_template(
        "badges/credential.html",
        verdict=verdict,
        revoked_at=revoked_at,
        issued_at=issued_at,
        name=name,
        issuer=settings().issuer,
        credential_url=settings().urls.credential(uuid),
    )
