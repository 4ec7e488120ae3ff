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


def build() -> dict[str, str]:
    shutil.rmtree(FINGERPRINTED, ignore_errors=True)
    FINGERPRINTED.mkdir(parents=True)
    manifest = {}
    for name in FILES:
        source = STATIC / name
        digest = hashlib.sha256(source.read_bytes()).hexdigest()[:12]
        target = FINGERPRINTED / f"{source.stem}.{digest}{source.suffix}"
        shutil.copyfile(source, target)
        manifest[name] = str(target.relative_to(STATIC))
    (DIST / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


if __name__ == "__main__":
    for name, path in build().items():
        print(f"{name} -> {path}")
