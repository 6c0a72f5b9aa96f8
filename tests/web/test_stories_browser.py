"""In a real browser, inside the LMS frame (the set-up of ``test_browser_flow``): the admin's
setup form shows every bad value at once; a pair's story goes from draft through both consents
to published, shows on the newsletter page, and disappears when one member withdraws.
Screenshots go to ``out/e2e/`` and every page is checked with axe-core."""

from __future__ import annotations

from typing import Any

from portal_org import SLUG, apply_all, match_and_approve
from test_browser_flow import CHROMIUM, CHROMIUM_ARGS, Portal, Walk, portal

__all__ = ["portal"]  # the fixture, used by name

TITLE = "Boards, not decks"


def test_a_story_is_published_after_both_consents_and_withdrawn_in_the_lms_frame(portal: Portal) -> None:
    from playwright.sync_api import expect, sync_playwright

    apply_all(portal.site)
    match_and_approve(portal.site)
    platform = portal.platform  # type: ignore[attr-defined]
    walk = Walk()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            pages = {
                hr_id: browser.new_context(viewport={"width": width, "height": 2460}).new_page()
                for hr_id, width in (("E1006", 1000), ("E1001", 1000), ("E1002", 390))
            }

            def open_course(hr_id: str) -> Any:
                page = pages[hr_id]
                page.goto(platform.course_url(hr_id))
                frame = page.frame_locator("#contentframe")
                expect(frame.locator("h1")).to_contain_text("Hello")
                return frame

            def go(hr_id: str, path: str) -> Any:
                pages[hr_id].main_frame.child_frames[0].goto(portal.url + path)
                return pages[hr_id].frame_locator("#contentframe")

            # the admin's setup form names every bad value at once
            open_course("E1006")
            frame = go("E1006", f"/admin/{SLUG}/setup")
            frame.locator("#cadence_days").fill("every fortnight")
            frame.locator("#reviewers_required").fill("0")
            frame.locator("#weights-skills").fill("lots")
            frame.get_by_role("button", name="Save the programme").click()
            expect(frame.locator("#problems li")).to_have_count(3)
            for field in ("cadence_days", "reviewers_required", "weights-skills"):
                expect(frame.locator(f"#{field}-problem")).to_be_visible()
            walk.check(pages["E1006"], "setup-every-error")

            # the mentee drafts the story from the pair page and consents, named
            frame = open_course("E1001")
            frame.get_by_role("link", name="My pair and why").click()
            frame.get_by_role("link", name="Our success story").click()
            frame.locator("#title").fill(TITLE)
            frame.locator("#learned").fill("Isla now opens the board pack with one chart.")
            walk.check(pages["E1001"], "story-draft")
            frame.get_by_role("button", name="Save the story").click()
            expect(frame.locator("main")).to_contain_text("You both consent to this version")
            frame.get_by_role("button", name="I consent to publishing it").click()
            expect(frame.locator("main")).to_contain_text("consented, named")

            # the mentor consents on a phone, without their name
            frame = open_course("E1002")
            frame.get_by_role("link", name="My pair and why").click()
            frame.get_by_role("link", name="Our success story").click()
            frame.locator("label[for=shown-anonymous]").click()
            walk.check(pages["E1002"], "story-consent-phone")
            frame.get_by_role("button", name="I consent to publishing it").click()
            expect(frame.locator("main")).to_contain_text("consented, not named")

            # the admin publishes; the newsletter shows it, each named as they chose
            frame = go("E1006", f"/admin/{SLUG}/stories")
            frame.get_by_role("button", name=f"Publish: {TITLE}").click()
            expect(frame.locator("main")).to_contain_text("Published")
            walk.check(pages["E1006"], "stories-admin")
            frame.get_by_role("link", name="newsletter (HTML)").click()
            expect(frame.locator("h2")).to_contain_text(TITLE)
            expect(frame.locator("body")).to_contain_text("a mentor who chose not to be named")
            expect(frame.locator("body")).not_to_contain_text("Yusuf")
            walk.check(pages["E1006"], "newsletter", ready="h1")

            # the mentor withdraws: it is gone from the newsletter at once
            frame = go("E1002", "/portal/")
            frame.get_by_role("link", name="My pair and why").click()
            frame.get_by_role("link", name="Our success story").click()
            frame.get_by_role("button", name="Withdraw my consent").click()
            expect(frame.locator("main")).to_contain_text("Not published")
            frame = go("E1006", f"/stories/{SLUG}/newsletter.html")
            expect(frame.locator("body")).to_contain_text("No stories are published yet.")
            expect(frame.locator("body")).not_to_contain_text(TITLE)
            walk.check(pages["E1006"], "newsletter-after-withdrawal", ready="h1")
        finally:
            browser.close()
    assert len(walk.shots) == 6
    assert not walk.violations, "axe-core found serious or critical problems:\n" + "\n".join(walk.violations)
    log = portal.log.read_text(encoding="utf-8", errors="replace")
    assert "board pack" not in log and TITLE not in log
