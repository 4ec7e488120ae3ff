"""Where each plan page lives: parsing a location in a section, and the page before and after."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from coregroup.document import Scope
from coregroup.flows import ListSpec, Page, Section


@dataclass(frozen=True)
class Target:
    """What a URL within a section asks for."""

    kind: str  # "page", "list", "add", "remove", "item"
    section: Section
    scope: Scope = ()
    chain: tuple[ListSpec, ...] = ()  # the list specs along the scope, outermost first
    list_spec: ListSpec | None = None  # for "list" and "add": the list shown or added to
    page: Page | None = None

    @property
    def pages(self) -> tuple[Page, ...]:
        return self.chain[-1].pages if self.chain else self.section.pages

    @property
    def schema_path(self) -> tuple[str, ...]:
        return self.chain[-1].schema_path if self.chain else ()


def parse(section: Section, location: str) -> Target | None:
    """Read a location like 'ab12/actions/cd34/when' within a section; None if it is not one."""
    segments = [s for s in location.split("/") if s]
    if section.list is None:
        if len(segments) == 1:
            page = next((p for p in section.pages if p.id == segments[0]), None)
            return Target("page", section, page=page) if page else None
        return None
    spec, scope, chain, i = section.list, [], [], 0
    while True:
        if i == len(segments):
            return Target("list", section, tuple(scope), tuple(chain), list_spec=spec)
        if segments[i] == "add":
            return (
                Target("add", section, tuple(scope), tuple(chain), list_spec=spec)
                if i == len(segments) - 1
                else None
            )
        scope.append((spec.path, segments[i]))
        chain.append(spec)
        i += 1
        if i == len(segments):
            return Target("item", section, tuple(scope), tuple(chain))
        segment = segments[i]
        if segment == "remove" and i == len(segments) - 1:
            return Target("remove", section, tuple(scope), tuple(chain))
        child = next((s for s in spec.lists if s.path == segment), None)
        if child is not None:
            spec, i = child, i + 1
            continue
        page = next((p for p in spec.pages if p.id == segment), None)
        if page is None or i != len(segments) - 1:
            return None
        return Target("page", section, tuple(scope), tuple(chain), page=page)


def scope_location(scope: Scope) -> str:
    """The URL segments of an item scope within its section: 'ab12/actions/cd34'."""
    segments = []
    for n, (list_path, item_id) in enumerate(scope):
        if n:
            segments.append(list_path)
        segments.append(item_id)
    return "/".join(segments)


def url(case_id: int, section: Section, scope: Scope = (), tail: str = "", **query) -> str:
    location = "/".join(s for s in (scope_location(scope), tail) if s)
    if not location:
        return url_for("plans.section", case_id=case_id, section_id=section.id, **query)
    return url_for(
        "plans.location", case_id=case_id, section_id=section.id, location=location, **query
    )


def list_url(case_id: int, target: Target, scope: Scope, spec: ListSpec) -> str:
    """The summary of one list: the section's own list, or a list within an item."""
    tail = spec.path if scope else ""
    return url(case_id, target.section, scope, tail)


def page_url(case_id: int, target: Target, page: Page, **query) -> str:
    return url(case_id, target.section, target.scope, page.id, **query)


def after_page(case_id: int, target: Target) -> str:
    """Where to go when a page is answered: the next page, a list of sub-items, or back up."""
    pages = target.pages
    index = pages.index(target.page)
    if index + 1 < len(pages):
        return page_url(case_id, target, pages[index + 1])
    if not target.chain:
        return url_for("plans.task_list", case_id=case_id)
    spec = target.chain[-1]
    if spec.lists:
        return list_url(case_id, target, target.scope, spec.lists[0])
    return list_url(case_id, target, target.scope[:-1], spec)


def before_page(case_id: int, target: Target) -> str:
    """The back link of a page."""
    pages = target.pages
    index = pages.index(target.page)
    if index > 0:
        return page_url(case_id, target, pages[index - 1])
    if not target.chain:
        return url_for("plans.task_list", case_id=case_id)
    return list_url(case_id, target, target.scope[:-1], target.chain[-1])


def after_list(case_id: int, target: Target) -> str:
    """Where 'Continue' on a list summary goes: up to the enclosing list, or the task list."""
    if not target.scope:
        return url_for("plans.task_list", case_id=case_id)
    parent_spec = target.chain[-1]
    return list_url(case_id, target, target.scope[:-1], parent_spec)


def edit_url(case_id: int, document: dict, pointer: str, member_ref: str | None = None) -> str:
    """Where a professional puts right the plan's content at `pointer`: the page asking the
    field, else the list (or the item) it is in, else the plan's task list."""
    from coregroup.plans import services

    flow = services.flow_for("professional")
    where = services.locate(flow, document, pointer, member_ref)
    if where is not None:
        target = Target("page", where.section, where.scope, where.list_chain, page=where.page)
        return page_url(case_id, target, where.page)
    parts = [p for p in pointer.split("/") if p]
    for section in flow.sections:
        spec = section.list
        if spec is None or not parts or parts[0] != spec.path:
            continue
        if len(parts) == 1:
            return url(case_id, section)
        try:
            item = document[spec.path][int(parts[1])]
        except (KeyError, IndexError, ValueError, TypeError):
            return url(case_id, section)
        scope = ((spec.path, item["id"]),)
        child = next((s for s in spec.lists if len(parts) > 2 and s.path == parts[2]), None)
        if child is not None and len(parts) > 3:
            try:
                inner = item[child.path][int(parts[3])]
                return url(case_id, section, scope + ((child.path, inner["id"]),))
            except (KeyError, IndexError, ValueError, TypeError):
                pass
        return url(case_id, section, scope, child.path if child is not None else "")
    return url_for("plans.task_list", case_id=case_id)
