"""Compare and merge plan documents field by field, keying list items by their stable ids."""

from __future__ import annotations

from dataclasses import dataclass

from coregroup.schema import pointer

MISSING = object()
Key = tuple[str, ...]


def _is_item_list(value) -> bool:
    return bool(value) and all(isinstance(i, dict) and "id" in i for i in value)


def item_marker(item_id: str) -> str:
    # Item ids are [a-z0-9-]; property names never start with "[", so the two cannot collide.
    return f"[{item_id}]"


# --- Translations are keyed by JSON Pointer (with list positions); compared by item id ---------


def _parts(where: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in where.split("/")[1:]]


def _stable(document: dict, where: str) -> str:
    """A translation's pointer with each list position named by its item's id instead, so a
    translation stays with its original when items are removed or reordered ("/needs/[id]/why").
    A pointer that names nothing in the document is kept as written."""
    node, out = document, []
    for part in _parts(where):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            item = node[int(part)]
            if not (isinstance(item, dict) and "id" in item):
                return where
            out.append(item_marker(item["id"]))
            node = item
        elif isinstance(node, dict) and part in node:
            out.append(part)
            node = node[part]
        else:
            return where
    return pointer(out)


def _positional(document: dict, where: str) -> str | None:
    """The pointer with item ids back as list positions; None if an item is no longer there."""
    node, out = document, []
    for part in _parts(where):
        if part.startswith("[") and part.endswith("]") and isinstance(node, list):
            found = next(
                (
                    n
                    for n, i in enumerate(node)
                    if isinstance(i, dict) and i.get("id") == part[1:-1]
                ),
                None,
            )
            if found is None:
                return None
            out.append(found)
            node = node[found]
        else:
            out.append(part)
            node = node.get(part) if isinstance(node, dict) else None
    return pointer(out)


def _translations(document, rekey) -> dict:
    tables = document.get("translations") if isinstance(document, dict) else None
    if not isinstance(tables, dict):
        return document
    rekeyed = {}
    for language, table in tables.items():
        if not isinstance(table, dict):
            rekeyed[language] = table
            continue
        entries = {}
        for where, entry in table.items():
            key = rekey(document, where)
            if key is not None:  # None: its original's item is gone, and the translation with it
                entries[key] = entry
        if entries:
            rekeyed[language] = entries
    if not rekeyed:
        return {k: v for k, v in document.items() if k != "translations"}
    return {**document, "translations": rekeyed}


def carry_translations(old: dict, new: dict) -> dict:
    """`new` (made from `old` by removing, adding or reordering list items) with the
    translations it inherited from `old` moved to where their words are now: a translation's
    pointer names list positions, which such a change shifts. One of words no longer there goes
    with them. Translations that `new` itself added or changed are taken as written."""
    old_tables = old.get("translations") if isinstance(old, dict) else None
    tables = new.get("translations") if isinstance(new, dict) else None
    if not isinstance(tables, dict) or not isinstance(old_tables, dict):
        return new
    carried = {}
    for language, table in tables.items():
        before = old_tables.get(language)
        if not isinstance(table, dict) or not isinstance(before, dict):
            carried[language] = table
            continue
        entries = {}
        for where, entry in table.items():
            if before.get(where) == entry:  # inherited: its pointer is one of `old`'s
                where = _positional(new, _stable(old, where))
            if where is not None:
                entries[where] = entry
        if entries:
            carried[language] = entries
    result = {k: v for k, v in new.items() if k != "translations"}
    if carried:
        result["translations"] = carried
    return result


def flatten(document: dict) -> dict[Key, object]:
    """Every leaf of a document by its key path, list items named by id rather than position
    (in translations' pointers too)."""
    document = _translations(document, _stable)
    leaves: dict[Key, object] = {}

    def walk(node, key: Key):
        if isinstance(node, dict) and node:
            for name, value in node.items():
                walk(value, key + (name,))
        elif isinstance(node, list) and _is_item_list(node):
            for item in node:
                walk(item, key + (item_marker(item["id"]),))
        elif key:
            leaves[key] = node

    walk(document, ())
    return leaves


def unflatten(leaves: dict[Key, object]) -> dict:
    """The document whose leaves these are; list items keep the order they first appear in."""
    root: dict = {}
    for key, value in leaves.items():
        node = root
        for part in key[:-1]:
            node = node.setdefault(part, {})
        node[key[-1]] = value

    def build(node):
        if not isinstance(node, dict):
            return node
        if node and all(k.startswith("[") for k in node):
            items = [build(item) for item in node.values()]
            if any("id" not in item for item in items):
                raise ValueError("a list item without its id: refusing to build a half-item")
            return items
        return {k: build(v) for k, v in node.items()}

    return _translations(build(root), _positional)


def to_pointer(document: dict, key: Key) -> str:
    """The JSON Pointer (list indexes, not ids) of a key path within a document."""
    if len(key) > 2 and key[0] == "translations" and "[" in key[2]:
        key = (*key[:2], _positional(document, key[2]) or key[2], *key[3:])
    parts: list = []
    node = document
    for part in key:
        if part.startswith("[") and isinstance(node, list):
            item_id = part[1:-1]
            index = next(i for i, item in enumerate(node) if item.get("id") == item_id)
            parts.append(index)
            node = node[index]
        else:
            parts.append(part)
            node = node.get(part) if isinstance(node, dict) else None
    return pointer(parts)


def schema_path(key: Key) -> list[str]:
    """The key path with item ids replaced by '*', for looking a field up in the schema."""
    return ["*" if part.startswith("[") else part for part in key]


@dataclass(frozen=True)
class Change:
    op: str  # "add", "remove" or "replace"
    key: Key
    path: str  # JSON Pointer: into the new document, or the old one for a removal
    before: object
    after: object

    def as_json(self) -> dict:
        return {"op": self.op, "path": self.path}


def changes(old: dict, new: dict) -> list[Change]:
    """What changed from one document to another, leaf by leaf."""
    before, after = flatten(old), flatten(new)
    found = []
    for key in list(before) + [k for k in after if k not in before]:
        b, a = before.get(key, MISSING), after.get(key, MISSING)
        if b == a:
            continue
        if b is MISSING:
            found.append(Change("add", key, to_pointer(new, key), None, a))
        elif a is MISSING:
            found.append(Change("remove", key, to_pointer(old, key), b, None))
        else:
            found.append(Change("replace", key, to_pointer(new, key), b, a))
    return found


@dataclass(frozen=True)
class Conflict:
    """A clash: a field (or a whole list item) that both sides changed differently."""

    key: Key
    theirs: object
    yours: object


def _items(leaves: dict[Key, object]) -> set[Key]:
    """Every list item's key path (ending in its [id] marker) among these leaves."""
    return {key[: n + 1] for key in leaves for n, part in enumerate(key) if part.startswith("[")}


def _by_item(leaves: dict[Key, object]) -> dict[Key, dict[Key, object]]:
    """Every list item's key path (ending in its [id] marker) with the leaves under it."""
    found: dict[Key, dict[Key, object]] = {}
    for key, value in leaves.items():
        for n, part in enumerate(key):
            if part.startswith("["):
                found.setdefault(key[: n + 1], {})[key] = value
    return found


def _under(leaves: dict[Key, object], prefix: Key) -> dict[Key, object]:
    return {k: v for k, v in leaves.items() if k[: len(prefix)] == prefix}


def merge(base: dict, theirs: dict, yours: dict) -> tuple[dict, list[Conflict]]:
    """Three-way merge: keep every change that does not clash; report each clash.

    List items are merged as wholes when one side removed an item: a removal against an edit of
    the same item is one clash about the item (theirs is kept), never a half-item.
    """
    b, t, y = flatten(base), flatten(theirs), flatten(yours)
    conflicts: list[Conflict] = []
    settled: dict[Key, dict[Key, object]] = {}  # item -> the leaves it ends up with
    # Each item's leaves on each side, gathered in one pass (not one pass per item).
    under_b, under_t, under_y = _by_item(b), _by_item(t), _by_item(y)
    for item in sorted(under_b, key=len):
        if any(item[: len(done)] == done for done in settled):
            continue
        bi, ti, yi = under_b[item], under_t.get(item, {}), under_y.get(item, {})
        if ti and yi:
            continue  # both kept it: merged field by field below
        if not ti and not yi:
            settled[item] = {}
        elif not ti:  # they removed it
            if yi != bi:
                conflicts.append(Conflict(item, None, unflatten_item(yi, item)))
            settled[item] = {}
        else:  # you removed it
            if ti != bi:
                conflicts.append(Conflict(item, unflatten_item(ti, item), None))
                settled[item] = ti
            else:
                settled[item] = {}

    def is_settled(key: Key) -> Key | None:
        return next((item for item in settled if key[: len(item)] == item), None)

    merged: dict[Key, object] = {}
    for key in list(t) + [k for k in y if k not in t] + [k for k in b if k not in t and k not in y]:
        item = is_settled(key)
        if item is not None:
            if key in settled[item]:
                merged[key] = settled[item][key]
            continue
        bv, tv, yv = b.get(key, MISSING), t.get(key, MISSING), y.get(key, MISSING)
        if tv == yv or yv == bv:
            value = tv
        elif tv == bv:
            value = yv
        else:
            conflicts.append(
                Conflict(key, None if tv is MISSING else tv, None if yv is MISSING else yv)
            )
            value = tv
        if value is not MISSING:
            merged[key] = value
    return unflatten(merged), conflicts


def unflatten_item(leaves: dict[Key, object], item: Key) -> dict:
    """One list item's leaves as the item itself."""
    return unflatten({key[len(item) :]: value for key, value in leaves.items()})


def apply_yours(merged: dict, yours: dict, conflicts: list[Conflict]) -> dict:
    """The merge with your side of every clash put back: whole items, or single fields."""
    leaves, mine = flatten(merged), flatten(yours)
    for conflict in conflicts:
        prefix = conflict.key
        leaves = {k: v for k, v in leaves.items() if k[: len(prefix)] != prefix}
        leaves.update(_under(mine, prefix))
    return unflatten(leaves)
