"""The WSGI application: ``create_app(site)`` wires the settings, the database-backed sessions,
CSRF, the security headers and one blueprint per audience (lti, participant, admin)."""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable

import requests
from flask import Flask, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from rm_plugin.errors import NotFound, NotPermitted, UserError
from rm_plugin.lti import platforms
from rm_plugin.lti.keys import ToolKeys
from rm_plugin.lti.platform_keys import PlatformKeys
from rm_plugin.lti.settings import WebSettings
from rm_plugin.site import Site
from rm_plugin.store.web_sessions import SessionStore
from rm_plugin.web import csrf, headers, i18n
from rm_plugin.web.headers import PlatformOrigins
from rm_plugin.web.portal import Portal
from rm_plugin.web.sessions import DatabaseSessionInterface

log = logging.getLogger("rm_plugin.web")

#: What a page says for each error status; the view may add a sentence of its own.
ERROR_TITLES = {
    400: lazy_gettext("This request cannot be used"),
    401: lazy_gettext("You are not signed in"),
    403: lazy_gettext("This page is not yours to see"),
    404: lazy_gettext("No such page"),
    405: lazy_gettext("Not allowed here"),
    413: lazy_gettext("Too much data"),
    429: lazy_gettext("Too many attempts"),
    500: lazy_gettext("Something went wrong on our side"),
}


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def create_app(
    site: Site,
    *,
    settings: WebSettings | None = None,
    clock: Callable[[], dt.datetime] = _utcnow,
    http_session: requests.Session | None = None,
) -> Flask:
    """The portal for ``site``; raises ConfigError when ``[web]`` lacks what it needs."""
    settings = settings or WebSettings.from_site(site)
    for warning in settings.identity.warnings():
        log.warning("%s", warning)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key.reveal(),
        MAX_CONTENT_LENGTH=256 * 1024,
        PREFERRED_URL_SCHEME="https" if settings.public_url.startswith("https:") else "http",
    )
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n)  # type: ignore[method-assign]
    database = site.database

    def load_origins() -> list[str]:
        with database.transaction() as session:
            return platforms.platform_origins(session)

    portal = Portal(
        site=site,
        settings=settings,
        database=database,
        tool_keys=ToolKeys(settings.secret_key),
        platform_keys=PlatformKeys(clock=clock, http_session=http_session),
        sessions=SessionStore(database, settings.session_lifetime, clock),
        origins=PlatformOrigins(load_origins),
        clock=clock,
        http_session=http_session,
    )
    app.extensions["rm_portal"] = portal
    app.session_interface = DatabaseSessionInterface(portal.sessions)
    csrf.init_app(app)
    headers.init_app(app, portal.origins)
    i18n.init_app(app, site.root, str(site.config["site"]["timezone"]))

    from rm_plugin.web.views import admin, admin_setup, badges, lti, mine, pairs, participant, review, stories

    app.register_blueprint(lti.bp)
    app.register_blueprint(participant.bp)
    app.register_blueprint(pairs.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(badges.bp)
    app.register_blueprint(mine.bp)
    app.register_blueprint(admin_setup.bp)
    app.register_blueprint(stories.bp)
    app.add_url_rule("/.well-known/jwks.json", "jwks_well_known", lti.jwks)

    @app.get("/")
    def root() -> Response:
        return redirect(url_for("participant.home"))  # type: ignore[return-value]

    @app.get("/healthz")
    def healthz() -> tuple[str, int, dict[str, str]]:
        return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        if status == 401:
            return make_response(render_template("participant/signed_out.html"), 401)
        detail = error.description if status in (400, 403, 429) else ""
        if error.description == "csrf":
            detail = _("The form was open too long or came from elsewhere. Reload the page and try again.")
        page = render_template("error.html", title=ERROR_TITLES.get(status, _("Error")), detail=detail)
        response = make_response(page, status)
        for name, value in error.get_headers():  # Retry-After, Allow
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(UserError)
    def refused(error: UserError) -> Response:
        """A service refused: 403 for somebody else's page, 404 for what does not exist, else 400
        with the service's reasons (they name only what the person asked about)."""
        if isinstance(error, NotPermitted):
            status, detail = 403, _("It belongs to another pair or programme.")
        elif isinstance(error, NotFound):
            status, detail = 404, ""
        else:
            status, detail = 400, " ".join(error.lines())
        page = render_template("error.html", title=ERROR_TITLES[status], detail=detail)
        return make_response(page, status)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[str, int]:
        if app.testing:
            raise error
        # Where it happened, and the type; not the message, which may carry claim values.
        where = "".join(traceback.format_tb(error.__traceback__)[-3:])
        log.error("unexpected %s in %s\n%s", type(error).__name__, _endpoint(), where)
        return render_template("error.html", title=ERROR_TITLES[500], detail=""), 500

    return app


def _endpoint() -> str:
    from flask import request

    return request.endpoint or request.path
