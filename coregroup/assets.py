"""Fingerprint the static files the pages use, so browsers may keep them for a year.

`python -m coregroup.assets` (run by `make install`, after the Sass build) copies each file to
`static/dist/fp/<name>.<hash><ext>` and writes `static/dist/manifest.json`, which maps the name
the templates use (relative to `static/`) to the fingerprinted copy. A changed file gets a new
name, so a year-long `Cache-Control: immutable` is safe.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from coregroup import fonts

STATIC = Path(__file__).resolve().parent / "static"
DIST = STATIC / "dist"
FINGERPRINTED = DIST / "fp"
# The files a page may load, by the name templates use in `asset(...)`.
FILES = (
    "dist/app.css",
    "dist/govuk-frontend.min.js",
    "app/init.js",
    "app/session.js",
    "app/live.js",
    "app/offline.js",
    "app/drafts.js",
    "app/icon.svg",
    "app/icons/icon-192.png",
    "app/icons/icon-512.png",
    "app/icons/maskable-512.png",
)


def _fingerprint(name: str, content: bytes, suffix: str) -> str:
    """Write `content` as fp/<stem>.<hash><suffix>; its path relative to static/."""
    digest = hashlib.sha256(content).hexdigest()[:12]
    target = FINGERPRINTED / f"{Path(name).stem}.{digest}{suffix}"
    target.write_bytes(content)
    return str(target.relative_to(STATIC))


def build() -> dict[str, str]:
    shutil.rmtree(FINGERPRINTED, ignore_errors=True)
    FINGERPRINTED.mkdir(parents=True)
    manifest = {}
    # The fonts first: the stylesheets name their fingerprinted copies (all in fp/, so by name).
    for name, path in fonts.build(DIST / "fonts").items():
        manifest[name] = _fingerprint(name, path.read_bytes(), path.suffix)

    def font_url(name: str) -> str:
        return Path(manifest[f"dist/fonts/{name}"]).name

    script_urls = {}
    for code, name in fonts.STYLESHEETS.items():
        package, subset, _ = fonts.SCRIPTS[code]
        urls = {w: font_url(f"{package}-{subset}-{w}-normal.woff2") for w in fonts.WEIGHTS}
        script_urls[code] = urls
        manifest[name] = _fingerprint(name, fonts.script_stylesheet(code, urls).encode(), ".css")
    names = fonts.names_stylesheet(
        {code: font_url(f"names-{code}.woff2") for code in fonts.SCRIPTS}, script_urls
    )
    for name in FILES:
        content = (STATIC / name).read_bytes()
        if name == "dist/app.css":
            content += names.encode()
        manifest[name] = _fingerprint(name, content, Path(name).suffix)
    (DIST / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


if __name__ == "__main__":
    for name, path in build().items():
        print(f"{name} -> {path}")
