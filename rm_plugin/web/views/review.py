"""The review queue of one programme, for the members of its review panel.

A member sees only the proposals they may decide (none in their own management chain or in
the pair) and approves or rejects one or several at once; each decision is checked again and
written to the audit log by the services, and one refused is shown with its reason.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from rm_plugin.errors import NotPermitted, UserError
from rm_plugin.matching.review_queue import approve_selected, queue_for, reject_selected
from rm_plugin.web.views.acting import acting, refused

bp = Blueprint("review", __name__, url_prefix="/admin/<slug>/review")


@bp.get("/")
def queue(slug: str) -> str:
    with acting() as (work, me):
        found = queue_for(work, me.hr_id, slug)
    return render_template("admin/review.html", me=me, queue=found)


@bp.post("/")
def decide(slug: str) -> Response:
    chosen = request.form.getlist("pair", type=int)
    decision = request.form.get("decision", "")
    reason = request.form.get("reason", "")
    with acting() as (work, me):
        try:
            if decision == "approve":
                approved = approve_selected(work, me.hr_id, slug, chosen)
                done, problems = len(approved.approved), approved.refused
                active = sum(1 for outcome in approved.approved if outcome.status == "active")
                message = _("You approved %(n)s proposal(s); %(m)s now active.", n=done, m=active)
            elif decision == "reject":
                rejected = reject_selected(work, me.hr_id, slug, chosen, reason)
                done, problems = len(rejected.rejected), rejected.refused
                message = _("You rejected %(n)s proposal(s).", n=done)
            else:
                flash(_("Choose approve or reject."), "error")
                return _back(slug)
        except NotPermitted:
            raise
        except UserError as exc:
            refused(exc)
            return _back(slug)
    if done:
        flash(message, "done")
    for pair_id, why in problems:
        flash(_("Pair %(pair)s: refused: %(why)s", pair=pair_id, why=why), "error")
    return _back(slug)


def _back(slug: str) -> Response:
    return redirect(url_for("review.queue", slug=slug), code=303)  # type: ignore[return-value]
