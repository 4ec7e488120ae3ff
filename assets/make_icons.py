"""Draw the app's PNG icons from its SVG in headless Chromium (run by hand when the icon
changes: `.venv/bin/python assets/make_icons.py`; the PNGs are committed)."""

import shutil
from pathlib import Path

from playwright.sync_api import sync_playwright

ICONS = Path(__file__).resolve().parent.parent / "coregroup" / "static" / "app"
SVG = (ICONS / "icon.svg").read_text()
# Maskable: the full square in the brand colour, the figures inside the central safe zone.
MASKABLE = (
    SVG.replace('rx="12"', 'rx="0"')
    .replace("<circle", '<g transform="translate(9.6 9.6) scale(0.7)"><circle', 1)
    .replace("</svg>", "</g></svg>")
)

with sync_playwright() as playwright:
    browser = playwright.chromium.launch(
        executable_path=shutil.which("chromium"), args=["--no-sandbox", "--disable-gpu"]
    )
    for name, svg, size in (
        ("icon-192.png", SVG, 192),
        ("icon-512.png", SVG, 512),
        ("maskable-512.png", MASKABLE, 512),
    ):
        page = browser.new_page(viewport={"width": size, "height": size})
        page.set_content(
            f"<style>html,body{{margin:0;background:transparent}}svg{{width:{size}px;"
            f"height:{size}px;display:block}}</style>{svg}"
        )
        page.screenshot(path=str(ICONS / "icons" / name), omit_background=True)
    browser.close()
