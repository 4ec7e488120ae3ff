"""The idle warning appears before the session ends, and "Stay signed in" keeps it."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, sign_in

pytestmark = pytest.mark.browser


def test_the_idle_warning_keeps_the_session(browser, live_server):
    base, credentials = live_server
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(5000)
    # Shorten the clock in the page only: the warning shows 2 minutes before the end.
    page.add_init_script(
        "window.setTimeout = ((original) => (fn, ms) => original(fn, Math.min(ms, 300)))"
        "(window.setTimeout);"
    )
    sign_in(page, base, "sam@demo.coregroup.example", credentials["sam@demo.coregroup.example"])
    warning = page.locator("#idle-warning")
    expect(warning).to_be_visible()
    expect(page.locator("#stay-signed-in")).to_be_focused()
    with page.expect_response("**/session/keep-alive") as answer:
        page.get_by_role("button", name="Stay signed in").click()
    assert answer.value.status == 200
    context.close()
