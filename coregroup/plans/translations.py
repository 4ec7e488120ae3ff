"""Translations of the plan's own words (its free-text answers) into a family's language.

Kept in the plan document itself (`translations`), so they are versioned and exported with it;
each keeps the original it was made from, and is out of date once the original changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from coregroup.plans.diff import flatten, to_pointer
from coregroup.schema import Schema


def _is_free_text(schema: Schema, key) -> bool:
    from coregroup.plans.diff import schema_path

    parts = schema_path(key)
    if parts[0] in ("translations", "familyViews", "schemaVersion") or parts[-1] == "id":
        return False
    try:
        node = schema.at(parts)
    except KeyError:
        return False
    return (
        node.get("type") == "string"
        and "enum" not in node
        and "format" not in node
        and "x-options" not in node
        and node.get("x-audience") != "professional"
    )


@dataclass
class Entry:
    pointer: str
    label: str
    original: str
    translation: str
    out_of_date: bool


def entries(schema: Schema, document: dict, language: str) -> list[Entry]:
    """Every free-text answer with its translation into `language`, if any."""
    from flask_babel import gettext as _

    from coregroup.plans.diff import schema_path

    done = document.get("translations", {}).get(language, {})
    found = []
    for key, value in flatten(document).items():
        if not isinstance(value, str) or not value or not _is_free_text(schema, key):
            continue
        where = to_pointer(document, key)
        existing = done.get(where)
        title = schema.at(schema_path(key)).get("title", where)
        found.append(
            Entry(
                where,
                _(title),
                value,
                existing["text"] if existing else "",
                bool(existing and existing["source"] != value),
            )
        )
    return found


def apply(document: dict, language: str, texts: dict[str, str]) -> dict:
    """The document with these translations (pointer -> text) recorded against their originals."""
    originals = {to_pointer(document, key): value for key, value in flatten(document).items()}
    table = document.setdefault("translations", {}).setdefault(language, {})
    for where, text in texts.items():
        text = (text or "").strip()
        if where not in originals:
            continue
        if text:
            table[where] = {"text": text, "source": originals[where]}
        else:
            table.pop(where, None)
    if not table:
        document["translations"].pop(language, None)
    if not document["translations"]:
        document.pop("translations")
    return document


def for_reader(document: dict, language: str) -> dict[str, dict]:
    """Pointer -> {"text", "out_of_date"} for showing beside the original."""
    originals = {to_pointer(document, key): value for key, value in flatten(document).items()}
    return {
        where: {"text": t["text"], "out_of_date": originals.get(where) != t["source"]}
        for where, t in document.get("translations", {}).get(language, {}).items()
    }
