"""The admin pages (coming next). Who is an admin comes from rm-plugin's data (a programme's
``admin_hr_id``), never from the platform's roles."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from rm_plugin.web.home import administered_by
from rm_plugin.web.portal import portal
from rm_plugin.web.views.participant import signed_in_person_id

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
def home() -> str:
    person_id = signed_in_person_id()
    if person_id is None:
        abort(401)
    with portal().database.transaction() as s:
        programmes = administered_by(s, person_id)
    if not programmes:
        abort(403, description="Only a programme's admin sees its admin pages.")
    return render_template("admin/home.html", programmes=programmes)
