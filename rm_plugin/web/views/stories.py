"""Success stories in the portal: a member drafts and edits their pair's story, consents or
withdraws (``/portal/pairs/<id>/story``); the programme's admin edits and publishes
(``/admin/<slug>/stories``); anyone signed in reads the published stories as the newsletter
issue or the intranet page (``/stories/<slug>/<kind>.<fmt>``), each person named only as they
consented. Every rule is in :mod:`rm_plugin.reports.stories`, which the command line calls too.
"""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from rm_plugin.errors import NotFound, NotPermitted, UserError
from rm_plugin.reports import stories
from rm_plugin.web.views.acting import acting, refused
from rm_plugin.web.views.admin_access import admin_programme

bp = Blueprint("stories", __name__)

CONTENT_TYPES = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8"}


def _to_pair(pair_id: int) -> Response:
    return redirect(url_for("stories.pair_story", pair_id=pair_id), code=303)  # type: ignore[return-value]


@bp.route("/portal/pairs/<int:pair_id>/story", methods=["GET", "POST"])
def pair_story(pair_id: int) -> Response | str:
    with acting() as (work, me):
        page = stories.pair_story(work, me.hr_id, pair_id)
        if request.method == "POST":
            form = request.form
            text = {name: form.get(name, "") for name in ("title", "learned", "changed")}
            try:
                if page.story is None:
                    stories.draft(work, me.hr_id, page.programme_slug, pair_id=pair_id, **text)
                else:
                    stories.edit(work, me.hr_id, page.programme_slug, pair_id=pair_id, **text)
            except (NotPermitted, NotFound):
                raise
            except UserError as exc:
                refused(exc)
                return redirect(url_for("stories.pair_story", pair_id=pair_id, edit=1), code=303)  # type: ignore[return-value]
            flash(_("Story saved. You both consent to this version before it can be published."), "done")
            return _to_pair(pair_id)
    editing = page.story is None or request.args.get("edit") == "1"
    return render_template(
        "stories/pair.html", me=me, page=page, pair_id=pair_id, tab="story", editing=editing
    )


@bp.post("/portal/pairs/<int:pair_id>/story/consent")
def consent(pair_id: int) -> Response:
    with acting() as (work, me):
        page = stories.pair_story(work, me.hr_id, pair_id)
        try:
            stories.consent(
                work, me.hr_id, page.programme_slug, request.form.get("shown_as", ""), pair_id=pair_id
            )
        except (NotPermitted, NotFound):
            raise
        except UserError as exc:
            refused(exc)
            return _to_pair(pair_id)
    flash(_("You consented to this version being published."), "done")
    return _to_pair(pair_id)


@bp.post("/portal/pairs/<int:pair_id>/story/withdraw")
def withdraw(pair_id: int) -> Response:
    with acting() as (work, me):
        page = stories.pair_story(work, me.hr_id, pair_id)
        try:
            stories.withdraw(work, me.hr_id, page.programme_slug, pair_id=pair_id)
        except (NotPermitted, NotFound):
            raise
        except UserError as exc:
            refused(exc)
            return _to_pair(pair_id)
    flash(_("You withdrew your consent: the story is not published."), "done")
    return _to_pair(pair_id)


# --- the programme's admin -------------------------------------------------------------------


def _to_admin(slug: str) -> Response:
    return redirect(url_for("stories.admin_stories", slug=slug), code=303)  # type: ignore[return-value]


@bp.get("/admin/<slug>/stories")
def admin_stories(slug: str) -> str:
    with acting() as (work, me):
        programme = admin_programme(work, me, slug)
        listed = stories.list_stories(work, me.hr_id, slug)
    return render_template("stories/admin.html", me=me, programme=programme, stories=listed, slug=slug)


@bp.route("/admin/<slug>/stories/<int:story_id>", methods=["GET", "POST"])
def admin_edit(slug: str, story_id: int) -> Response | str:
    with acting() as (work, me):
        admin_programme(work, me, slug)
        if request.method == "POST":
            form = request.form
            text = {name: form.get(name, "") for name in ("title", "learned", "changed")}
            try:
                stories.edit(work, me.hr_id, slug, story_id=story_id, **text)
            except (NotPermitted, NotFound):
                raise
            except UserError as exc:
                refused(exc)
                return redirect(url_for("stories.admin_edit", slug=slug, story_id=story_id), code=303)  # type: ignore[return-value]
            flash(_("Story saved. If the text changed, both members consent again."), "done")
            return _to_admin(slug)
        story = stories.story_for_admin(work, me.hr_id, slug, story_id)
    return render_template("stories/admin_edit.html", me=me, story=story, slug=slug)


@bp.post("/admin/<slug>/stories/<int:story_id>/publish")
def publish(slug: str, story_id: int) -> Response:
    with acting() as (work, me):
        admin_programme(work, me, slug)
        try:
            stories.publish(work, me.hr_id, slug, story_id)
        except (NotPermitted, NotFound):
            raise
        except UserError as exc:
            refused(exc)
            return _to_admin(slug)
    flash(_("Published."), "done")
    return _to_admin(slug)


# --- the published stories -------------------------------------------------------------------


@bp.get("/stories/<slug>/<kind>.<fmt>")
def published(slug: str, kind: str, fmt: str) -> Response:
    """The newsletter issue or intranet page: only stories both members consented to, named as
    each chose; any signed-in person may read them, as the whole company does."""
    if (kind, fmt) not in stories.FORMATS:
        raise NotFound(f"no {kind}.{fmt}")
    with acting() as (work, _me):
        text = stories.render_stories(work.session, work.ctx, slug, kind, fmt, work.today)
    response = make_response(text)
    response.headers["Content-Type"] = CONTENT_TYPES[fmt]
    return response
