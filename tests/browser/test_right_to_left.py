"""A form in Arabic reads right to left, mirrored, on a phone (real Chromium, with a screenshot)."""

import pytest

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


def test_an_arabic_form_is_mirrored(browser, live_server, tmp_path):
    base, credentials = live_server
    page = browser.new_context(viewport=PHONE).new_page()
    page.set_default_timeout(5000)
    page.goto(f"{base}/sign-in?lang=ar")
    page.locator("#email").fill("layla@demo.coregroup.example")
    page.locator("#password").fill(credentials["layla@demo.coregroup.example"])
    page.locator("main button").click()
    page.wait_for_url(f"{base}/cases")
    page.goto(f"{base}/cases/1/plan/your-views/your-views")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"
    heading = page.locator("h1").bounding_box()
    field = page.locator("textarea").bounding_box()
    # Right to left: the heading's text starts at the right edge, where the field ends.
    assert abs((heading["x"] + heading["width"]) - (field["x"] + field["width"])) < 2
    direction = page.evaluate("getComputedStyle(document.querySelector('h1')).direction")
    assert direction == "rtl"
    page.goto(f"{base}/cases/1/meetings/1/minutes")
    assert page.locator("input[name=agrees]").count() == 3
    box = page.locator("input[name=agrees]").first.bounding_box()
    text = page.locator("label[for='agrees']").bounding_box()
    assert box["x"] > text["x"], "the radio button sits on the right of its label"
    # A mistake: the red bar stands at the right, where the question starts.
    page.locator("input[name=agrees][value=no]").check()
    page.locator("form[action$='/receipt'] button").click()
    group = page.locator(".govuk-form-group--error").first
    border = group.evaluate(
        "g => [getComputedStyle(g).borderRightWidth, getComputedStyle(g).borderLeftWidth]"
    )
    assert border == ["5px", "0px"], border
    assert page.locator("textarea[name=disagreement]").get_attribute("dir") == "auto"
    path = tmp_path / "arabic.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    page.context.close()
