"""The admin pages (coming next). Who is an admin comes from rm-plugin's data (a programme's
``admin_hr_id``), never from the platform's roles."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_babel import gettext as _

from rm_plugin.programme.participant import administered_by
from rm_plugin.web.views.acting import acting

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
def home() -> str:
    with acting() as (work, me):
        programmes = administered_by(work, me.hr_id)
    if not programmes:
        abort(403, description=_("Only a programme's admin sees its admin pages."))
    return render_template("admin/home.html", programmes=programmes)
