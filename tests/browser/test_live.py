"""Two people on the plan at once: one saves, the other sees it within seconds, no reload."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, sign_in

pytestmark = pytest.mark.browser


def watcher_and_editor(browser, live_server, editor_viewport):
    """Priya on a phone with the plan open at version 1, and Sam signed in to edit it."""
    base, credentials = live_server
    watcher = browser.new_context(viewport=PHONE).new_page()
    editor = browser.new_context(viewport=editor_viewport).new_page()
    for page, who in ((watcher, "priya"), (editor, "sam")):
        page.set_default_timeout(5000)
        email = f"{who}@demo.coregroup.example"
        sign_in(page, base, email, credentials[email])
    watcher.goto(f"{base}/cases/1/plan")
    expect(watcher.locator("main")).to_contain_text("The latest saved plan is version 1")
    return watcher, editor


def test_a_saved_change_appears_on_the_other_persons_screen(browser, live_server):
    base, _credentials = live_server
    watcher, editor = watcher_and_editor(browser, live_server, PHONE)
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


def test_each_saved_version_shows_on_an_open_plan_page_within_two_seconds(browser, live_server):
    """Measured, as people use it: the editor saves in one browser; from the moment their
    "Plan saved" page is up, how long until the other person's open plan page shows the new
    version (polling once a second while the page is visible). Printed; each must show."""
    import statistics
    import time

    base, _credentials = live_server
    watcher, editor = watcher_and_editor(browser, live_server, None)
    waits = []
    for version in range(2, 10):
        editor.goto(f"{base}/cases/1/plan/aims/aims")
        editor.get_by_label("What is the core group trying to achieve?").fill(f"Round {version}")
        editor.get_by_role("button", name="Continue").click()
        editor.goto(f"{base}/cases/1/plan/check")
        editor.get_by_role("button", name="Save the plan").click()
        expect(editor.locator("main")).to_contain_text(f"Plan saved as version {version}")
        saved = time.monotonic()
        expect(watcher.locator("main")).to_contain_text(
            f"The latest saved plan is version {version}", timeout=5000
        )
        waits.append(time.monotonic() - saved)
    p95 = statistics.quantiles(waits, n=20, method="inclusive")[18]
    print(f"\nlive update: p50 {statistics.median(waits):.2f} s, p95 {p95:.2f} s, n={len(waits)}")
    watcher.context.close()
    editor.context.close()
