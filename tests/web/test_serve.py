"""``rm-plugin serve`` runs the portal with the development server, as a developer starts it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from portal_helpers import add_web_table


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_health_the_key_set_and_a_signed_out_portal(site_root: Path) -> None:
    add_web_table(site_root)
    port = _free_port()
    env = {**os.environ, "RM_PLUGIN_SITE": str(site_root)}
    server = subprocess.Popen(
        [sys.executable, "-m", "rm_plugin", "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        while server.poll() is None:
            try:
                with urllib.request.urlopen(base + "/healthz") as answer:
                    assert answer.read() == b"ok\n"
                    break
            except OSError:
                time.sleep(0.2)
        assert server.poll() is None, "rm-plugin serve exited"
        with urllib.request.urlopen(base + "/lti/jwks") as answer:
            assert "keys" in json.loads(answer.read())
        try:
            urllib.request.urlopen(base + "/portal/")
            raise AssertionError("the portal opened without a sign-in")
        except urllib.error.HTTPError as refused:
            assert refused.code == 401
            assert "Open Reverse mentoring from your course" in refused.read().decode()
    finally:
        server.terminate()
        output = server.communicate()[0].decode()
    assert "serving the portal" in output and "/healthz" in output
