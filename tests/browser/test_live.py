"""Two people on the plan at once: one saves, the other sees it within seconds, no reload."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, sign_in

pytestmark = pytest.mark.browser


def test_a_saved_change_appears_on_the_other_persons_screen(browser, live_server):
    base, credentials = live_server
    watcher = browser.new_context(viewport=PHONE).new_page()
    editor = browser.new_context(viewport=PHONE).new_page()
    for page, who in ((watcher, "priya"), (editor, "sam")):
        page.set_default_timeout(5000)
        sign_in(
            page,
            base,
            f"{who}@demo.coregroup.example",
            credentials[f"{who}@demo.coregroup.example"],
        )
    watcher.goto(f"{base}/cases/1/plan")
    expect(watcher.locator("main")).to_contain_text("The latest saved plan is version 1")
    editor.goto(f"{base}/cases/1/plan/aims/aims")
    expect(watcher.locator("#live-others")).to_contain_text(
        "Sam Okafor (lead social worker) is editing What the core group is trying to achieve",
        timeout=15000,
    )
    editor.get_by_label("What is the core group trying to achieve?").fill("Changed by Sam")
    editor.get_by_role("button", name="Continue").click()
    editor.goto(f"{base}/cases/1/plan/check")
    editor.get_by_role("button", name="Save the plan").click()
    expect(watcher.locator("main")).to_contain_text(
        "The latest saved plan is version 2", timeout=15000
    )
    watcher.context.close()
    editor.context.close()
