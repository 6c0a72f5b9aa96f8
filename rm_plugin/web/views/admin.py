"""The admin pages: home, a programme's running pairs (nudges, role-reversion watch), the sync
state and the dashboard with its downloads. The review queue is in :mod:`.review`.

Who is an admin comes from rm-plugin's data (a programme's ``admin_hr_id``, see
:mod:`.admin_access`), never from the platform's roles; every view asks before it reads.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from rm_plugin.errors import UserError
from rm_plugin.matching.review_queue import reviewing
from rm_plugin.programme.nudges import nudge_programme
from rm_plugin.programme.running import running_pairs
from rm_plugin.programme.setup_form import may_create
from rm_plugin.reports import dashboard as dashboards
from rm_plugin.reports.reversion import reversion_watch
from rm_plugin.sync.status import COLUMNS, outbox_status, retry_rows
from rm_plugin.web.portal import portal
from rm_plugin.web.views.acting import acting, refused
from rm_plugin.web.views.admin_access import (
    admin_programme,
    admin_programmes,
    require_some_admin,
    sees_admin_pages,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.add_app_template_global(sees_admin_pages, "sees_admin_pages")


@bp.get("/")
def home() -> str:
    with acting() as (work, me):
        programmes = admin_programmes(work, me)
        seats = reviewing(work, me.hr_id)
        creates = may_create(work, me.hr_id, portal().settings.programme_creators)
    if not programmes and not seats and not creates:
        abort(403, description=_("Only a programme's admin or a review panel member sees these pages."))
    return render_template("admin/home.html", me=me, programmes=programmes, seats=seats, creates=creates)


# --- running pairs, nudges and the role-reversion watch --------------------------------------


@bp.get("/<slug>/running")
def running(slug: str) -> str:
    with acting() as (work, me):
        programme = admin_programme(work, me, slug)
        state = running_pairs(work, slug)
        would = nudge_programme(work, slug, dry_run=True)
        watch = reversion_watch(work, slug)
    return render_template(
        "admin/running.html", me=me, programme=programme, state=state, would=would, watch=watch
    )


@bp.post("/<slug>/running/nudges")
def send_nudges(slug: str) -> Response:
    with acting() as (work, me):
        admin_programme(work, me, slug)
        try:
            run = nudge_programme(work, slug)
        except UserError as exc:
            refused(exc)
            return _to("admin.running", slug=slug)
    flash(_("%(n)s nudge(s) queued for delivery.", n=len(run.sent)), "done")
    return _to("admin.running", slug=slug)


# --- the sync state (site-wide: the outbox is one for the whole site) ------------------------


@bp.get("/sync")
def sync() -> str:
    with acting() as (work, me):
        require_some_admin(work, me)
    state = outbox_status(portal().database)
    return render_template("admin/sync.html", me=me, state=state, columns=COLUMNS)


@bp.post("/sync/retry")
def retry() -> Response:
    wanted = request.form.getlist("row", type=int)
    everything = request.form.get("all") == "1"
    with acting() as (work, me):
        require_some_admin(work, me)
    if not wanted and not everything:
        flash(_("Choose a row to retry, or retry them all."), "error")
        return _to("admin.sync")
    try:
        done = retry_rows(portal().database, ids=wanted, everything=everything, actor=me.hr_id)
    except UserError as exc:
        refused(exc)
        return _to("admin.sync")
    flash(
        _(
            "%(n)s row(s) queued again; %(m)s row(s) that followed them go ahead too.",
            n=len(done.requeued),
            m=len(done.released),
        ),
        "done",
    )
    return _to("admin.sync")


# --- the dashboard ---------------------------------------------------------------------------


@bp.get("/<slug>/report")
def report(slug: str) -> str:
    with acting() as (work, me):
        programme = admin_programme(work, me, slug)
        page = dashboards.dashboard(work, slug)
    return render_template(
        "admin/report.html", me=me, programme=programme, body=Markup(page.body), downloads=page.downloads
    )


@bp.get("/<slug>/report/<key>.<fmt>")
def download(slug: str, key: str, fmt: str) -> Response:
    with acting() as (work, me):
        admin_programme(work, me, slug)
        found = dashboards.download(work, slug, key, fmt)
    response = make_response(found.text)
    response.headers["Content-Type"] = f"{found.media_type}; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    return response


@bp.get("/report.css")
def report_css() -> Response:
    with acting() as (work, _me):
        text = dashboards.stylesheet(work)
    response = make_response(text)
    response.headers["Content-Type"] = "text/css; charset=utf-8"
    return response


def _to(endpoint: str, **values: object) -> Response:
    return redirect(url_for(endpoint, **values), code=303)  # type: ignore[return-value]
