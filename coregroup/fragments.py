"""Rendered fragments of pages, kept in memory per process.

A plan version never changes once written, so the HTML of its summary is a pure function of the
version, the reader's audience, the language, the member names and today's date. The key names
every one of those, so an entry can never be stale: a new version, a renamed member or a new day
simply asks for a new entry, and the least recently used ones fall out.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

from cachetools import LRUCache, TTLCache
from flask import current_app, g, session
from flask_wtf.csrf import generate_csrf

T = TypeVar("T")

_ENTRIES: LRUCache = LRUCache(maxsize=256)
# Whole pages apart: there is one per reader, address and minute, and their turnover must not
# push out the summaries, which are dear to build and shared by every reader of a version.
_PAGES: LRUCache = LRUCache(maxsize=256)
_LOCK = threading.Lock()
# Stand-ins for what differs between two requests for the same page: the CSP nonce and the
# CSRF token. Random per process, so no page's content can contain them by chance.
_NONCE = "cgnonce" + secrets.token_hex(12)
_CSRF = "cgcsrf" + secrets.token_hex(12)
_NONCE_BYTES, _CSRF_BYTES = _NONCE.encode(), _CSRF.encode()
_STAND_INS = re.compile(b"(" + _NONCE_BYTES + b"|" + _CSRF_BYTES + b")")
# Signed CSRF tokens, by the session's secret they sign: Flask-WTF builds a serializer and signs
# afresh on every call, about 5 % of serving a kept page. A token signed a minute ago for the
# same secret is as good as a new one (csrf_token).
_SIGNED: TTLCache = TTLCache(maxsize=4096, ttl=60)


def cached(key: Hashable, build: Callable[[], T], store: LRUCache = _ENTRIES) -> T:
    """The fragment for `key`, built (outside the lock) only when it is not already kept.

    Treat what comes back as read-only: every later request shares it."""
    with _LOCK:
        found = store.get(key)
    if found is not None:
        return found
    fragment = build()
    with _LOCK:
        store[key] = fragment
    return fragment


def clear() -> None:
    with _LOCK:
        _ENTRIES.clear()
        _PAGES.clear()
        _SIGNED.clear()


def csrf_token() -> str:
    """This session's CSRF token, as Flask-WTF's generate_csrf() gives it, signed at most a
    minute ago in this process.

    Only while tokens never expire (WTF_CSRF_TIME_LIMIT = None, config.py): then the signature's
    timestamp is never read, and a token is as good as the session's secret it signs. The key
    is that secret and the signing key, so a token is only ever given to the session it was
    made for."""
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field in g or config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return generate_csrf()  # already made for this request, or it would expire
    secret = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    if field not in session:
        generate_csrf()  # a new session gets its secret (and this request its token) first
    token = cached((secret, session[field]), generate_csrf, _SIGNED)
    setattr(g, field, token)  # what generate_csrf() would give for the rest of this request
    return token


def cached_page(key: Hashable, render: Callable[[], str]) -> bytes:
    """A whole page kept under `key`, with this request's CSP nonce and CSRF token put in.

    `key` must name everything the page shows (the person, the path, the language, the data).
    The page is rendered with stand-ins for the nonce and the token, so what is kept holds
    neither; each request gets its own. It is kept as UTF-8 bytes cut at the stand-ins, so a
    request only joins the pieces (encoding a large page and searching it for the stand-ins
    cost more than the rest of serving it from memory)."""

    def build() -> tuple[bytes, ...]:
        field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        nonce, had_token, token = g.csp_nonce, field in g, g.get(field)
        g.csp_nonce = _NONCE
        setattr(g, field, _CSRF)  # what generate_csrf() gives while the page renders
        try:
            page = render()
        finally:
            g.csp_nonce = nonce
            if had_token:
                setattr(g, field, token)
            else:
                delattr(g, field)
        return tuple(_STAND_INS.split(page.encode()))

    pieces = cached(key, build, _PAGES)
    fill = {_NONCE_BYTES: g.csp_nonce.encode(), _CSRF_BYTES: csrf_token().encode()}
    # split() with a group alternates text and stand-in: text, stand-in, text, ..., text.
    return b"".join(fill[piece] if n % 2 else piece for n, piece in enumerate(pieces))
