"""What of a plan each person may see: family members never get professional-only fields
(`x-audience: professional`) or another family member's own views, by any channel, nor
anything derived from them (translations)."""

from __future__ import annotations

import copy

from coregroup.plans import translations
from coregroup.schema import Schema


def _strip(schema: Schema, node_schema: dict, value):
    node_schema = schema.resolve(node_schema)
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            if key in node_schema.get("properties", {}):
                child = schema.resolve(node_schema["properties"][key])
            elif isinstance(node_schema.get("additionalProperties"), dict):
                child = schema.resolve(node_schema["additionalProperties"])
            else:
                continue  # not in the schema: never shown to a family (fail closed)
            if child.get("x-audience") == "professional":
                continue
            kept[key] = _strip(schema, child, item)
        return kept
    if isinstance(value, list) and isinstance(node_schema.get("items"), dict):
        return [_strip(schema, node_schema["items"], item) for item in value]
    return value


def concerns(item: dict, children: set[str]) -> bool:
    """Whether a need or action concerns any of these children: one that names none concerns
    every child."""
    named = item.get("children") or []
    return not named or bool(set(named) & children)


def _only_their_children(visible: dict, children: set[str]) -> None:
    """Keep the needs and actions that concern these children, each naming only them, and
    move the translations of the kept ones to their new places (translations are keyed by
    pointer, and a list's positions change when an item is left out)."""
    needs = visible.get("needs")
    if not needs:
        return
    moved: dict[str, str] = {}
    kept_needs = []
    for i, need in enumerate(needs):
        if not concerns(need, children):
            continue
        j = len(kept_needs)
        moved[f"/needs/{i}"] = f"/needs/{j}"
        kept_actions = []
        for k, action in enumerate(need.get("actions", [])):
            if concerns(action, children):
                moved[f"/needs/{i}/actions/{k}"] = f"/needs/{j}/actions/{len(kept_actions)}"
                kept_actions.append(_only(action, children))
        need = _only(need, children)
        if "actions" in need:
            need["actions"] = kept_actions
        kept_needs.append(need)
    visible["needs"] = kept_needs
    for language, table in list((visible.get("translations") or {}).items()):
        visible["translations"][language] = {
            _moved(where, moved): entry
            for where, entry in table.items()
            if _moved(where, moved) is not None
        }


def _only(item: dict, children: set[str]) -> dict:
    if item.get("children"):
        item = item | {"children": [c for c in item["children"] if c in children]}
    return item


def _moved(where: str, moved: dict[str, str]) -> str | None:
    """A pointer into the needs, at its new place (None: its item is not shown)."""
    parts = where.split("/")
    if len(parts) < 3 or parts[1] != "needs" or not parts[2].isdigit():
        return where
    if len(parts) >= 5 and parts[3] == "actions" and parts[4].isdigit():
        head = "/".join(parts[:5])
        return moved[head] + where[len(head) :] if head in moved else None
    head = "/".join(parts[:3])
    return moved[head] + where[len(head) :] if head in moved else None


def _only_their_categories(visible: dict, children) -> None:
    """The plan's categories of concern, as far as they are their own children's (each
    child's plan holds their own; a half-sibling's category is not theirs to see)."""
    categories = (visible.get("concerns") or {}).get("categories")
    if not categories:
        return
    theirs = {c for child in children for plan in child.plans[-1:] for c in plan.categories}
    kept = [c for c in categories if c in theirs]
    if kept:
        visible["concerns"]["categories"] = kept
    else:
        visible["concerns"].pop("categories")


def for_member(schema: Schema, document: dict, member) -> dict:
    """The plan as this member may see it: a family member sees only what concerns the
    children they are a parent or carer of (a child: themself)."""
    if not member.is_family:
        return document
    visible = _strip(schema, schema.raw, copy.deepcopy(document))
    _only_their_children(visible, {c.ref for c in member.children})
    _only_their_categories(visible, member.children)
    own = {ref: views for ref, views in visible.get("familyViews", {}).items() if ref == member.ref}
    if own:
        visible["familyViews"] = own
    else:
        visible.pop("familyViews", None)
    # Whatever is derived from a field goes only where the field goes: a translation keeps its
    # original (`source`), so one of a hidden field would show the field itself.
    return translations.for_audience(schema, visible)
