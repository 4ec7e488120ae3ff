"""Rendered fragments of pages, kept in memory per process: only what is immutable by its key.

A plan version never changes once written, so the HTML of its summary is a pure function of the
version, the reader's audience, the language, the member names and today's date. Each key names
every one of those, so an entry can never be stale: a new version, a renamed member or a new day
simply asks for a new entry, and the least recently used ones fall out. Nothing about a person's
session, cookie or token is ever kept here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

from cachetools import LRUCache

T = TypeVar("T")

_ENTRIES: LRUCache = LRUCache(maxsize=256)
_LOCK = threading.Lock()


def cached(key: Hashable, build: Callable[[], T]) -> T:
    """The fragment for `key`, built (outside the lock) only when it is not already kept.

    Treat what comes back as read-only: every later request shares it."""
    with _LOCK:
        found = _ENTRIES.get(key)
    if found is not None:
        return found
    fragment = build()
    with _LOCK:
        _ENTRIES[key] = fragment
    return fragment


def clear() -> None:
    with _LOCK:
        _ENTRIES.clear()
