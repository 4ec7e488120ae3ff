"""How a plan document reads to a person: answers in words, section status, summaries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from coregroup.document import Scope, get_path
from coregroup.flows import MEMBER_PLACEHOLDER, Flow, ListSpec, Section
from coregroup.i18n import format_date, format_list, format_number, format_time
from coregroup.i18n import gettext as _
from coregroup.plans import navigation
from coregroup.plans.diff import Change, schema_path
from coregroup.schema import Schema, SchemaError

TIME_PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9]$"  # a time of day in the schemas ("14:30")

NOT_STARTED, IN_PROGRESS, COMPLETED = "not-started", "in-progress", "completed"


def display(field_schema: dict, value, members: dict[str, str]) -> str:
    """One answer in words: labels for codes, names for member ids, dates and numbers by Babel."""
    if value is None or value == [] or value == "":
        return ""
    if isinstance(value, list):
        item_schema = {**field_schema.get("items", {}), **_labels_only(field_schema)}
        return format_list([display(item_schema, v, members) for v in value])
    if field_schema.get("x-options") == "members" or (isinstance(value, str) and value in members):
        return members.get(value, _("Someone no longer in the core group"))
    labels = field_schema.get("x-enum-labels")
    if labels and value in labels:
        return _(labels[value])
    if field_schema.get("format") == "date":
        return format_date(dt.date.fromisoformat(value), "long")
    if field_schema.get("pattern") == TIME_PATTERN and isinstance(value, str):
        hours, minutes = (int(part) for part in value.split(":"))
        return format_time(dt.time(hours, minutes), "short")
    if isinstance(value, int | float) and not isinstance(value, bool):
        suffix = field_schema.get("x-suffix")
        return f"{format_number(value)} {_(suffix)}" if suffix else format_number(value)
    return str(value)


def _labels_only(field_schema: dict) -> dict:
    keys = ("x-enum-labels", "x-options")
    return {k: field_schema[k] for k in keys if k in field_schema}


@dataclass
class Row:
    label: str
    value: str
    change_url: str
    anchor: str
    pointer: str = ""


@dataclass
class ItemSummary:
    title: str
    rows: list[Row]
    change_url: str
    remove_url: str
    summary: str = ""
    lists: list[ListSummary] = field(default_factory=list)


@dataclass
class ListSummary:
    title: str
    items: list[ItemSummary]
    url: str


@dataclass
class SectionSummary:
    section: Section
    status: str
    rows: list[Row] = field(default_factory=list)
    list: ListSummary | None = None


def _pointer_or_empty(document: dict, scope, path: str) -> str:
    from coregroup.document import field_pointer

    try:
        return field_pointer(document, scope, path)
    except StopIteration:
        return ""


def item_title(spec_schema: dict, number: int) -> str:
    return _(spec_schema.get("x-item-label", "Item %(number)s"), number=number)


class PlanReader:
    """Reads one document through one flow for one person."""

    def __init__(
        self,
        schema: Schema,
        flow: Flow,
        document: dict,
        members,
        case_id,
        member_ref,
        links: bool = True,
    ):
        self.schema, self.flow, self.document = schema, flow, document
        self.members = members  # {member ref: display name}
        self.case_id, self.member_ref = case_id, member_ref
        self.links = links  # "Change" and "Remove" links; a read-only page needs none

    def _url(self, build, *args, **kwargs) -> str:
        return build(*args, **kwargs) if self.links else ""

    def _path(self, raw: str) -> str:
        return raw.replace(MEMBER_PLACEHOLDER, self.member_ref or "")

    def _rows(self, section, scope: Scope, chain, pages, node, schema_path, query) -> list[Row]:
        rows = []
        target = navigation.Target("page", section, scope, chain)
        for page in pages:
            for raw in page.fields:
                field_schema = self.schema.at(list(schema_path) + raw.split("/"))
                shown_if = field_schema.get("x-show-if")
                if shown_if and any(
                    get_path(node, other) != value for other, value in shown_if.items()
                ):
                    continue  # a question that does not apply (why an action cannot be done)
                title = page.title if page.title and len(page.fields) == 1 else None
                rows.append(
                    Row(
                        label=_(title or field_schema.get("title", raw)),
                        value=display(field_schema, get_path(node, self._path(raw)), self.members),
                        change_url=self._url(
                            navigation.page_url, self.case_id, target, page, **query
                        ),
                        anchor=self._path(raw).replace("/", "__"),
                        pointer=_pointer_or_empty(self.document, scope, self._path(raw)),
                    )
                )
        return rows

    def list_summary(
        self, section, scope: Scope, chain, spec: ListSpec, node, query
    ) -> ListSummary:
        list_schema = self.schema.at(list(spec.schema_path[:-1]))
        items = []
        for number, item in enumerate(node.get(spec.path, []), start=1):
            item_scope = scope + ((spec.path, item["id"]),)
            item_chain = chain + (spec,)
            target = navigation.Target("item", section, item_scope, item_chain)
            summary = ItemSummary(
                title=item_title(list_schema, number),
                rows=self._rows(
                    section, item_scope, item_chain, spec.pages, item, spec.schema_path, query
                ),
                change_url=self._url(
                    navigation.page_url, self.case_id, target, spec.pages[0], **query
                ),
                remove_url=self._url(navigation.url, self.case_id, section, item_scope, "remove"),
                summary=display(
                    self.schema.at(list(spec.schema_path) + [spec.summary]),
                    item.get(spec.summary),
                    self.members,
                ),
            )
            for sub in spec.lists:
                summary.lists.append(
                    self.list_summary(section, item_scope, item_chain, sub, item, query)
                )
            items.append(summary)
        target = navigation.Target("list", section, scope, chain)
        return ListSummary(
            title=_(list_schema.get("title", spec.path)),
            items=items,
            url=self._url(navigation.list_url, self.case_id, target, scope, spec),
        )

    def status(self, section: Section, errors: list[SchemaError]) -> str:
        prefixes = self.section_pointers(section)
        has_errors = any(e.pointer.startswith(prefixes) for e in errors)
        if section.list:
            if not self.document.get(section.list.path):
                return NOT_STARTED
            return IN_PROGRESS if has_errors else COMPLETED
        values = [
            get_path(self.document, self._path(raw)) for p in section.pages for raw in p.fields
        ]
        answered = [v for v in values if v not in (None, "", [])]
        if not answered:
            return NOT_STARTED
        return COMPLETED if len(answered) == len(values) and not has_errors else IN_PROGRESS

    def section_pointers(self, section: Section) -> tuple[str, ...]:
        if section.list:
            return ("/" + section.list.path,)
        return tuple("/" + self._path(raw) for p in section.pages for raw in p.fields)

    def sections(self, errors: list[SchemaError], query=None) -> list[SectionSummary]:
        query = query or {}
        out = []
        for section in self.flow.sections:
            summary = SectionSummary(section, self.status(section, errors))
            if section.list:
                summary.list = self.list_summary(
                    section, (), (), section.list, self.document, query
                )
            else:
                summary.rows = self._rows(section, (), (), section.pages, self.document, (), query)
            out.append(summary)
        return out


@dataclass
class ChangeRow:
    label: str
    where: str
    op: str
    before: str
    after: str


def _label_and_where(schema: Schema, key, document: dict) -> tuple[dict, str, str]:
    """The schema, question label and item (e.g. "Need 2 › Action 1") of a key path."""
    if len(key) > 2 and key[0] == "translations":
        return _translation_label(schema, key, document)
    parts = schema_path(key)
    try:
        field_schema = schema.at(parts)
    except KeyError:
        field_schema = {}
    where = []
    for n, part in enumerate(parts):
        if part == "*":
            list_schema = schema.at(parts[:n])
            where.append(item_title(list_schema, _items_at(document, key, key[n])))
    if parts[-1] == "*":  # a whole list item: it is its own label
        return field_schema, where.pop(), " › ".join(where)
    return field_schema, _(field_schema.get("title", "/".join(parts))), " › ".join(where)


def _translation_label(schema: Schema, key, document: dict) -> tuple[dict, str, str]:
    """A translation in words: "Translation into العربية of: <the question>", where it is."""
    from coregroup.i18n import own_name
    from coregroup.plans.translations import field_of, pointer_parts

    original = tuple(pointer_parts(key[2]))  # list items named "[id]" (diff.flatten)
    try:
        field_schema = schema.at(field_of(key[2]))
        _schema, question, where = _label_and_where(schema, original, document)
    except (KeyError, StopIteration, TypeError):
        field_schema, question, where = {}, key[2], ""
    label = _(
        "Translation into %(language)s of: %(question)s",
        language=own_name(key[1]),
        question=question,
    )
    if len(key) > 3 and key[3] != "text":
        # Who made it, when or how (plan 1.2.0): its own question and labels, the translation
        # it belongs to as where it is.
        field_schema = schema.at(["translations", "*", "*", key[3]])
        return (
            field_schema,
            _(field_schema.get("title", key[3])),
            " › ".join(part for part in (where, label) if part),
        )
    return field_schema, label, where


def describe_changes(schema: Schema, found: list[Change], old: dict, new: dict, members):
    """Changes between two versions in words: which question, in which item, before and after."""
    rows = []
    for change in found:
        if change.key[-1] == "id":
            continue
        document = new if change.op != "remove" else old
        field_schema, label, where = _label_and_where(schema, change.key, document)
        rows.append(
            ChangeRow(
                label=label,
                where=where,
                op=change.op,
                before=display(field_schema, change.before, members),
                after=display(field_schema, change.after, members),
            )
        )
    return rows


def set_aside_rows(schema: Schema, rows, members) -> list[dict]:
    """Answers kept after a clash or replaced by a later answer: the question and the words."""
    from coregroup.i18n import own_name
    from coregroup.plans.translations import field_of

    found = []
    for row in rows:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in row.pointer.split("/")[1:]]
        try:
            if len(parts) > 2 and parts[0] == "translations":
                original = schema.at(field_of(parts[2]))
                label = _(
                    "Translation into %(language)s of: %(question)s",
                    language=own_name(parts[1]),
                    question=_(original.get("title", parts[2])),
                )
                field_schema = {}
            else:
                field_schema = schema.at(field_of(row.pointer))
                label = _(field_schema["title"]) if "title" in field_schema else row.pointer
        except KeyError:
            field_schema, label = {}, row.pointer
        value = (row.value or {}).get("value")
        found.append(
            {
                "label": label,
                "value": _side(field_schema, value, members),
                "by": row.user.name if row.user else "",
                "at": row.at,
            }
        )
    return found


@dataclass
class ConflictRow:
    label: str
    where: str
    theirs: str
    yours: str
    saved_by: str = ""


def _side(field_schema: dict, value, members) -> str:
    if value is None:
        return _("(removed)")
    if isinstance(value, dict):
        return _("(kept, with changes)")
    return display(field_schema, value, members) or _("(removed)")


def describe_conflicts(schema: Schema, conflicts, theirs: dict, yours: dict, members):
    """Each clash in words: the question, and both answers."""
    rows = []
    for conflict in conflicts:
        document = theirs if conflict.theirs is not None else yours
        field_schema, label, where = _label_and_where(schema, conflict.key, document)
        rows.append(
            ConflictRow(
                label=label,
                where=where,
                theirs=_side(field_schema, conflict.theirs, members),
                yours=_side(field_schema, conflict.yours, members),
            )
        )
    return rows


def _items_at(document: dict, key, marker: str) -> int:
    """The 1-based position of the item `marker` along `key` in a document."""
    node = document
    for part in key:
        if part.startswith("[") and isinstance(node, list):
            for n, item in enumerate(node, start=1):
                if item.get("id") == part[1:-1]:
                    if part == marker:
                        return n
                    node = item
                    break
        elif isinstance(node, dict):
            node = node.get(part)
    return 0
