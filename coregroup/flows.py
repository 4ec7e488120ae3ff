"""The guided flows in forms/: sections, pages and lists, checked against the schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from coregroup.schema import SchemaRegistry, professional_only_paths

FLOW_DIR = Path(__file__).resolve().parent.parent / "forms"
MEMBER_PLACEHOLDER = "{member}"
KEY_PLACEHOLDER = "{key}"


class FlowError(ValueError):
    """A flow in forms/ refers to something the schema does not have."""


@dataclass(frozen=True)
class Page:
    id: str
    fields: tuple[str, ...]
    title: str | None = None
    hint: str | None = None


@dataclass(frozen=True)
class ListSpec:
    """A repeating list of items ("add another"), each item worked through page by page."""

    path: str
    schema_path: tuple[str, ...]
    pages: tuple[Page, ...]
    summary: str
    add_label: str
    lists: tuple[ListSpec, ...] = ()

    def child(self, path: str) -> ListSpec:
        for sub in self.lists:
            if sub.path == path:
                return sub
        raise KeyError(path)

    def page(self, page_id: str) -> Page:
        for page in self.pages:
            if page.id == page_id:
                return page
        raise KeyError(page_id)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    pages: tuple[Page, ...] = ()
    list: ListSpec | None = None
    each: str | None = None  # named source of keys: the pages are asked once per key
    when: str | None = None  # named condition: the section is asked only when it holds

    def page(self, page_id: str) -> Page:
        for page in self.pages:
            if page.id == page_id:
                return page
        raise KeyError(page_id)


@dataclass(frozen=True)
class Flow:
    id: str
    schema: str
    audience: str
    title: str
    sections: tuple[Section, ...] = field(default_factory=tuple)

    def section(self, section_id: str) -> Section:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    def top_level_paths(self) -> set[str]:
        """The first part of every path this flow writes: the parts of the plan it may change."""
        paths = set()
        for section in self.sections:
            if section.list:
                paths.add(section.list.path)
            for page in section.pages:
                paths.update(f.split("/")[0] for f in page.fields)
        return paths


def _pages(raw: list[dict]) -> tuple[Page, ...]:
    return tuple(
        Page(id=p["id"], fields=tuple(p["fields"]), title=p.get("title"), hint=p.get("hint"))
        for p in raw
    )


def _list(raw: dict, parent_path: tuple[str, ...]) -> ListSpec:
    schema_path = parent_path + (raw["path"], "*")
    return ListSpec(
        path=raw["path"],
        schema_path=schema_path,
        pages=_pages(raw["pages"]),
        summary=raw["summary"],
        add_label=raw["add_label"],
        lists=tuple(_list(sub, schema_path) for sub in raw.get("lists", [])),
    )


def _check_pages(pages, scope: tuple[str, ...], schema, where: str) -> None:
    seen = set()
    for page in pages:
        if page.id in seen:
            raise FlowError(f"{where}: page id {page.id!r} is used twice")
        seen.add(page.id)
        for path in page.fields:
            try:
                field_schema = schema.at(list(scope) + path.split("/"))
            except KeyError as missing:
                raise FlowError(f"{where}/{page.id}: no field {path!r} in the schema") from missing
            for controller in field_schema.get("x-show-if", {}):
                if controller not in page.fields:
                    raise FlowError(
                        f"{where}/{page.id}: {path!r} depends on {controller!r}, "
                        "which must be asked on the same page"
                    )


def _check_list(spec: ListSpec, schema, where: str) -> None:
    _check_pages(spec.pages, spec.schema_path, schema, f"{where}/{spec.path}")
    try:
        schema.at(list(spec.schema_path) + [spec.summary])
    except KeyError as missing:
        raise FlowError(f"{where}: no summary field {spec.summary!r}") from missing
    for sub in spec.lists:
        _check_list(sub, schema, f"{where}/{spec.path}")


def _check_family_flow(flow: Flow, schema) -> None:
    """A family flow may never ask (and so show) a professional-only field."""
    hidden = professional_only_paths(schema)
    for section in flow.sections:
        for page in section.pages:
            for path in page.fields:
                if path in hidden:
                    raise FlowError(f"{flow.id}/{section.id}: {path} is for professionals only")


def load_flow(path: Path, schemas: SchemaRegistry) -> Flow:
    """Read one flow file and check every path in it against its schema."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    sections = []
    for s in raw["sections"]:
        list_spec = _list(s["list"], ()) if "list" in s else None
        sections.append(
            Section(
                id=s["id"],
                title=s["title"],
                pages=_pages(s.get("pages", [])),
                list=list_spec,
                each=s.get("each"),
                when=s.get("when"),
            )
        )
    flow = Flow(
        id=raw["id"],
        schema=raw["schema"],
        audience=raw["audience"],
        title=raw["title"],
        sections=tuple(sections),
    )
    schema = schemas[flow.schema]
    if flow.audience == "family":
        _check_family_flow(flow, schema)
    for section in flow.sections:
        _check_pages(section.pages, (), schema, f"{flow.id}/{section.id}")
        if section.list:
            _check_list(section.list, schema, f"{flow.id}/{section.id}")
    return flow


def load_flows(schemas: SchemaRegistry, directory: Path = FLOW_DIR) -> dict[str, Flow]:
    """Every flow in forms/, keyed by its id."""
    flows = {}
    for path in sorted(directory.glob("*.yaml")):
        flow = load_flow(path, schemas)
        flows[flow.id] = flow
    return flows
