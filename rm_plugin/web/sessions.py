"""Flask's ``session`` kept on the server (:mod:`rm_plugin.store.web_sessions`), so that every
gunicorn worker sees every session.

The cookie holds only a random id. It is
``Secure; HttpOnly; SameSite=None; Partitioned``: the portal lives in the LMS's frame on another
site, where Chromium returns only partitioned cookies (host-apis §1.7b). Its name never starts
with ``MoodleSession``, which a tool on the LMS's own site could otherwise shadow.

"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from rm_plugin.store.web_sessions import SessionStore

COOKIE_NAME = "rm_portal_session"


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """The session's data; ``sid`` is the cookie value (None until the session is stored)."""

    def __init__(self, initial: Mapping[str, Any] | None = None, sid: str | None = None) -> None:
        def on_update(_: Any) -> None:
            self.modified = True

        super().__init__(initial or {}, on_update)
        self.sid = sid
        self.modified = False

    def __repr__(self) -> str:  # the data may hold names: keep it out of tracebacks
        return f"<ServerSession keys={sorted(self.keys())}>"


def set_cookie(response: Response, sid: str, lifetime: dt.timedelta) -> None:
    response.set_cookie(
        COOKIE_NAME,
        sid,
        max_age=int(lifetime.total_seconds()),
        path="/",
        secure=True,
        httponly=True,
        samesite="None",
        partitioned=True,
    )


def set_lti_cookie(response: Response, name: str, value: str, lifetime: dt.timedelta) -> None:
    """A short-lived cookie of the login (only ``/lti/`` sees it), with the session cookie's
    attributes so that it comes back inside the LMS's frame too."""
    response.set_cookie(
        name,
        value,
        max_age=int(lifetime.total_seconds()),
        path="/lti/",
        secure=True,
        httponly=True,
        samesite="None",
        partitioned=True,
    )


def delete_lti_cookie(response: Response, name: str) -> None:
    response.delete_cookie(name, path="/lti/", secure=True, httponly=True, samesite="None", partitioned=True)


class DatabaseSessionInterface(SessionInterface):
    """Flask's ``session`` backed by :class:`SessionStore`; a request without a cookie costs no query."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        sid = request.cookies.get(COOKIE_NAME)
        if sid:
            data = self.store.load(sid)
            if data is not None:
                return ServerSession(data, sid)
        return ServerSession()

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, ServerSession) or not session.modified:
            return
        if session.sid is None:
            if not session:
                return
            session.sid, _ = self.store.create(dict(session))
            set_cookie(response, session.sid, self.store.lifetime)
        elif not session:
            self.store.end(session.sid)
            response.delete_cookie(
                COOKIE_NAME, path="/", secure=True, httponly=True, samesite="None", partitioned=True
            )
        else:
            self.store.save(session.sid, dict(session))
