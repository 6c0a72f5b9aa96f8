"""The participant's own pages that are not about one pair: Home, Apply, accepting an invitation.

Views only read the request, call the services the command line calls, and render.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from rm_plugin.enrolment import apply as applying
from rm_plugin.errors import NotPermitted, UserError
from rm_plugin.programme import participant
from rm_plugin.web.views.acting import acting, refused
from rm_plugin.web.views.numbers import whole_number

bp = Blueprint("participant", __name__, url_prefix="/portal")


@bp.get("/")
def home() -> str:
    with acting() as (work, me):
        page = participant.home(work, me.hr_id)
    return render_template("participant/home.html", me=me, page=page)


def _answers(form: dict[str, list[str]]) -> applying.Answers:
    def one(name: str) -> str:
        return (form.get(name) or [""])[0].strip()

    def listed(name: str) -> list[str]:
        return [part.strip() for part in one(name).split(",") if part.strip()]

    wanted: dict[str, int] = {}
    for i in range(1, 6):
        skill = one(f"wanted_skill_{i}")
        if skill:
            priority = one(f"wanted_priority_{i}")
            wanted[skill] = whole_number(priority, 0)
    return applying.Answers(
        role=one("role"),
        skills_offered=listed("skills_offered"),
        skills_wanted=wanted,
        learning_style=one("learning_style"),
        interests=listed("interests"),
        availability=list(form.get("availability") or []),
        meeting_mode=one("meeting_mode") or "either",
        goals=one("goals"),
        consent=one("consent") == "yes",
    )


@bp.route("/programmes/<slug>/apply", methods=["GET", "POST"])
def apply(slug: str) -> Response | str | tuple[str, int]:
    answers = None
    problems: list[str] = []
    with acting() as (work, me):
        if request.method == "POST":
            answers = _answers(request.form.to_dict(flat=False))
            try:
                applying.apply(work, me.hr_id, slug, answers)
            except NotPermitted:
                raise
            except UserError as exc:
                problems = exc.lines()
            else:
                flash(_("Your application was saved. We will tell you when you are matched."), "done")
                return redirect(url_for("participant.home"))
        form = applying.apply_form(work, me.hr_id, slug)
    page = render_template(
        "participant/apply.html",
        me=me,
        form=form,
        answers=answers or form.answers or applying.Answers(),
        problems=problems,
        days=applying.DAYS,
        hours=applying.GRID_HOURS,
        styles=applying.LEARNING_STYLES,
    )
    return (page, 400) if problems else page


@bp.post("/programmes/<slug>/accept")
def accept(slug: str) -> Response:
    with acting() as (work, me):
        try:
            done = applying.accept_invitation(work, me.hr_id, slug)
        except NotPermitted:
            raise
        except UserError as exc:
            refused(exc)
            return redirect(url_for("participant.home"))  # type: ignore[return-value]
    if done is None:
        flash(_("Tell us what you would like to learn or teach, then send your application."), "info")
        return redirect(url_for("participant.apply", slug=slug))  # type: ignore[return-value]
    flash(_("You accepted the invitation; we used the answers of your last application."), "done")
    return redirect(url_for("participant.home"))  # type: ignore[return-value]
