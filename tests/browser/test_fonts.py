"""Every script is drawn with a font that has its letters, on a machine with only the default
fonts (CI's): the page's own web font for Bengali, Punjabi, Urdu and Arabic, and the switcher's
tiny subset for each language's own name on every page. Phone-sized screenshots of the family's
plan page in all eight languages are kept in test-artifacts/fonts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "fonts"
LAYLA = "layla@demo.coregroup.example"
# The font each script must be drawn with (the family name inside the font file).
SCRIPT_FONTS = {
    "bn": "Noto Sans Bengali",
    "pa": "Noto Sans Gurmukhi",
    "ur": "Noto Nastaliq Urdu",
    "ar": "Noto Naskh Arabic",
}
# A letter of each script, to find text in it on the page.
SCRIPT_RANGES = {"bn": "\u0980-\u09ff", "pa": "\u0a00-\u0a7f", "ur": "\u0600-\u06ff"}
SCRIPT_RANGES["ar"] = SCRIPT_RANGES["ur"]


def platform_fonts(page, selector: str) -> dict[str, tuple[bool, int]]:
    """The fonts Chromium actually drew an element's text with: {family: (web font?, glyphs)}."""
    session = page.context.new_cdp_session(page)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument")["root"]["nodeId"]
    node = session.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    assert node, f"nothing on the page matches {selector}"
    fonts = session.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    session.detach()
    return {f["familyName"]: (f["isCustomFont"], f["glyphCount"]) for f in fonts}


def mark_script_text(page, code: str) -> str:
    """Mark the first heading or paragraph of main written wholly in the script (and spaces and
    punctuation); its selector."""
    found = page.evaluate(
        """(range) => {
          const only = new RegExp(`^[${range}\\\\s\\\\p{P}]+$`, "u");
          const any = new RegExp(`[${range}]`, "u");
          for (const el of document.querySelectorAll("main h1, main h2, main p, main li")) {
            const text = el.textContent.trim();
            if (el.children.length === 0 && any.test(text) && only.test(text)) {
              el.id = "script-sample";
              return text;
            }
          }
          return null;
        }""",
        SCRIPT_RANGES[code],
    )
    assert found, f"no text wholly in the {code} script on the page"
    return found


def not_in_script(text: str, code: str) -> int:
    low, high = SCRIPT_RANGES[code].split("-")
    return sum(not low <= c <= high for c in text)


def open_family_plan(browser, base, credentials, code, **context):
    page = browser.new_context(viewport=PHONE, **context).new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base}/sign-in?lang={code}")
    page.locator("#email").fill(LAYLA)
    page.locator("#password").fill(credentials[LAYLA])
    page.locator("main button").click()
    page.wait_for_url(f"{base}/cases")
    return page


def test_every_language_is_drawn_with_a_font_that_has_its_letters(browser, live_server):
    base, credentials = live_server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for code in ("en_GB", "cy", "pl", "ro", "pa", "ur", "ar", "bn"):
        page = open_family_plan(browser, base, credentials, code)
        page.goto(f"{base}/cases/1/plan")
        page.evaluate("document.fonts.ready")
        loaded = page.evaluate(
            "[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)"
        )
        requested = page.evaluate(
            "performance.getEntriesByType('resource').map(e => e.name)"
            ".filter(n => n.endsWith('.woff2')).map(n => n.split('/').pop())"
        )
        if code in SCRIPT_FONTS:
            assert "App Script" in [family.strip("\"'") for family in loaded], code
            sample = mark_script_text(page, code)
            fonts = platform_fonts(page, "#script-sample")
            assert fonts.get(SCRIPT_FONTS[code], (False, 0))[0], (code, fonts)
            # Every letter of that text came from the web font: a system font drew at most its
            # spaces and punctuation, never a missing-letter box.
            system = sum(glyphs for custom, glyphs in fonts.values() if not custom)
            assert system <= not_in_script(sample, code), (code, sample, fonts)
            if code == "ur":
                height = page.evaluate(
                    "parseFloat(getComputedStyle(document.querySelector('#script-sample'))"
                    ".lineHeight) / parseFloat(getComputedStyle("
                    "document.querySelector('#script-sample')).fontSize)"
                )
                assert height >= 2, "Nastaliq needs room above and below its letters"
        else:
            # Only the switcher's own-name subsets: no page-sized script font is fetched.
            assert all(name.startswith("names-") for name in requested), (code, requested)
        # The switcher's names of the four scripts are drawn with their own subset font.
        for other, family in SCRIPT_FONTS.items():
            if other != code:
                selector = f".app-languages button[lang={other}]"
                fonts = platform_fonts(page, selector)
                assert fonts.get(family, (False, 0))[0], (code, other, fonts)
                assert all(custom for custom, _ in fonts.values()), (code, other, fonts)
        page.screenshot(path=str(ARTIFACTS / f"family-plan-{code}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], code
        if code in SCRIPT_FONTS:
            # A drawing's words too: SVG text takes no font from the page's classes.
            page.goto(f"{base}/cases/1")
            page.evaluate("document.fonts.ready")
            fonts = platform_fonts(page, "svg text")
            assert fonts.get(SCRIPT_FONTS[code], (False, 0))[0], (code, "triangle", fonts)
        for path in ("/languages", "/cases/1/meetings"):
            page.goto(f"{base}{path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], (code, path, width)
        page.context.close()


def test_the_check_fails_when_the_script_font_is_left_out(browser, live_server):
    """The check above is not vacuous: with the Bengali stylesheet blocked, Chromium on this
    machine draws Bengali with a system font's missing-letter boxes (or none), not the web font."""
    base, credentials = live_server
    # No service worker: it would serve the stylesheet past the blocked route.
    page = open_family_plan(browser, base, credentials, "bn", service_workers="block")
    page.route("**/static/dist/fp/bn.*.css", lambda route: route.abort())
    page.goto(f"{base}/cases/1/plan")
    page.evaluate("document.fonts.ready")
    sample = mark_script_text(page, "bn")
    fonts = platform_fonts(page, "#script-sample")
    assert not fonts.get(SCRIPT_FONTS["bn"], (False, 0))[0], fonts
    system = sum(glyphs for custom, glyphs in fonts.values() if not custom)
    assert system > not_in_script(sample, "bn"), fonts
    page.context.close()
