"""The family plan page on a phone, in real headless Chromium: what a first visit downloads
(compressed bytes by kind, the service worker's own fetches included) and what a repeat visit
fetches from the server (only the HTML, when everything else is kept)."""

from __future__ import annotations

import shutil
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def _kind(url: str, content_type: str) -> str:
    path = urlparse(url).path
    if "html" in content_type:
        return "HTML"
    if path.endswith(".css"):
        return "CSS"
    if path.endswith(".js"):
        return "JS"
    if "font" in content_type or path.endswith((".woff", ".woff2", ".ttf")):
        return "fonts"
    return "other"


def measure(url: str, cookies: list[dict]) -> dict:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        context = browser.new_context(viewport={"width": 360, "height": 740})
        context.add_cookies(cookies)
        seen: list = []
        context.on("requestfinished", lambda request: seen.append(request))
        page = context.new_page()
        page.goto(url)
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.wait_for_load_state("networkidle")
        first: dict[str, int] = {}
        for request in seen:
            response = request.response()
            if response is None or response.from_service_worker:
                continue
            kind = _kind(request.url, response.headers.get("content-type", ""))
            first[kind] = first.get(kind, 0) + request.sizes()["responseBodySize"]
        seen.clear()
        page.goto(url)
        page.wait_for_load_state("networkidle")
        repeat = [
            urlparse(r.url).path
            for r in seen
            if r.response() is not None and not r.response().from_service_worker
        ]
        browser.close()
    return {"first": first, "repeat": repeat}


def font_weights() -> str:
    """The fonts' sizes as built: the switcher's own-name subsets (fetched on every page) and
    each script's regular and bold faces (fetched only on pages in that language)."""
    from coregroup import fonts
    from coregroup.assets import DIST

    built = DIST / "fonts"
    names = sum((built / f"names-{code}.woff2").stat().st_size for code in fonts.SCRIPTS)
    parts = [f"switcher's own-name subsets {names / 1024:.1f} KB on every page"]
    for code, (package, subset, _) in fonts.SCRIPTS.items():
        size = sum(
            (built / f"{package}-{subset}-{weight}-normal.woff2").stat().st_size
            for weight in fonts.WEIGHTS
        )
        parts.append(f"{code} {size / 1024:.0f} KB (regular and bold)")
    return "Fonts (woff2, self-hosted): " + "; ".join(parts) + "; English pages load no other."
