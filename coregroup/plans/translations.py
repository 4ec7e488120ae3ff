"""Translations of the plan's own words (its free-text answers) into a family's language.

Kept in the plan document itself (`translations`), so they are versioned and exported with it;
each keeps the original it was made from, and is out of date once the original changes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from coregroup.plans.diff import flatten, to_pointer
from coregroup.schema import Schema, SchemaError, pointer


def translatable(schema: Schema, parts: list[str]) -> bool:
    """Whether the schema marks the field at this schema path (`*` for any item) translatable:
    a plan's own words, shown to the family, never a professional-only field."""
    if not parts or parts[-1] == "id":
        return False
    try:
        node = schema.at(parts)
    except KeyError:
        return False
    return node.get("x-translatable") is True and node.get("x-audience") != "professional"


def _is_free_text(schema: Schema, key) -> bool:
    from coregroup.plans.diff import schema_path

    return translatable(schema, schema_path(key))


def pointer_parts(where: str) -> list[str]:
    """A JSON Pointer's parts, unescaped (RFC 6901)."""
    return [p.replace("~1", "/").replace("~0", "~") for p in where.split("/")[1:]]


def field_of(where: str) -> list[str]:
    """The schema path of the field a pointer names: list positions (or item ids, "[id]")
    become `*`."""
    return [
        "*" if part.isdigit() or (part.startswith("[") and part.endswith("]")) else part
        for part in pointer_parts(where)
    ]


def errors(schema: Schema, document: dict) -> list[SchemaError]:
    """A translation of anything but a translatable field is refused, wherever it comes from
    (a page, the API, an import): the schema alone cannot say which pointers name such fields."""
    found = []
    for language, table in (document.get("translations") or {}).items():
        for where in table:
            if not translatable(schema, field_of(where)):
                found.append(
                    SchemaError(pointer(["translations", language, where]), "translatable")
                )
    return found


def visible(document: dict, where: str) -> bool:
    """Whether a pointer names a text present in `document` (as a reader may see it)."""
    node = document
    for part in pointer_parts(where):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return isinstance(node, str)


def for_audience(schema: Schema, visible_document: dict) -> dict:
    """The document's translations kept only where their original is visible to this reader
    (`visible_document` is the plan as they may see it) and translatable."""
    tables = visible_document.get("translations")
    if not tables:
        return visible_document
    kept = {}
    for language, table in tables.items():
        entries = {
            where: entry
            for where, entry in table.items()
            if translatable(schema, field_of(where)) and visible(visible_document, where)
        }
        if entries:
            kept[language] = entries
    if kept:
        visible_document["translations"] = kept
    else:
        visible_document.pop("translations")
    return visible_document


@dataclass
class Entry:
    pointer: str
    label: str
    original: str
    translation: str
    out_of_date: bool


def entries(schema: Schema, document: dict, language: str) -> list[Entry]:
    """Every free-text answer with its translation into `language`, if any."""
    from coregroup.i18n import gettext as _
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


# How a translation was made (plan schema 1.2.0), as the translate page asks.
METHODS = ("person", "machine-checked", "machine")


def apply(document: dict, language: str, texts: dict[str, str], made: dict | None = None) -> dict:
    """The document with these translations (pointer -> text) recorded against their originals.

    `made` says who made them, on which day and how ({"by", "on", "method"}): recorded on each
    translation that is new or changed; one left as it was keeps its own."""
    originals = {to_pointer(document, key): value for key, value in flatten(document).items()}
    table = document.setdefault("translations", {}).setdefault(language, {})
    for where, text in texts.items():
        text = (text or "").strip()
        if where not in originals:
            continue
        existing = table.get(where)
        if existing and existing["text"] == text and existing["source"] == originals[where]:
            continue
        if text:
            table[where] = {"text": text, "source": originals[where], **(made or {})}
        else:
            table.pop(where, None)
    if not table:
        document["translations"].pop(language, None)
    if not document["translations"]:
        document.pop("translations")
    return document


def for_reader(document: dict, language: str) -> dict[str, dict]:
    """Pointer -> {"text", "out_of_date", "by", "on", "method"} for showing beside the
    original (who made it and how are None for a translation saved before plan 1.2.0)."""
    originals = {to_pointer(document, key): value for key, value in flatten(document).items()}
    return {
        where: {
            "text": t["text"],
            "out_of_date": originals.get(where) != t["source"],
            "by": t.get("by"),
            "on": dt.date.fromisoformat(t["on"]) if t.get("on") else None,
            "method": t.get("method"),
        }
        for where, t in document.get("translations", {}).get(language, {}).items()
    }


def set_aside_gone(case, user, shown: dict, yours: dict, saved: dict) -> int:
    """Translations written on the page whose originals were removed from the plan before
    they were saved: kept as the translator's set-aside answers. How many."""
    from coregroup.extensions import db
    from coregroup.models import SetAside

    before, written, kept = flatten(shown), flatten(yours), flatten(saved)
    gone = [
        key
        for key, value in written.items()
        if key[0] == "translations"
        and key[-1] == "text"
        and before.get(key) != value
        and key not in kept
    ]
    for key in gone:
        db.session.add(
            SetAside(
                case_id=case.id,
                user_id=user.id,
                pointer=to_pointer(yours, key),
                value={"value": written[key]},
            )
        )
    return len(gone)
