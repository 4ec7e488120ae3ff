"""The languages Core Group ships, how complete each is, and whether a translator checked it."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
# English (the source), Welsh (the Welsh Language Standards), then the most spoken main
# languages after English in the 2021 census of England and Wales.
WANTED = ("en_GB", "cy", "pl", "ro", "pa", "ur", "ar", "bn")


@cache  # safe: a shipped catalog does not change while the process runs
def catalog_status(code: str) -> dict:
    """Percentage translated and the reviewed flag from a catalog's header."""
    if code == "en_GB":
        return {"percent": 100, "reviewed": True}
    path = TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {"percent": 0, "reviewed": False}
    with path.open("rb") as handle:
        catalog = read_po(handle)
    messages = [m for m in catalog if m.id]
    done = [
        m
        for m in messages
        if not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    reviewed = reviewed_flag(path) == "yes"
    return {"percent": round(100 * len(done) / max(len(messages), 1)), "reviewed": reviewed}


def reviewed_flag(path: Path) -> str | None:
    """The catalog header's "# Reviewed by a qualified translator: yes|no" line, or None.

    A header comment, because pybabel update keeps those (it drops unknown header fields)."""
    head = path.read_text("utf-8").split("msgid", 1)[0]
    found = re.search(r"^# Reviewed by a qualified translator:\s*(\w+)", head, re.MULTILINE)
    return found[1].lower() if found else None


def shipped() -> list[str]:
    """The wanted languages whose catalog is complete and compiled: only these are offered."""
    return [
        code
        for code in WANTED
        if code == "en_GB"
        or (
            catalog_status(code)["percent"] == 100
            and (TRANSLATIONS / code / "LC_MESSAGES" / "messages.mo").exists()
        )
    ]


def own_name(code: str) -> str:
    """A language's name in itself: "Cymraeg", "Polski", "العربية"."""
    name = Locale.parse(code).get_display_name(code)
    return name[:1].upper() + name[1:]
