"""The participant's pages. For now the home page only; the apply, pair, agreement, meeting and
survey pages come next, on the same services the CLI calls."""

from __future__ import annotations

from flask import Blueprint, render_template, request, session

from rm_plugin.store.models import Person
from rm_plugin.web.home import programmes_of
from rm_plugin.web.portal import portal

bp = Blueprint("participant", __name__, url_prefix="/portal")


def signed_in_person_id() -> int | None:
    value = session.get("person_id")
    return value if isinstance(value, int) else None


@bp.get("/")
def home() -> tuple[str, int] | str:
    person_id = signed_in_person_id()
    if person_id is None:
        return render_template(
            "participant/signed_out.html", after_handoff=request.args.get("cookies") == "checked"
        ), 401
    p = portal()
    with p.database.transaction() as s:
        person = s.get(Person, person_id)
        if person is None or person.status != "active":
            session.clear()
            return render_template("participant/signed_out.html", after_handoff=False), 401
        lines = programmes_of(s, person_id)
        name = person.display_name
    return render_template("participant/home.html", name=name, programmes=lines)
