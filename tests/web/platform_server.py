"""The fake platform as a real HTTP server on 127.0.0.1, for a browser and for a portal running in
another process (gunicorn): a course page framing the tool, Moodle's launch form that posts to
the tool's login initiation, the OIDC authorisation endpoint that form-posts a signed id_token
back, and the platform's JWKS. Shapes as a real Moodle 4.4 (host-apis §1.7b).

The tool runs on ``localhost`` and the platform on ``127.0.0.1``: a cross-site frame, as in
production.
"""

from __future__ import annotations

import html
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from fake_platform import FakePlatform

from rm_plugin.lti import claims as c

StartResponse = Callable[..., Any]


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def _autopost(url: str, fields: dict[str, str]) -> bytes:
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in fields.items()
    )
    return (
        "<!doctype html><html lang=en><head><title>Launching</title></head><body>"
        f'<form id=f method=post action="{html.escape(url)}">{inputs}</form>'
        "<script>document.getElementById('f').submit()</script></body></html>"
    ).encode()


class PlatformServer:
    """Serves ``platform`` (whose issuer becomes this server's address) for ``tool_url``."""

    def __init__(self, tool_url: str) -> None:
        self.tool_url = tool_url.rstrip("/")
        self._server: WSGIServer = make_server("127.0.0.1", 0, self.app, handler_class=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self.platform = FakePlatform(issuer=self.url)
        self.users: dict[str, str] = {}  # Moodle user id (login_hint, sub) -> ID number (HR id)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> PlatformServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def user(self, hr_id: str) -> str:
        """The Moodle user id of the person with this ID number (made on first use)."""
        for uid, known in self.users.items():
            if known == hr_id:
                return uid
        uid = str(100 + len(self.users))
        self.users[uid] = hr_id
        return uid

    def course_url(self, hr_id: str) -> str:
        return f"{self.url}/course/view.php?{urlencode({'user': self.user(hr_id)})}"

    def app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if path == "/course/view.php":
            frame = f"{self.url}/mod/lti/launch.php?{urlencode({'user': query.get('user', '')})}"
            body = (
                "<!doctype html><html lang=en><head><title>Course: Reverse mentoring 2026</title>"
                "<style>body{margin:0;font-family:sans-serif}iframe{border:0;width:100%;height:2400px}</style>"
                "</head><body><h1 style='font-size:1rem;margin:.4rem'>Course rm-2026</h1>"
                f'<iframe id=contentframe title="Reverse mentoring" src="{html.escape(frame)}"></iframe>'
                "</body></html>"
            ).encode()
            return self._answer(start_response, "200 OK", "text/html; charset=utf-8", body)
        if path == "/mod/lti/launch.php":
            fields = {
                "iss": self.url,
                "login_hint": query.get("user", ""),
                "target_link_uri": f"{self.tool_url}/lti/launch",
                "lti_message_hint": json.dumps({"cmid": 4, "launchid": "ltilaunch1_1"}),
                "client_id": self.platform.client_id,
                "lti_deployment_id": self.platform.deployment_id,
            }
            body = _autopost(f"{self.tool_url}/lti/login", fields)
            return self._answer(start_response, "200 OK", "text/html; charset=utf-8", body)
        if path == "/mod/lti/auth.php":
            uid = query.get("login_hint", "")
            token = self.platform.id_token(
                query.get("nonce", ""),
                sub=uid,
                **{
                    c.LIS: {
                        "person_sourcedid": self.users.get(uid, ""),
                        "course_section_sourcedid": "rm-2026",
                    },
                    c.TARGET_LINK_URI: f"{self.tool_url}/lti/launch",
                    c.LAUNCH_PRESENTATION: {"locale": "en", "document_target": "iframe"},
                    "name": None,
                    "email": None,
                },
            )
            body = _autopost(
                query.get("redirect_uri", ""), {"id_token": token, "state": query.get("state", "")}
            )
            return self._answer(start_response, "200 OK", "text/html; charset=utf-8", body)
        if path == "/mod/lti/certs.php":
            body = json.dumps(self.platform.jwks()).encode()
            return self._answer(start_response, "200 OK", "application/json", body)
        return self._answer(start_response, "404 Not Found", "text/plain", b"not found")

    @staticmethod
    def _answer(start_response: StartResponse, status: str, kind: str, body: bytes) -> list[bytes]:
        start_response(status, [("Content-Type", kind), ("Content-Length", str(len(body)))])
        return [body]
