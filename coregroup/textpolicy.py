"""One policy for text at every boundary: forms, JSON bodies, imports and the command line.

Text is normalised to NFC (joiners such as ZWJ and ZWNJ, which Bengali, Urdu and Arabic need,
are kept: NFC never removes them). Characters that no one means to type and that a database or
another system cannot hold are refused, never silently dropped: lone surrogates, NUL and the
other C0 control characters except tab, line feed and carriage return, DEL and the C1
controls, and the noncharacters U+FFFE and U+FFFF.

Stored text is never rewritten. What was stored before this policy (or by a path that slipped
past it) is shown with U+FFFD in place of each bad character (`scrub`), so no stored content can
turn a read into an error; `flask check-text` lists where such text is stored.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata

from flask_babel import lazy_gettext as _l

log = logging.getLogger(__name__)

# JSON nested deeper than this is refused before anything walks it; well below Python's
# recursion limit, and far deeper than any document of ours (a plan is about eight levels).
MAX_DEPTH = 64

# C0 controls but tab, LF and CR; DEL and the C1 controls; lone surrogates; the two
# noncharacters U+FFFE and U+FFFF (a byte-order mark read backwards, and "not a character").
BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# The same characters as JSON escapes, as SQLite holds them in a stored JSON document.
_ESCAPED_BAD = re.compile(
    r"\\u(?:00[01][0-9a-fA-F]|007[fF]|00[89][0-9a-fA-F]|[dD][89a-fA-F][0-9a-fA-F]{2}|[fF]{3}[eEfF])"
)
REPLACEMENT = "\ufffd"

MESSAGES = {
    "surrogate": _l(
        "There is a broken character in this answer (half of an emoji or symbol). "
        "Type it again, or paste it as plain text."
    ),
    "control": _l(
        "There is a hidden character in this answer that cannot be kept. "
        "Type it again, or paste it as plain text."
    ),
}


def problem(text: str) -> str | None:
    """Why this text may not be kept ("surrogate" or "control"), or None."""
    found = BAD.search(text)
    if found is None:
        return None
    return "surrogate" if "\ud800" <= found.group() <= "\udfff" else "control"


def message(reason: str) -> str:
    return str(MESSAGES[reason])


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text) if not text.isascii() else text


class BadText(Exception):  # noqa: N818 - the name says what was sent
    """A JSON body holds text this policy refuses, at `pointer` (RFC 6901, into the body)."""

    def __init__(self, pointer: str, reason: str):
        super().__init__(reason)
        self.pointer, self.reason = pointer, reason


class TooDeep(Exception):  # noqa: N818
    """A JSON body nested deeper than MAX_DEPTH."""


class RepeatedKey(Exception):  # noqa: N818
    """A JSON object with the same key twice: one of the two would be silently dropped."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def no_repeated_keys(pairs: list[tuple[str, object]]) -> dict:
    """An `object_pairs_hook` for json.loads that refuses a key given twice."""
    found = {}
    for key, value in pairs:
        if key in found:
            raise RepeatedKey(key)
        found[key] = value
    return found


def _escape(part) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def clean(value, depth: int = 0, where: str = ""):
    """A parsed JSON value with every string (keys too) in NFC; raises BadText or TooDeep."""
    if isinstance(value, str):
        reason = problem(value)
        if reason:
            raise BadText(where, reason)
        return nfc(value)
    if depth >= MAX_DEPTH and isinstance(value, dict | list):
        raise TooDeep(where)
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            reason = problem(key)
            if reason:
                raise BadText(where + "/" + _escape(key), reason)
            kept[nfc(key)] = clean(item, depth + 1, where + "/" + _escape(key))
        return kept
    if isinstance(value, list):
        return [clean(item, depth + 1, f"{where}/{n}") for n, item in enumerate(value)]
    return value


def loads(text: str | bytes, **kwargs):
    """JSON text as Python values, held to the policy (for every body and file we are sent)."""
    kwargs.setdefault("object_pairs_hook", no_repeated_keys)
    try:
        value = json.loads(text, **kwargs)
    except RecursionError as deep:
        raise TooDeep("") from deep
    return clean(value)


# --- Stored text ------------------------------------------------------------------------------


def scrub(value):
    """Stored text as it may be shown: each bad character replaced by U+FFFD."""
    if isinstance(value, str):
        return BAD.sub(REPLACEMENT, value) if BAD.search(value) else value
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def load_stored(text: str | bytes):
    """A stored JSON document (SQLite keeps them as text; psycopg hands over bytes), scrubbed
    when it holds bad text."""
    if isinstance(text, bytes | bytearray | memoryview):
        text = bytes(text).decode("utf-8", "replace")
    value = json.loads(text)
    if _ESCAPED_BAD.search(text) or BAD.search(text):
        cleaned = scrub(value)
        if cleaned != value:
            log.warning("a stored document holds characters that are not text; run check-text")
        return cleaned
    return value


def stored_problem(value) -> str | None:
    """Why a stored value (a string, or a parsed JSON document) holds bad text, or None."""
    if isinstance(value, str):
        return problem(value)
    if isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, list):
        items = value
    else:
        return None
    return next((found for item in items if (found := stored_problem(item))), None)
