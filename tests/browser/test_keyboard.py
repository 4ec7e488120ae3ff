"""By keyboard alone (Tab, Enter, typing; no mouse, no URLs typed): a parent signs in, opens
the plan, sends their views, and a failed submit puts focus on the error summary."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser
LAYLA = "layla@demo.coregroup.example"


def tab_to(page, test: str, limit: int = 120) -> None:
    """Press Tab until the focused element passes `test` (JS, on `el`); fail if it never does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => !!el && ({test}))(document.activeElement)"):
            return
    raise AssertionError(f"never reached by Tab: {test}")


def test_a_parent_can_do_everything_by_keyboard(browser, live_server):
    base, credentials = live_server
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10000)
    page.goto(f"{base}/sign-in?lang=en_GB")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    tab_to(page, "el.id === 'email'")
    page.keyboard.type(LAYLA)
    tab_to(page, "el.id === 'password'")
    page.keyboard.type(credentials[LAYLA])
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/cases")
    tab_to(page, "el.tagName === 'A' && el.textContent.includes('Amira Hassan')")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/cases/1")
    tab_to(page, "el.tagName === 'A' && el.getAttribute('href') === '/cases/1/plan/read'")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/cases/1/plan/read")

    # An empty submit: the error summary takes focus, and links to the field.
    tab_to(page, "el.tagName === 'BUTTON' && el.closest('#views-form')")
    page.keyboard.press("Enter")
    page.wait_for_selector(".govuk-error-summary")
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")
    assert Axe().run(page).violations_count == 0
    tab_to(page, "el.getAttribute('href') === '#views'")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "views"
    page.keyboard.type("I can do all of this with the keyboard.")
    tab_to(page, "el.tagName === 'BUTTON' && el.closest('#views-form')")
    page.keyboard.press("Enter")
    page.locator("#drafts-list li[data-status=sent]").wait_for()  # Layla reads Arabic
    context.close()
