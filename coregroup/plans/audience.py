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


def for_member(schema: Schema, document: dict, member) -> dict:
    """The plan as this member may see it."""
    if not member.is_family:
        return document
    visible = _strip(schema, schema.raw, copy.deepcopy(document))
    own = {ref: views for ref, views in visible.get("familyViews", {}).items() if ref == member.ref}
    if own:
        visible["familyViews"] = own
    else:
        visible.pop("familyViews", None)
    # Whatever is derived from a field goes only where the field goes: a translation keeps its
    # original (`source`), so one of a hidden field would show the field itself.
    return translations.for_audience(schema, visible)
