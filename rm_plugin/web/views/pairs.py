"""The pages of one pair, for its two members only: the pair and why, the agreement (versions,
edit, sign, ``.ics``, host calendar), meetings (log, confirm, private notes), the pulse survey,
the retrospectives, and milestones with badges.

Every view passes the signed-in person's HR id to the service, which refuses a pair they are
not in (NotPermitted: 403). A refused action is shown on the page it came from.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from rm_plugin.errors import NotFound, NotPermitted, UserError
from rm_plugin.programme import agreement_pages, agreements, meetings, participant, surveys
from rm_plugin.web.views.acting import acting, refused
from rm_plugin.web.views.numbers import whole_number

bp = Blueprint("pairs", __name__, url_prefix="/portal/pairs/<int:pair_id>")


def _back(endpoint: str, pair_id: int, **values: object) -> Response:
    return redirect(url_for(endpoint, pair_id=pair_id, **values), code=303)  # type: ignore[return-value]


@bp.get("/")
def pair(pair_id: int) -> str:
    with acting() as (work, me):
        why = participant.pair_and_why(work, me.hr_id, pair_id)
        progress = participant.my_progress(work, me.hr_id, pair_id)
    return render_template("pairs/pair.html", me=me, why=why, progress=progress, pair_id=pair_id, tab="pair")


# --- the agreement ---------------------------------------------------------------------------


@bp.get("/agreement")
def agreement(pair_id: int) -> str:
    version = request.args.get("version", type=int)
    with acting() as (work, me):
        page = agreement_pages.agreement_page(work, me.hr_id, pair_id, version)
    return render_template(
        "pairs/agreement.html", me=me, page=page, pair_id=pair_id, tab="agreement",
        fields=agreement_pages.FIELDS, text=agreement_pages.field_text,
        editing=request.args.get("edit") == "1",
    )  # fmt: skip


@bp.post("/agreement")
def edit_agreement(pair_id: int) -> Response:
    form = {name: request.form.get(name, "") for name in agreement_pages.FIELDS if name in request.form}
    based_on = request.form.get("based_on", type=int) or 0
    with acting() as (work, me):
        try:
            edited = agreement_pages.edit_from_form(work, me.hr_id, pair_id, form, based_on)
        except (NotPermitted, NotFound):
            raise
        except UserError as exc:
            refused(exc)
            return _back("pairs.agreement", pair_id, edit=1)
    if edited.signatures_dropped:
        flash(_("Saved as version %(version)s. You both sign it again.", version=edited.version), "done")
    else:
        flash(_("Saved as version %(version)s.", version=edited.version), "done")
    return _back("pairs.agreement", pair_id)


@bp.post("/agreement/sign")
def sign(pair_id: int) -> Response:
    version = request.form.get("version", type=int)
    with acting() as (work, me):
        participant.member_pair(work, me.hr_id, pair_id)
        try:
            signed = agreements.sign_as_member(work, me.hr_id, pair_id=pair_id, version=version)
        except (NotPermitted, NotFound):
            raise
        except UserError as exc:
            refused(exc)
            return _back("pairs.agreement", pair_id)
    if signed.active:
        flash(_("You both signed: the agreement is in force."), "done")
    else:
        flash(_("You signed version %(version)s. Your partner signs next.", version=signed.version), "done")
    return _back("pairs.agreement", pair_id)


@bp.get("/agreement.ics")
def agreement_ics(pair_id: int) -> Response:
    with acting() as (work, me):
        name, text = agreement_pages.agreement_ics(work, me.hr_id, pair_id)
    response = make_response(text)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.post("/agreement/calendar")
def add_to_calendar(pair_id: int) -> Response:
    with acting() as (work, me):
        try:
            queued = agreement_pages.add_to_host_calendars(work, me.hr_id, pair_id)
        except (NotPermitted, NotFound):
            raise
        except UserError as exc:
            refused(exc)
            return _back("pairs.agreement", pair_id)
    if queued:
        flash(_("The schedule is on its way to your calendar."), "done")
    else:
        flash(_("Your calendar already has the schedule."), "info")
    return _back("pairs.agreement", pair_id)


# --- meetings and surveys --------------------------------------------------------------------


@bp.get("/meetings")
def meetings_page(pair_id: int) -> str:
    with acting() as (work, me):
        page = participant.meetings_page(work, me.hr_id, pair_id)
    return render_template(
        "pairs/meetings.html", me=me, page=page, pair_id=pair_id, tab="meetings",
        modes=meetings.MODES, today=work.today,
    )  # fmt: skip


@bp.post("/meetings")
def log_meeting(pair_id: int) -> Response:
    form = request.form
    with acting() as (work, me):
        participant.member_pair(work, me.hr_id, pair_id)
        try:
            held_on = _date(form.get("held_on", ""))
            minutes = whole_number(form.get("minutes", ""), -1)
            logged = meetings.log_as_member(
                work, me.hr_id, held_on=held_on, minutes=minutes, mode=form.get("mode", ""),
                topics=[t for t in form.get("topics", "").split(",") if t.strip()],
                private_note=form.get("note", "").strip(), pair_id=pair_id,
            )  # fmt: skip
        except (NotPermitted, NotFound):
            raise
        except UserError as exc:
            refused(exc)
            return _back("pairs.meetings_page", pair_id)
    flash(_("Meeting logged. Your partner confirms it."), "done")
    return _back("pairs.meetings_page", pair_id, logged=logged.meeting_id)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(_("Give the meeting's date, like 2026-03-18.")) from None


@bp.post("/meetings/<int:meeting_id>/confirm")
def confirm(pair_id: int, meeting_id: int) -> Response:
    with acting() as (work, me):
        participant.member_pair(work, me.hr_id, pair_id)
        try:
            confirmed = meetings.confirm_as_member(work, me.hr_id, meeting_id)
        except (NotPermitted, NotFound):
            raise
        except UserError as exc:
            refused(exc)
            return _back("pairs.meetings_page", pair_id)
        if confirmed.pair_id != pair_id:
            raise NotPermitted(f"meeting {meeting_id} is not a meeting of pair {pair_id}")
    flash(_("Meeting confirmed. How did it go?"), "done")
    return _back("pairs.pulse", pair_id, meeting_id=meeting_id)


@bp.route("/meetings/<int:meeting_id>/pulse", methods=["GET", "POST"])
def pulse(pair_id: int, meeting_id: int) -> Response | str:
    with acting() as (work, me):
        question = participant.pulse_question(work, me.hr_id, pair_id, meeting_id)
        if request.method == "POST" and not question.answered:
            rating = request.form.get("rating", type=int) or 0
            try:
                surveys.submit_pulse_as_member(
                    work, me.hr_id, meeting_id, rating, request.form.get("comment", "").strip()
                )
            except UserError as exc:
                refused(exc)
                return _back("pairs.pulse", pair_id, meeting_id=meeting_id)
            flash(_("Thank you for your answer."), "done")
            return _back("pairs.meetings_page", pair_id)
    return render_template("pairs/pulse.html", me=me, question=question, pair_id=pair_id, tab="meetings")


@bp.route("/retrospective/<kind>", methods=["GET", "POST"])
def retrospective(pair_id: int, kind: str) -> Response | str:
    with acting() as (work, me):
        questions = participant.retrospective_questions(work, me.hr_id, pair_id, kind)
        if request.method == "POST" and not questions.answered:
            form = request.form
            answers = {
                "went_well": form.get("went_well", ""),
                "to_improve": form.get("to_improve", ""),
                "actions": form.get("actions", ""),
                "learning_gained": form.get("learning_gained", type=int),
                "relationship_quality": form.get("relationship_quality", type=int),
                "skill_confidence": {
                    skill: {
                        "before": form.get(f"skill_{i}_before", type=int),
                        "after": form.get(f"skill_{i}_after", type=int),
                    }
                    for i, skill in enumerate(questions.skills)
                },
            }
            labels = {
                "learning_gained": _("How much you learned"),
                "relationship_quality": _("How well you worked together"),
                "skill_confidence": _("Confidence"),
            }
            try:
                surveys.submit_retrospective_as_member(
                    work, me.hr_id, kind, {k: v for k, v in answers.items() if v is not None},
                    labels, pair_id=pair_id,
                )  # fmt: skip
            except UserError as exc:
                refused(exc)
                return _back("pairs.retrospective", pair_id, kind=kind)
            flash(_("Thank you: your retrospective was saved."), "done")
            return _back("pairs.pair", pair_id)
    return render_template(
        "pairs/retrospective.html", me=me, questions=questions, pair_id=pair_id, tab="meetings"
    )
