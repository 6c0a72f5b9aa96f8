"""End to end in a real browser: Debian's chromium, driven by Playwright, opens a course page of
the fake platform (on 127.0.0.1) that frames the portal, served by gunicorn on localhost - a
cross-site frame as in production. Two participants apply, the services propose and approve
their pair, they read the pair and why, edit and sign the agreement, log and confirm a meeting,
answer the pulse, and see the milestone. Every page is screenshotted (``out/e2e/``, which git
ignores, or ``RM_PLUGIN_E2E_OUT``) and checked with axe-core: no serious or critical violation.

Skipped, with the reason, only when chromium is not installed locally; under CI (``CI`` set)
a missing browser fails the test instead, so CI always runs it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from platform_server import PlatformServer
from portal_helpers import add_web_table
from portal_org import SLUG, add_people, add_programme, match_and_approve

from rm_plugin.lti.keys import ToolKeys
from rm_plugin.lti.platforms import PlatformValues, save_platform
from rm_plugin.lti.settings import WebSettings
from rm_plugin.site import Site, create_site

CHROMIUM = os.environ.get("RM_PLUGIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP localhost 127.0.0.1",
]
REPO = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("RM_PLUGIN_E2E_OUT", REPO / "out" / "e2e"))
BLOCKING = ("serious", "critical")
TWO_FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def _require_browser() -> None:
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    try:
        import axe_playwright_python  # noqa: F401
        import playwright  # noqa: F401
    except ImportError:
        missing.append("the Python packages playwright and axe-playwright-python (pip install -e '.[test]')")
    if missing:
        reason = "the browser tests need " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(reason + "; CI must run them (.ci/run installs chromium)")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Portal:
    site: Site
    url: str
    log: Path


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[Portal]:
    _require_browser()
    port = _free_port()
    url = f"http://localhost:{port}"
    root = tmp_path / "site"
    create_site(root)
    add_web_table(root)
    config = root / "rm-plugin.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            'public_url = "https://tool.example"', f'public_url = "{url}"'
        ),
        encoding="utf-8",
    )
    site = Site.load(root, load_entrypoints=False)
    site.database.upgrade()
    add_people(site)
    add_programme(site)
    log = tmp_path / "gunicorn.log"
    with PlatformServer(url) as platform, log.open("wb") as sink:
        with site.database.transaction() as s:
            p = platform.platform
            save_platform(
                s,
                PlatformValues(
                    issuer=p.issuer, client_id=p.client_id, auth_url=p.auth_url, jwks_url=p.jwks_url,
                    token_url=p.token_url, deployment_ids=(p.deployment_id,),
                ),
            )  # fmt: skip
            ToolKeys(WebSettings.from_site(site).secret_key).ensure(s)
        server = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "--config", "python:rm_plugin.web.gunicorn_conf",
                "--bind", f"127.0.0.1:{port}", "--workers", "2", f"rm_plugin.web.wsgi:create('{root}')",
            ],
            stdout=sink, stderr=subprocess.STDOUT, cwd=root,
        )  # fmt: skip
        try:
            _wait_until_up(server, f"http://127.0.0.1:{port}/healthz")
            portal = Portal(site, url, log)
            portal.platform = platform  # type: ignore[attr-defined]
            yield portal
        finally:
            server.terminate()
            server.wait()
            site.close()


def _wait_until_up(server: subprocess.Popen[bytes], health: str) -> None:
    """Poll the health URL until it answers; the test fails if gunicorn exits instead."""
    while server.poll() is None:
        try:
            with urllib.request.urlopen(health) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"gunicorn exited with status {server.returncode} before serving")


@dataclass
class Walk:
    """Screenshots and axe-core results of every page the walk visits."""

    violations: list[str] = field(default_factory=list)
    shots: list[Path] = field(default_factory=list)

    def check(self, page: Any, name: str, ready: str = "main") -> None:
        """Screenshot the page and run axe in its frame, once ``ready`` (a selector) is there."""
        from axe_playwright_python.sync_playwright import Axe

        page.frame_locator("#contentframe").locator(ready).first.wait_for()
        portal_frame = page.main_frame.child_frames[0]
        portal_frame.evaluate("window.scrollTo(0, 0)")
        # The frame is another site's process: let it paint twice before the picture is taken.
        portal_frame.evaluate(TWO_FRAMES)
        page.evaluate(TWO_FRAMES)
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / f"{len(self.shots) + 1:02d}-{name}.png"
        page.screenshot(path=str(path))  # the viewport holds the whole frame: no resize, no repaint race
        self.shots.append(path)
        results = Axe().run(portal_frame)
        for violation in results.response["violations"]:
            if violation.get("impact") in BLOCKING:
                targets = [", ".join(n.get("target", [])) for n in violation.get("nodes", [])][:3]
                self.violations.append(f"{name}: {violation['id']} ({violation['impact']}) at {targets}")


def test_two_participants_walk_the_programme_in_the_lms_frame(portal: Portal) -> None:
    from playwright.sync_api import expect, sync_playwright

    platform: PlatformServer = portal.platform  # type: ignore[attr-defined]
    walk = Walk()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # Tall viewports hold the LMS page's whole frame, so each screenshot shows the full page.
            isla = browser.new_context(viewport={"width": 1000, "height": 2460})
            yusuf = browser.new_context(viewport={"width": 390, "height": 2460})  # as wide as a phone
            mentee, mentor = isla.new_page(), yusuf.new_page()

            def open_course(page: Any, hr_id: str) -> Any:
                page.goto(platform.course_url(hr_id))
                frame = page.frame_locator("#contentframe")
                expect(frame.locator("h1")).to_contain_text("Hello")
                return frame

            # launch -> apply, as the mentee
            frame = open_course(mentee, "E1001")
            walk.check(mentee, "home-mentee")
            frame.get_by_role("link", name="Apply").click()
            frame.locator("#role-mentee").check()
            frame.locator("#wanted_skill_1").fill("data visualisation")
            frame.locator("#wanted_priority_1").select_option("3")
            for cell in ("mon-09", "mon-10", "tue-14"):
                frame.locator(f"#cell-{cell}").check()
            frame.locator("#mode-remote").check()
            frame.locator("#goals").fill("Tell stories with our data")
            frame.locator("#consent").check()
            walk.check(mentee, "apply-mentee")
            frame.get_by_role("button", name="Send my application").click()
            expect(frame.locator("main")).to_contain_text("You applied as a mentee.")
            walk.check(mentee, "applied-mentee")

            # ... and as the mentor, on a phone
            frame = open_course(mentor, "E1002")
            frame.get_by_role("link", name="Apply").click()
            frame.locator("#role-mentor").check()
            frame.locator("#skills_offered").fill("data visualisation, social media")
            for cell in ("mon-09", "mon-10", "mon-11"):
                frame.locator(f"#cell-{cell}").check()
            frame.locator("#consent").check()
            walk.check(mentor, "apply-mentor-phone")
            frame.get_by_role("button", name="Send my application").click()
            expect(frame.locator("main")).to_contain_text("You applied as a mentor.")

            # the services propose the pair and a reviewer approves it
            pairs = match_and_approve(portal.site)
            assert "E1001" in pairs

            # the pair and why, then the agreement edited and signed by the mentee
            frame = open_course(mentee, "E1001")
            expect(frame.locator("main")).to_contain_text("Active: you are the mentee.")
            frame.get_by_role("link", name="My pair and why").click()
            expect(frame.locator("main")).to_contain_text("Yusuf Okafor")
            expect(frame.locator("main")).to_contain_text("data visualisation")
            walk.check(mentee, "pair-and-why")
            frame.get_by_role("link", name="Agreement").first.click()
            walk.check(mentee, "agreement-draft")
            frame.get_by_role("link", name="Edit").click()
            frame.locator("textarea[name=purpose]").fill("Yusuf shows Isla how to tell stories with data.")
            walk.check(mentee, "agreement-edit")
            frame.get_by_role("button", name="Save as a new version").click()
            expect(frame.locator("main")).to_contain_text("Saved as version 2")
            frame.get_by_role("button", name="Sign version 2").click()
            expect(frame.locator("main")).to_contain_text("Your partner signs next")

            # the mentor reads what changed and signs too
            frame = open_course(mentor, "E1002")
            frame.get_by_role("link", name="Agreement").first.click()
            expect(frame.locator("main")).to_contain_text("What version 2 changed")
            walk.check(mentor, "agreement-changes-phone")
            frame.get_by_role("button", name="Sign version 2").click()
            expect(frame.locator("main")).to_contain_text("the agreement is in force")
            walk.check(mentor, "agreement-signed-phone")

            # the mentor logs a meeting with a private note
            frame.get_by_role("link", name="Meetings").click()
            frame.locator("#minutes").fill("50")
            frame.locator("#mode").select_option("video")
            frame.locator("#topics").fill("dashboards, storytelling")
            frame.locator("#note").fill("Isla wants to try it on the board pack")
            walk.check(mentor, "meeting-log-phone")
            frame.get_by_role("button", name="Log the meeting").click()
            expect(frame.locator("main")).to_contain_text("Waiting for your partner to confirm.")

            # the mentee confirms it, answers the pulse, and sees the milestone
            frame = open_course(mentee, "E1001")
            frame.get_by_role("link", name="Confirm the meeting your partner logged").click()
            expect(frame.locator("main")).to_contain_text("Isla wants to try it on the board pack")
            walk.check(mentee, "meetings-to-confirm")
            frame.get_by_role("button", name="Confirm this meeting").click()
            expect(frame.locator("h1")).to_contain_text("How did your meeting")
            walk.check(mentee, "pulse")
            frame.locator("label[for=rating-5]").click()
            frame.get_by_role("button", name="Send").click()
            expect(frame.locator("main")).to_contain_text("Confirmed by both.")
            frame.get_by_role("link", name="My pair").first.click()
            expect(frame.locator("main")).to_contain_text("First meeting: reached on")
            expect(frame.locator("main")).to_contain_text("Agreement signed: reached on")
            walk.check(mentee, "milestones")

            cookies = isla.cookies()
            session_cookies = [c for c in cookies if c["name"] == "rm_portal_session"]
            assert (
                session_cookies and session_cookies[0]["sameSite"] == "None" and session_cookies[0]["secure"]
            )
        finally:
            browser.close()
    assert len(walk.shots) >= 12
    assert not walk.violations, "axe-core found serious or critical problems:\n" + "\n".join(walk.violations)
    log = portal.log.read_text(encoding="utf-8", errors="replace")
    assert "POST /lti/launch" in log and "board pack" not in log and "id_token" not in log
    assert "Isla" not in log and "E1001" not in log


def test_the_browser_flow_is_set_up_for_ci() -> None:
    """The CI script installs the browser the flow above needs."""
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "apt-get" in script and "chromium" in script
    assert shutil.which("bash")
    assert SLUG
