"""The admin and reviewer pages in a real browser, inside the fake LMS's frame (the set-up of
``test_browser_flow``): a reviewer approves two proposals together; a second reviewer, the
manager of one mentee, never sees that proposal; the admin opens the dashboard and its charts
draw (a chart has a non-zero size, not only markup). Every page is screenshotted into
``out/e2e/`` and checked with axe-core."""

from __future__ import annotations

from typing import Any

from admin_org import proposals
from platform_server import PlatformServer
from test_browser_flow import CHROMIUM, CHROMIUM_ARGS, Portal, Walk, portal

from rm_plugin.matching.review import approve_pair
from rm_plugin.unit_of_work import unit_of_work

__all__ = ["portal"]


def test_reviewers_decide_in_the_lms_frame_and_the_admin_reads_the_dashboard(portal: Portal) -> None:
    from playwright.sync_api import expect, sync_playwright

    platform: PlatformServer = portal.platform  # type: ignore[attr-defined]
    pairs = proposals(portal.site)
    walk = Walk()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            rita = browser.new_context(viewport={"width": 1000, "height": 2460}).new_page()
            mara = browser.new_context(viewport={"width": 390, "height": 2460}).new_page()  # a phone

            def open_admin(page: Any, hr_id: str) -> Any:
                page.goto(platform.course_url(hr_id))
                frame = page.frame_locator("#contentframe")
                frame.get_by_role("link", name="Admin and review").click()
                expect(frame.locator("h1")).to_contain_text("Admin and review")
                return frame

            # the manager of Isla (a mentee) reviews: her proposal is not in the queue
            frame = open_admin(mara, "E1007")
            frame.get_by_role("link", name="Open the review queue").click()
            expect(frame.locator("main")).to_contain_text("1 proposal is not shown: you may not review it.")
            expect(frame.locator("main")).to_contain_text("Grace Hopper")
            expect(frame.locator("main")).not_to_contain_text("Isla Bauer")
            expect(frame.locator("input[name=pair]")).to_have_count(1)
            walk.check(mara, "admin-review-queue-in-chain-phone")

            # the admin, on the panel too, approves both proposals in one go
            frame = open_admin(rita, "E1006")
            walk.check(rita, "admin-home")
            frame.get_by_role("link", name="Open the review queue").click()
            expect(frame.locator("input[name=pair]")).to_have_count(2)
            walk.check(rita, "admin-review-queue")
            for pair_id in pairs.values():
                frame.locator(f"#pair-{pair_id}").check()
            frame.get_by_role("button", name="Record my decision").click()
            expect(frame.locator("main")).to_contain_text("You approved 2 proposal(s); 0 now active.")
            expect(frame.locator("main")).to_contain_text("No proposal waits for your decision.")
            walk.check(rita, "admin-review-decided")

            # a second reviewer's approvals (by the service) make both active
            with unit_of_work(portal.site) as work:
                for pair_id in pairs.values():
                    approve_pair(work, pair_id, "E1008")

            frame = open_admin(rita, "E1006")
            frame.get_by_role("link", name="Running pairs and nudges").click()
            expect(frame.locator("#running-pairs")).to_contain_text("Isla Bauer")
            walk.check(rita, "admin-running")
            frame.get_by_role("link", name="Dashboard").first.click()
            chart = frame.locator("svg[role=img]").first
            # The first report a worker builds loads matplotlib: allow it more than the usual wait.
            expect(chart).to_be_visible(timeout=60_000)
            name = chart.get_attribute("aria-labelledby")
            expect(frame.locator(f"[id='{name}']")).to_have_text("Applications and matching: recruitment")
            box = chart.bounding_box()
            assert box is not None and box["width"] > 100 and box["height"] > 50, box
            bars = frame.locator("svg[role=img] path, svg[role=img] rect").first.bounding_box()
            assert bars is not None and bars["width"] > 0
            walk.check(rita, "admin-dashboard")
            frame.get_by_role("link", name="Sync").click()
            expect(frame.locator("h1")).to_contain_text("Sync state")
            walk.check(rita, "admin-sync")
        finally:
            browser.close()
    assert not walk.violations, "axe-core found serious or critical problems:\n" + "\n".join(walk.violations)
    log = portal.log.read_text(encoding="utf-8", errors="replace")
    assert "E1001" not in log and "Isla" not in log
