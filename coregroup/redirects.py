"""Where a `next` parameter may send someone: a page of this site, checked in one place.

Browsers tidy a URL before following it (the WHATWG URL standard): they drop leading and
trailing spaces and control characters, remove tabs and line breaks anywhere, and read a
backslash as a slash. "/\t/evil.example" is "//evil.example" to a browser, another site. So a
target is checked as the browser will read it, and in its percent-decoded form too.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from flask import url_for

_EDGES = "".join(chr(c) for c in range(0x21))  # C0 controls and space
_REMOVED = re.compile("[\t\n\r]")


def _as_browser_reads(target: str) -> str:
    return _REMOVED.sub("", target.strip(_EDGES)).replace("\\", "/")


def _stays_here(target: str) -> bool:
    read = _as_browser_reads(target)
    if not read.startswith("/") or read.startswith("//"):
        return False
    parts = urlsplit(read)
    return not parts.scheme and not parts.netloc


def local_target(raw) -> str | None:
    """`raw` as a path on this site, or None if a browser could read it as anywhere else."""
    if not isinstance(raw, str) or not raw:
        return None
    if any(ord(c) < 0x20 or c == "\\" or 0xD800 <= ord(c) <= 0xDFFF for c in raw):
        return None  # nothing we link to has these; refused rather than repaired
    if not (_stays_here(raw) and _stays_here(unquote(raw))):
        return None
    return raw


def safe_next(raw, fallback: str | None = None) -> str:
    """Where to send someone after signing in or choosing a language."""
    return local_target(raw) or fallback or url_for("main.cases")
