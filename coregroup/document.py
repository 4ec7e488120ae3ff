"""Reading and writing parts of a plan document by path, and items of its lists by stable id."""

from __future__ import annotations

import secrets

from coregroup.schema import pointer

# A scope names one item of a (possibly nested) list: (("needs", "3f2a"), ("actions", "9c1d")).
Scope = tuple[tuple[str, str], ...]


def new_item_id() -> str:
    """A short random id for a new list item, stable for the life of the item."""
    return secrets.token_hex(5)


def find_item(document: dict, scope: Scope) -> dict | None:
    """The item a scope names, or None if any step of it is missing."""
    node = document
    for list_path, item_id in scope:
        node = next((i for i in node.get(list_path, []) if i.get("id") == item_id), None)
        if node is None:
            return None
    return node


def scope_pointer(document: dict, scope: Scope) -> list:
    """The JSON Pointer parts, with list indexes, of the item a scope names."""
    parts: list = []
    node = document
    for list_path, item_id in scope:
        items = node.get(list_path, [])
        index = next(i for i, item in enumerate(items) if item.get("id") == item_id)
        parts += [list_path, index]
        node = items[index]
    return parts


def field_pointer(document: dict, scope: Scope, path: str) -> str:
    return pointer(scope_pointer(document, scope) + path.split("/"))


def get_path(node: dict, path: str):
    for part in path.split("/"):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def set_path(node: dict, path: str, value) -> None:
    """Set a value by slash path; None removes it, and objects left empty are removed too."""
    parts = path.split("/")
    trail = []
    for part in parts[:-1]:
        trail.append((node, part))
        node = node.setdefault(part, {})
    if value is None:
        node.pop(parts[-1], None)
        for parent, key in reversed(trail):
            if parent[key] == {}:
                del parent[key]
    else:
        node[parts[-1]] = value


def add_item(document: dict, scope: Scope, list_path: str) -> str:
    """Append an empty item to a list within the scope's item and return its new id."""
    owner = find_item(document, scope)
    item_id = new_item_id()
    owner.setdefault(list_path, []).append({"id": item_id})
    return item_id


def remove_item(document: dict, scope: Scope) -> None:
    """Remove the item a scope names from its list."""
    owner = find_item(document, scope[:-1])
    list_path, item_id = scope[-1]
    owner[list_path] = [i for i in owner.get(list_path, []) if i.get("id") != item_id]
    if not owner[list_path]:
        del owner[list_path]
