"""A Babel extractor for the words in schemas/ (JSON Schema) and forms/ (YAML flows).

Registered as the entry point `coregroup_data` in pyproject.toml, so `pybabel extract` picks up
every label, hint, choice, error message and page title with the templates and Python.
"""

from __future__ import annotations

import json

import yaml

SCHEMA_KEYS = ("title", "description", "x-item-label", "x-suffix")
MAPS = ("x-enum-labels", "x-errors")
FLOW_KEYS = ("title", "hint", "add_label", "name")


def _walk_schema(node, found):
    if isinstance(node, dict):
        for key in SCHEMA_KEYS:
            if isinstance(node.get(key), str):
                found.append(node[key])
        for key in MAPS:
            if isinstance(node.get(key), dict):
                found.extend(v for v in node[key].values() if isinstance(v, str))
        for key, value in node.items():
            if key not in MAPS:
                _walk_schema(value, found)
    elif isinstance(node, list):
        for item in node:
            _walk_schema(item, found)


def _walk_flow(node, found):
    if isinstance(node, dict):
        for key in FLOW_KEYS:
            if isinstance(node.get(key), str):
                found.append(node[key])
        for value in node.values():
            _walk_flow(value, found)
    elif isinstance(node, list):
        for item in node:
            _walk_flow(item, found)


def extract(fileobj, keywords, comment_tags, options):
    """Yield (lineno, funcname, message, comments) for Babel, as its extractors do."""
    text = fileobj.read().decode("utf-8")
    found: list[str] = []
    name = getattr(fileobj, "name", "")
    if name.endswith(".json"):
        schema = json.loads(text)
        # A schema only other systems read (e.g. the case export) has no words for people.
        if schema.get("x-audience") != "systems":
            _walk_schema(schema, found)
    else:
        _walk_flow(yaml.safe_load(text), found)
    for message in dict.fromkeys(found):  # each once, in order
        line = next(
            (
                n
                for n, row in enumerate(text.splitlines(), start=1)
                if message.split("\n")[0][:40] in row
            ),
            0,
        )
        yield line, "gettext", message, [f"from {name.rsplit('/', 1)[-1]}"]
