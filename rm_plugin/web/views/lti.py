"""What platforms call: OIDC login initiation, the launch, the tool's JWKS, dynamic registration.

Views only read the request, call the LTI services and render. Log lines name the platform and
the outcome, never a token, a claim value, a name or an email.
"""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    abort,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from rm_plugin.lti import claims as c
from rm_plugin.lti import deep_linking, registration
from rm_plugin.lti.grades import grade_connections, queue_progress_refresh, record_grade_target
from rm_plugin.lti.keys import ToolKeyError
from rm_plugin.lti.launch import Launch, LaunchError, validate_launch
from rm_plugin.lti.login import (
    CHECK_PARAM,
    PROBE_COOKIE,
    STATE_LIFETIME,
    LoginError,
    bound_to_browser,
    browser_binding,
    check_login,
    start_login,
)
from rm_plugin.lti.tool import TOOL_NAME
from rm_plugin.people.accounts import person_for_launch
from rm_plugin.secret import Secret
from rm_plugin.web import csrf
from rm_plugin.web.portal import portal
from rm_plugin.web.sessions import delete_lti_cookie, set_cookie, set_lti_cookie
from rm_plugin.web.views.limits import limit

log = logging.getLogger("rm_plugin.lti")
bp = Blueprint("lti", __name__, url_prefix="/lti")
#: What a platform may send to start a login (LTI 1.3 Core §5.1.1.1).
LOGIN_PARAMS = ("iss", "login_hint", "target_link_uri", "lti_message_hint", "client_id", "lti_deployment_id")


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt
def login() -> Response | str:
    """OIDC third-party login initiation, by GET or form POST, in two requests: the first sets
    the probe cookie, the second (``cookie_check=1``) sees whether it came back
    (:mod:`rm_plugin.lti.login` says why)."""
    p = portal()
    params = {key: request.values.get(key, "") for key in LOGIN_PARAMS}
    given = {key: value for key, value in params.items() if value}
    checking = request.values.get(CHECK_PARAM) == "1"
    limit("lti-login-check" if checking else "lti-login")
    try:
        with p.database.transaction() as s:
            if not checking:
                check_login(s, params, tool_base_url=p.settings.public_url)
                probe = redirect(url_for("lti.login", **given, **{CHECK_PARAM: "1"}), code=303)
                set_lti_cookie(probe, PROBE_COOKIE, "1", STATE_LIFETIME)
                return probe  # type: ignore[return-value]
            if request.cookies.get(PROBE_COOKIE) != "1":
                framed = request.headers.get("Sec-Fetch-Dest", "iframe") != "document"
                log.info("lti login: the browser kept no cookie framed=%s", framed)
                link = url_for("lti.login", **given) if framed else None
                return render_template("lti/open_in_window.html", link=link)
            answer = start_login(
                s,
                params,
                redirect_uri=p.settings.urls.launch,
                tool_base_url=p.settings.public_url,
                now=p.now(),
            )
    except LoginError as exc:
        log.info("lti login refused: %s", exc)
        abort(400, description=_("The learning platform's sign-in could not start: %(why)s.", why=exc))
    log.info("lti login started platform=%s", answer.platform_id)
    response = redirect(answer.url, code=302)
    set_lti_cookie(response, *browser_binding(answer.state, p.settings.secret_key), STATE_LIFETIME)
    return response  # type: ignore[return-value]


@bp.post("/launch")
@csrf.exempt
def launch() -> Response | tuple[str, int]:
    """The platform's form post of ``id_token`` and ``state``, from the browser that logged in."""
    limit("lti-launch")
    p = portal()
    state = request.form.get("state", "")
    if state and not bound_to_browser(state, request.cookies, p.settings.secret_key):
        log.warning("lti launch refused reason=browser")
        detail = _(
            "This launch did not start in this browser: the check set when it started did not come "
            "back (a browser blocking this site's cookies, or a page elsewhere that sent it here). "
            "Open the activity again from your course."
        )
        return render_template("error.html", title=_("This launch was refused"), detail=detail), 401
    try:
        checked = validate_launch(
            p.database,
            id_token=request.form.get("id_token", ""),
            state=state,
            keys=p.platform_keys,
            now=p.now(),
        )
    except LaunchError as exc:
        log.warning("lti launch refused reason=%s", exc.reason)
        return render_template("error.html", title=_("This launch was refused"), detail=str(exc)), 401
    deep_linking_request = checked.message_type == c.DEEP_LINKING_REQUEST
    response = make_response(_deep_linking(checked) if deep_linking_request else _sign_in(checked))
    delete_lti_cookie(response, browser_binding(state, p.settings.secret_key)[0])
    return response


def _sign_in(checked: Launch) -> Response | tuple[str, int]:
    p = portal()
    graded = None
    with p.database.transaction() as s:
        found = person_for_launch(
            s, checked.claims, p.settings.identity, issuer=checked.issuer, sub=checked.sub
        )
        if found.person_id is not None:
            graded = record_grade_target(s, found.person_id, checked, p.now())
            if graded is not None:
                queue_progress_refresh(s, found.person_id, graded, grade_connections(p.site))
    if found.person_id is None:
        log.info("lti launch: no person matched platform=%s reason=%s", checked.platform_id, found.reason)
        return render_template("lti/unknown_person.html", reason=found.reason, rule=p.settings.identity), 403
    data = {
        "person_id": found.person_id,
        "platform_id": checked.platform_id,
        "deployment_id": checked.deployment_id,
        "context_id": checked.context_id,
        "locale": checked.locale,
        "signed_in_at": p.now().isoformat(timespec="seconds"),
    }
    sid, ticket = p.sessions.create(data, with_handoff=True)
    log.info(
        "lti launch signed in platform=%s person=%s new_graded_link=%s",
        checked.platform_id,
        found.person_id,
        graded is not None,
    )
    response = redirect(url_for("lti.landing", ticket=ticket), code=303)
    set_cookie(response, sid, p.settings.session_lifetime)  # type: ignore[arg-type]
    return response  # type: ignore[return-value]


def _deep_linking(checked: Launch) -> tuple[str, int]:
    p = portal()
    try:
        with p.database.transaction() as s:
            options = [
                deep_linking.respond(
                    s, checked, p.tool_keys, launch_url=p.settings.urls.launch, graded=graded, now=p.now()
                )
                for graded in (True, False)
            ]
    except (deep_linking.DeepLinkingError, ToolKeyError) as exc:
        log.warning("lti deep linking refused platform=%s: %s", checked.platform_id, exc)
        return render_template("error.html", title=_("This cannot be added here"), detail=str(exc)), 400
    log.info("lti deep linking offered platform=%s", checked.platform_id)
    return render_template("lti/deep_link.html", options=options, title=TOOL_NAME), 200


@bp.get("/landing")
def landing() -> Response:
    """After a launch: into the portal once the session cookie came back with the launch's ticket.

    The ticket is spent only by the session it was made for. It never signs a browser in by
    itself: a link carrying somebody's ticket must not sign another browser in as them. The
    launch itself needed our login cookie, so the session cookie set with it comes back here.
    """
    p = portal()
    ticket = request.args.get("ticket", "")
    if not ticket:
        return redirect(url_for("participant.home"))  # type: ignore[return-value]
    sid = getattr(session, "sid", None)
    if sid and p.sessions.claim_handoff(ticket, sid=sid) is not None:
        return redirect(url_for("participant.home"))  # type: ignore[return-value]
    abort(
        400,
        description=_(
            "This link signs in only the browser that opened the activity, once, for two minutes. "
            "Open the activity again from your course; if this page comes back, allow cookies for "
            "this site."
        ),
    )


def jwks() -> Response:
    """The tool's public keys, for platforms checking our deep-linking answers and token requests."""
    p = portal()
    with p.database.transaction() as s:
        body = p.tool_keys.published(s)
    response = jsonify(body)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


bp.add_url_rule("/jwks", "jwks", jwks)


@bp.get("/register")
def register() -> tuple[str, int] | str:
    """Dynamic registration: the address IT pastes into the platform (with our one-time code)."""
    p = portal()
    code = request.args.get("code", "")
    configuration = request.args.get("openid_configuration", "")
    if not configuration:
        return render_template("lti/register_help.html", has_code=bool(code))
    limit("lti-register")
    if not code:
        return render_template(
            "error.html",
            title="Registration refused",
            detail="This address has no registration code. Make one with `rm-plugin lti register-url`.",
        ), 403
    token = request.args.get("registration_token")
    try:
        done = registration.register(
            p.database,
            code=code,
            openid_configuration=configuration,
            registration_token=Secret(token) if token else None,
            urls=p.settings.urls,
            claims=_claims_wanted(),
            now=p.now(),
            http_session=p.http_session,
        )
    except registration.RegistrationError as exc:
        log.warning("lti registration failed: %s", exc)
        return render_template("error.html", title="Registration failed", detail=str(exc)), 400
    p.origins.forget()
    log.info(
        "lti registration stored platform=%s deployment=%s new=%s",
        done.platform_id,
        done.deployment_id,
        done.created,
    )
    return render_template("lti/registered.html", done=done)


def _claims_wanted() -> list[str]:
    """The OpenID claims we ask the platform to send: no more than identity matching needs."""
    wanted = ["iss", "sub"]
    rule = portal().settings.identity
    if rule.claim == "email" or rule.matches == "email":
        wanted.append("email")
    return wanted
