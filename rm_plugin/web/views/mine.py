"""A participant's own records: their credentials (to download) and everything stored about them.

Separate from the participant pages so the milestones page can link here: each credential as
its VC-JWT, as JSON, and baked into its badge image (PNG or SVG). Only the signed-in person's
own credentials are served; anybody else's answer 404, as if they did not exist. The data export
is a POST carrying the session's CSRF token, so no other site can make the browser fetch it.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, render_template

from rm_plugin.credentials import baking, issuing
from rm_plugin.errors import NotFound
from rm_plugin.people import data_rights
from rm_plugin.web.portal import portal
from rm_plugin.web.views.acting import acting
from rm_plugin.web.views.badges import settings
from rm_plugin.web.views.limits import limit

bp = Blueprint("mine", __name__, url_prefix="/portal/mine")
FORMATS = ("jwt", "json", "png", "svg")


def _download(data: bytes | str, mimetype: str, name: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/credentials")
def credentials() -> str:
    with acting() as (work, me):
        rows = [
            (c.uuid, c.achievement_name, c.programme_slug, c.issued_at, c.revoked_at)
            for c in issuing.credentials_of(work.session, me.person_id)
            if c.token
        ]
    return render_template("mine/credentials.html", credentials=rows, urls=settings().urls)


@bp.get("/credentials/<uuid>.<kind>")
def credential(uuid: str, kind: str) -> Response:
    if kind not in FORMATS:
        abort(404)
    try:
        with acting() as (work, me):
            row = issuing.own_credential(work.session, me.person_id, uuid)
            token, payload = row.token, issuing.stored_payload(row)
            if kind == "png":
                return _download(issuing.baked_png(settings(), row), "image/png", f"badge-{uuid}.png")
            if kind == "svg":
                found, image = issuing.baked_image(settings(), row)
                if found != "svg":
                    abort(404)
                return _download(image, "image/svg+xml", f"badge-{uuid}.svg")
    except (NotFound, baking.BakingError):
        abort(404)
    if kind == "jwt":
        return _download(token, "text/plain", f"credential-{uuid}.jwt")
    body = json.dumps({"credential": payload, "jwt": token}, indent=2, ensure_ascii=False)
    return _download(body, "application/json", f"credential-{uuid}.json")


@bp.get("/data")
def data_page() -> str:
    with acting():
        return render_template("mine/data.html")


@bp.post("/data")
def data_download() -> Response:
    """Everything stored about the signed-in person, as JSON (``people export`` for oneself).
    It reads every table, so it counts against the rate limit like a launch."""
    with acting() as (_work, me):
        limit("data-export")
        hr_id = me.hr_id
    exported = data_rights.export_for(portal().site, hr_id)
    return _download(json.dumps(exported, indent=2, ensure_ascii=False), "application/json", "my-data.json")
