"""Load and check the JSON Schemas in schemas/ once, and validate documents against them."""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import urlparse

import jsonschema_rs
from flask_babel import lazy_gettext as _l
from jsonschema import Draft202012Validator

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"

# Messages for schema errors that have no `x-errors` wording of their own.
GENERIC_MESSAGES = {
    "required": _l("Answer this question"),
    "maxLength": _l("Use %(limit)s characters or fewer"),
    "minLength": _l("Enter at least %(limit)s characters"),
    "minimum": _l("Enter a number that is %(limit)s or more"),
    "maximum": _l("Enter a number that is %(limit)s or less"),
    "enum": _l("Select one of the options"),
    "minItems": _l("Select at least %(limit)s"),
    "maxItems": _l("There can be no more than %(limit)s"),
    "format": _l("Enter a real date"),
    "pattern": _l("This answer is not in the right form"),
    "type": _l("This answer is not in the right form"),
}


def pointer(parts) -> str:
    """A JSON Pointer (RFC 6901) from path parts."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass(frozen=True)
class SchemaError:
    pointer: str
    code: str
    limit: object = None
    message: str | None = (
        None  # a rule's own words (coregroup.rules.procedure), when not the schema's
    )


class Schema:
    """One JSON Schema document: its identity, its validator and lookup of field schemas."""

    def __init__(self, name: str, raw: dict, registry: jsonschema_rs.Registry | None = None):
        Draft202012Validator.check_schema(raw)  # the schema itself, once, at start-up
        self.name = name
        self.raw = raw
        self.id = raw["$id"]
        self.version = raw["x-schema-version"]
        self.url_path = urlparse(self.id).path
        # Documents are checked by jsonschema-rs (Rust): a save validates the whole plan, and
        # this is several times faster than the pure-Python validator, with the same errors.
        # A `$ref` to another of these schemas (by its $id) is resolved from `registry`, never
        # fetched.
        self.validator = jsonschema_rs.Draft202012Validator(
            raw, validate_formats=True, registry=registry
        )

    def resolve(self, node: dict) -> dict:
        """A schema node with local `$ref`s followed; sibling keywords win over the target."""
        while "$ref" in node:
            target = self.raw
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            node = merged
        return node

    def at(self, path) -> dict:
        """The schema of the value at `path` (object keys; '*' for any array item or map key).

        Answers are cached (schemas never change while the app runs): treat them as read-only.
        """
        return self._at(tuple(path))

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one Schema per file, for the app's life
    def _at(self, path: tuple[str, ...]) -> dict:
        node = self.resolve(self.raw)
        for part in path:
            if node.get("type") == "array":
                node = self.resolve(node["items"])
                if part == "*":
                    continue
            if part in node.get("properties", {}):
                node = self.resolve(node["properties"][part])
            elif "additionalProperties" in node and isinstance(node["additionalProperties"], dict):
                node = self.resolve(node["additionalProperties"])
            else:
                raise KeyError("/".join(path))
        return node

    def parent_requires(self, path: list[str]) -> bool:
        """Whether the object holding the last part of `path` lists it as required."""
        parent = self.at(path[:-1]) if len(path) > 1 else self.resolve(self.raw)
        if parent.get("type") == "array":
            parent = self.resolve(parent["items"])
        return path[-1] in parent.get("required", [])

    def errors(self, document: dict) -> list[SchemaError]:
        """Every way `document` breaks the schema, one entry per field and problem."""
        found: list[SchemaError] = []
        for error in self.validator.iter_errors(document):
            found.extend(_flatten(error))
        unique: dict[tuple, SchemaError] = {}
        for e in found:
            unique.setdefault((e.pointer, e.code), e)
        return sorted(unique.values(), key=lambda e: e.pointer)

    def is_valid(self, document: dict) -> bool:
        return self.validator.is_valid(document)

    @cached_property
    def served(self) -> dict:
        return copy.deepcopy(self.raw)


def _flatten(error: jsonschema_rs.ValidationError) -> list[SchemaError]:
    """Turn a validation error (and the errors of each branch of an anyOf or oneOf) into
    field-level errors: the pointer of the answer, the keyword it breaks, and its limit."""
    kind = error.kind
    details = kind.as_dict()
    if kind.name in {"anyOf", "oneOf"} and details.get("context"):
        return [found for branch in details["context"] for e in branch for found in _flatten(e)]
    where = list(error.instance_path)
    if kind.name == "required":
        return [SchemaError(pointer(where + [details["property"]]), "required")]
    if kind.name == "additionalProperties":
        extra = sorted(details["unexpected"])
        return [SchemaError(pointer(where + [p]), "additionalProperties") for p in extra]
    limit = details.get("limit")
    for key in ("options", "pattern", "expected_value", "format"):  # what was expected
        if limit is None and key in details:
            limit = details[key]
    return [SchemaError(pointer(where), kind.name, limit)]


def message_for(field_schema: dict, error: SchemaError):
    """The words to show a person for one schema error, from the schema's own `x-errors` first."""
    from flask_babel import gettext

    if error.message:
        return error.message
    own = field_schema.get("x-errors", {}).get(error.code)
    if own:
        return gettext(own)
    generic = GENERIC_MESSAGES.get(error.code, _l("This answer is not valid"))
    limit = error.limit if isinstance(error.limit, int | float) else ""
    return str(generic) % {"limit": limit} if "%(limit)s" in str(generic) else str(generic)


def narrowed_options(item_schema: dict, field_name: str, sibling: str) -> dict[str, list[str]]:
    """Which enum values a field may take for each value of a sibling, read from if/then rules."""
    narrowed = {}
    for rule in item_schema.get("allOf", []):
        when = rule.get("if", {}).get("properties", {}).get(sibling, {})
        then = rule.get("then", {}).get("properties", {}).get(field_name, {})
        if "const" in when and "enum" in then:
            narrowed[when["const"]] = then["enum"]
    return narrowed


def professional_only_paths(schema: Schema, node: dict | None = None, path=()) -> set[str]:
    """Every schema path marked professional-only, for checking that no family flow asks one."""
    node = schema.resolve(node if node is not None else schema.raw)
    found = set()
    for name, child in node.get("properties", {}).items():
        child = schema.resolve(child)
        here = path + (name,)
        if child.get("x-audience") == "professional":
            found.add("/".join(here))
        found |= professional_only_paths(schema, child, here)
        if isinstance(child.get("items"), dict):
            found |= professional_only_paths(schema, child["items"], here + ("*",))
    return found


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


class SchemaRegistry:
    """All schemas in schemas/, loaded and checked against the 2020-12 meta-schema at start-up."""

    def __init__(self, directory: Path = SCHEMA_DIR):
        self.by_name: dict[str, Schema] = {}
        # Every released version, the current one included: {name: {version: Schema}}.
        self.versions: dict[str, dict[str, Schema]] = {}
        current = [
            (path.name.removesuffix(".schema.json"), _read(path))
            for path in sorted(directory.glob("*.schema.json"))
        ]
        # Earlier versions stay served at their $id and can still validate what was written
        # under them: schemas/archive/<name>-<version>.schema.json.
        archived = [
            (path.name.removesuffix(".schema.json").rpartition("-")[0], _read(path))
            for path in sorted((directory / "archive").glob("*.schema.json"))
        ]
        # Each schema may $ref any other by its $id (the case export names the plan's and the
        # meeting's): all of them, to resolve from.
        registry = jsonschema_rs.Registry([(raw["$id"], raw) for _n, raw in current + archived])
        for name, raw in current:
            self.by_name[name] = Schema(name, raw, registry)
            self.versions.setdefault(name, {})[self.by_name[name].version] = self.by_name[name]
        for name, raw in archived:
            old = Schema(name, raw, registry)
            self.versions.setdefault(name, {})[old.version] = old

    def __getitem__(self, name: str) -> Schema:
        return self.by_name[name]

    def version(self, name: str, version: str) -> Schema | None:
        return self.versions.get(name, {}).get(version)

    def by_url_path(self, path: str) -> Schema | None:
        every = (s for versions in self.versions.values() for s in versions.values())
        return next((s for s in every if s.url_path == path), None)
