"""The admin's programme setup and recruitment pages: create a programme (``/admin/new``), edit
one (``/admin/<slug>/setup``), and recruit for it (``/admin/<slug>/recruitment``): invitations,
the reminder, who applied, and skill supply against demand.

Rights come from rm-plugin's data through the services: a programme's admin edits and recruits
for it; who may create one is said in :mod:`rm_plugin.programme.setup_form`.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from rm_plugin.domain.programme_rules import DEFAULT_WEIGHTS, RULE_KEYS
from rm_plugin.errors import FieldProblems, NotFound, NotPermitted, UserError
from rm_plugin.programme import recruitment_page, setup_form
from rm_plugin.web.portal import portal
from rm_plugin.web.views.acting import acting, refused
from rm_plugin.web.views.admin_access import admin_programme

bp = Blueprint("admin_setup", __name__, url_prefix="/admin")


def _form() -> dict[str, str]:
    return {key: value for key, value in request.form.items() if key != "csrf_token"}


def _render(form: setup_form.SetupForm, me: object, problems: dict[str, list[str]]) -> tuple[str, int]:
    page = render_template(
        "admin/setup.html", me=me, form=form, problems=problems, rule_keys=RULE_KEYS,
        bool_rules=setup_form.BOOL_RULES, weights=DEFAULT_WEIGHTS, settings=setup_form.SETTING_FIELDS,
    )  # fmt: skip
    return page, 400 if problems else 200


@bp.route("/new", methods=["GET", "POST"])
def new() -> Response | tuple[str, int]:
    creators = portal().settings.programme_creators
    defaults = portal().site.programme_defaults
    with acting() as (work, me):
        if not setup_form.may_create(work, me.hr_id, creators):
            abort(
                403, description=_("Only someone who runs a programme, or whom the site lists, creates one.")
            )
        form = setup_form.blank_form(defaults)
        if request.method == "POST":
            sent = _form()
            try:
                created = setup_form.create_from_form(work, me.hr_id, sent, defaults, creators)
            except FieldProblems as exc:
                shown = setup_form.SetupForm(None, {**form.values, **sent}, form.hints, form.default_weights)
                return _render(shown, me, exc.by_field())
            for warning in created.warnings:
                flash(warning, "info")
            flash(_("Programme %(name)s created. You are its admin.", name=created.name), "done")
            return redirect(url_for("admin_setup.setup", slug=created.slug), code=303)  # type: ignore[return-value]
    return _render(form, me, {})


@bp.route("/<slug>/setup", methods=["GET", "POST"])
def setup(slug: str) -> Response | tuple[str, int]:
    with acting() as (work, me):
        form = setup_form.setup_form(work, me.hr_id, slug)
        if request.method == "POST":
            sent = _form()
            try:
                changed = setup_form.save_form(work, me.hr_id, slug, sent)
            except FieldProblems as exc:
                shown = setup_form.SetupForm(slug, {**form.values, **sent}, form.hints, form.default_weights)
                return _render(shown, me, exc.by_field())
            if changed:
                flash(_("Saved: %(names)s.", names=", ".join(changed)), "done")
            else:
                flash(_("Nothing changed."), "info")
            return redirect(url_for("admin_setup.setup", slug=slug), code=303)  # type: ignore[return-value]
    return _render(form, me, {})


@bp.get("/<slug>/recruitment")
def recruitment(slug: str) -> str:
    filters = recruitment_page.Filters(
        role=request.args.get("role") or None,
        level=request.args.get("level", type=int),
        department=request.args.get("department") or None,
    )
    with acting() as (work, me):
        page = recruitment_page.recruitment_page(work, me.hr_id, slug, filters)
    return render_template("admin/recruitment.html", me=me, page=page)


def _back(slug: str) -> Response:
    return redirect(url_for("admin_setup.recruitment", slug=slug), code=303)  # type: ignore[return-value]


@bp.post("/<slug>/recruitment/invite")
def invite(slug: str) -> Response:
    with acting() as (work, me):
        admin_programme(work, me, slug)
        try:
            result = recruitment_page.invite_from_form(work, me.hr_id, slug, _form())
        except (NotPermitted, NotFound):
            raise
        except UserError as exc:
            refused(exc)
            return _back(slug)
    flash(_("Sent to %(count)s person(s); %(before)s had been invited before.",
            count=len(result.invited), before=len(result.already)), "done")  # fmt: skip
    if result.applied:
        flash(
            _("%(count)s had already applied: recorded as invited, not messaged.", count=len(result.applied))
        )
    for hr_id in result.unknown:
        flash(_("%(hr_id)s is not an active person; not invited.", hr_id=hr_id), "error")
    return _back(slug)


@bp.post("/<slug>/recruitment/remind")
def remind(slug: str) -> Response:
    with acting() as (work, me):
        admin_programme(work, me, slug)
        try:
            reminded = recruitment_page.remind_as_admin(work, me.hr_id, slug)
        except (NotPermitted, NotFound):
            raise
        except UserError as exc:
            refused(exc)
            return _back(slug)
    flash(_("Reminded %(count)s person(s).", count=len(reminded)), "done")
    return _back(slug)
