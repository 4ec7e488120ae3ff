"""The work behind the plan pages: drafts, answers, lists, validation and new versions."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import defer

from coregroup import document as docs
from coregroup.extensions import db
from coregroup.flows import MEMBER_PLACEHOLDER, Flow, ListSpec, Page, Section
from coregroup.i18n import gettext as _
from coregroup.models import Case, PlanDraft, PlanVersion, SetAside, User
from coregroup.plans.diff import (
    Conflict,
    apply_yours,
    carry_translations,
    changes,
    merge,
    to_pointer,
)
from coregroup.schema import Schema, SchemaError, narrowed_options


def plan_schema() -> Schema:
    return current_app.extensions["coregroup.schemas"]["child-protection-plan"]


def plan_errors(document: dict) -> list[SchemaError]:
    """Every way a plan document is not valid: its JSON Schema, then what a schema cannot say
    (a translation only of a translatable field)."""
    from coregroup.plans import translations

    schema = plan_schema()
    return schema.errors(document) + translations.errors(schema, document) + duplicate_ids(document)


def duplicate_ids(node, where: str = "") -> list[SchemaError]:
    """A need, action, role or contact whose id another in the same list has: the plan's items
    are merged by id, so a second would be lost. (A schema cannot say ids are unique.)"""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            found += duplicate_ids(value, f"{where}/{key}")
    elif isinstance(node, list):
        seen = set()
        for n, item in enumerate(node):
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                if item["id"] in seen:
                    found.append(
                        SchemaError(
                            f"{where}/{n}/id",
                            "unique",
                            message=_("Another item in this list has the same id"),
                        )
                    )
                seen.add(item["id"])
            found += duplicate_ids(item, f"{where}/{n}")
    return found


def entry_problems(case: Case, before: dict, after: dict) -> list[tuple[str, str]]:
    """Dates changed from `before` to `after` that cannot be meant (the schema's
    `x-date-range`, as the pages check them), as (JSON Pointer, message): checked where a date
    is entered, the API included; never on what was stored or exported before."""
    import datetime as dt

    from coregroup.daterange import date_range
    from coregroup.plans.diff import schema_path

    schema = plan_schema()
    anchors = {"today": dt.date.today(), "conference": case.first_conference}
    found = []
    for change in changes(before, after):
        if change.op == "remove" or not isinstance(change.after, str):
            continue
        try:
            rule = schema.at(schema_path(change.key)).get("x-date-range")
            day = dt.date.fromisoformat(change.after)
        except (KeyError, ValueError):
            continue
        checked = date_range(rule, anchors)
        if checked and not checked.allows(day):
            found.append((change.path, checked.describe()))
    return found


def roles_needed(case: Case) -> dict[str, str]:
    """The members who must have a role in the plan: every current member but the child."""
    return {
        m.ref: f"{m.name} ({m.role_label})"
        for m in case.members
        if m.is_current and m.role != "child"
    }


def is_agreed(case: Case) -> bool:
    """The first core group of the plans now running has been held and completed: from then
    on the plan must keep what the procedures require of it."""
    from coregroup.models import Meeting

    completed = db.session.scalars(
        select(Meeting).where(Meeting.case_id == case.id, Meeting.status == "completed")
    )
    since = case.initial_conference
    return any(m.date and (since is None or m.date >= since) for m in completed)


def member_errors(case: Case, document: dict) -> list[SchemaError]:
    """Every member id the plan names (who does an action, whose role, who visits, whose
    views) is a member of this core group, now or before: never someone it never had."""
    known = {m.ref for m in case.members}
    found = []

    def check(ref, pointer):
        if isinstance(ref, str) and ref not in known:
            found.append(
                SchemaError(
                    pointer,
                    "member",
                    message=_("%(ref)s is not a member of this core group", ref=ref),
                )
            )

    for n, need in enumerate(document.get("needs") or []):
        for a, action in enumerate(need.get("actions") or []):
            for w, ref in enumerate(action.get("who") or []):
                check(ref, f"/needs/{n}/actions/{a}/who/{w}")
    for key in ("roles", "contacts"):
        for n, item in enumerate(document.get(key) or []):
            check(item.get("member"), f"/{key}/{n}/member")
    for ref in document.get("familyViews") or {}:
        check(ref, f"/familyViews/{ref}")
    return found


def content_errors(case: Case, before: dict | None, after: dict) -> list[SchemaError]:
    """What a new version may not do beyond its schema: name someone who is no member, or
    take out required content of the agreed plan."""
    return member_errors(case, after) or removal_errors(case, before, after)


def removal_errors(case: Case, before: dict | None, after: dict) -> list[SchemaError]:
    """Required content (coregroup.rules.procedure.plan_gaps) that `after` takes out of the
    agreed plan `before`, each as an error at its field. A gap `before` already had, such as a
    member co-opted since who has no role yet, never blocks the change."""
    from coregroup.rules import procedure

    if before is None or not is_agreed(case):
        return []
    members = roles_needed(case)
    removed = procedure.removed_content(
        procedure.plan_gaps(before, members),
        procedure.plan_gaps(after, members),
        procedure.item_ids(before),
    )
    return [
        SchemaError(
            gap.pointer,
            "required-content",
            message=_("The core group's plan must keep this: %(what)s", what=gap.message),
        )
        for gap in removed
    ]


def flow_for(audience: str) -> Flow:
    return current_app.extensions["coregroup.flows"][audience]


def empty_document() -> dict:
    return {"schemaVersion": plan_schema().version}


_LATEST = (
    select(PlanVersion)
    .where(PlanVersion.case_id == bindparam("case_id"))
    .order_by(PlanVersion.number.desc())
    .limit(1)
)
_LATEST_HEAD = _LATEST.options(defer(PlanVersion.document), defer(PlanVersion.changes))


def latest_version(case: Case, document: bool = True) -> PlanVersion | None:
    """The newest version; `document=False` leaves the (large) document and changes unloaded
    until they are used."""
    return db.session.scalar(_LATEST if document else _LATEST_HEAD, {"case_id": case.id})


def get_version(case: Case, number: int) -> PlanVersion | None:
    return db.session.scalar(
        select(PlanVersion).where(PlanVersion.case_id == case.id, PlanVersion.number == number)
    )


def versions(case: Case) -> list[PlanVersion]:
    return list(
        db.session.scalars(
            select(PlanVersion)
            .where(PlanVersion.case_id == case.id)
            .order_by(PlanVersion.number.desc())
        )
    )


def latest_document(case: Case) -> tuple[dict, int]:
    latest = latest_version(case)
    return (copy.deepcopy(latest.document), latest.number) if latest else (empty_document(), 0)


def get_draft(case: Case, user: User) -> PlanDraft | None:
    return db.session.scalar(
        select(PlanDraft).where(PlanDraft.case_id == case.id, PlanDraft.user_id == user.id)
    )


def working_document(case: Case, user: User) -> tuple[dict, PlanDraft | None]:
    """What this person sees while editing: the latest plan with their draft's answers on it."""
    from coregroup.plans import drafts

    document, draft, _latest = drafts.view(case, user)
    return document, draft


def _write_draft(case: Case, user: User, scope: docs.Scope, change):
    """Apply `change(document)` to this person's draft (started from the latest plan, and with
    the items of `scope` in it as the person sees them)."""
    from coregroup.plans import drafts

    latest = latest_version(case)
    drafts.restore_item(case, user, scope, latest.document if latest else empty_document())
    draft = drafts.for_writing(case, user, latest)
    document = copy.deepcopy(draft.document)
    result = change(document)
    draft.document = carry_translations(draft.document, document)
    return result


def drop_disallowed_answers(node: dict, scope: docs.Scope) -> None:
    """Remove answers whose options no longer include them, after the answer they depend on
    changed (a My World Triangle area left behind when the side changes is not kept)."""
    schema = plan_schema()
    item_schema = schema.at([part for list_path, _id in scope for part in (list_path, "*")])
    for name, prop in item_schema.get("properties", {}).items():
        sibling = schema.resolve(prop).get("x-options-narrowed-by")
        if sibling and name in node and sibling in node:
            allowed = narrowed_options(item_schema, name, sibling).get(node[sibling])
            if allowed is not None and node[name] not in allowed:
                del node[name]


def add_item(case: Case, user: User, scope: docs.Scope, list_path: str) -> str:
    return _write_draft(case, user, scope, lambda d: docs.add_item(d, scope, list_path))


def remove_item(case: Case, user: User, scope: docs.Scope) -> None:
    _write_draft(case, user, scope, lambda d: docs.remove_item(d, scope))


def discard_draft(case: Case, user: User) -> None:
    draft = get_draft(case, user)
    if draft:
        db.session.delete(draft)


def page_schema_errors(
    document: dict, scope: docs.Scope, answers: dict
) -> dict[str, tuple[dict, SchemaError]]:
    """Schema errors that this page's answers would cause, keyed by the answer's path.

    The schema is the last word: a page's answers are tried in a copy of the whole document.
    """
    schema = plan_schema()
    trial = copy.deepcopy(document)
    node = docs.find_item(trial, scope)
    for path, value in answers.items():
        docs.set_path(node, path, value)
    by_pointer = {docs.field_pointer(trial, scope, path): path for path in answers}
    scope_path = [part for list_path, _id in scope for part in (list_path, "*")]
    found = {}
    for error in schema.errors(trial):
        path = by_pointer.get(error.pointer)
        if path is not None and error.code != "required":
            found.setdefault(path, (schema.at(scope_path + path.split("/")), error))
    return found


# --- Where a field lives in a flow -------------------------------------------------------------


@dataclass(frozen=True)
class Location:
    """A page of a flow that asks a field, and the item it asks it of."""

    section: Section
    scope: docs.Scope
    list_chain: tuple[ListSpec, ...]
    page: Page
    field_path: str


def _page_for(pages, rel_parts: list[str], member_ref: str | None):
    rel = "/".join(rel_parts)
    for page in pages:
        for raw in page.fields:
            path = raw.replace(MEMBER_PLACEHOLDER, member_ref or "")
            if rel == path or rel.startswith(path + "/"):
                return page, path
    return None, None


def locate(flow: Flow, document: dict, json_pointer: str, member_ref=None) -> Location | None:
    """The page on which a person can fix the field at `json_pointer`, if this flow asks it."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in json_pointer.split("/")[1:]]
    for section in flow.sections:
        page, path = _page_for(section.pages, parts, member_ref)
        if page:
            return Location(section, (), (), page, path)
        spec = section.list
        if spec is None or not parts or parts[0] != spec.path:
            continue
        scope: list = []
        chain: list = []
        node, rest = document, parts
        while spec is not None and len(rest) >= 2 and rest[0] == spec.path:
            try:
                item = node[spec.path][int(rest[1])]
            except (KeyError, IndexError, ValueError, TypeError):
                return None
            scope.append((spec.path, item["id"]))
            chain.append(spec)
            node, rest = item, rest[2:]
            next_spec = next((s for s in spec.lists if rest and rest[0] == s.path), None)
            if next_spec is None:
                page, path = _page_for(spec.pages, rest, member_ref)
                if page:
                    return Location(section, tuple(scope), tuple(chain), page, path)
                return None
            spec = next_spec
    return None


# --- Saving a version --------------------------------------------------------------------------


@dataclass
class SaveResult:
    version: PlanVersion | None = None
    errors: list[SchemaError] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    document: dict | None = None
    unchanged: bool = False


def save_plan(case: Case, user: User) -> SaveResult:
    """Turn this person's draft into a new plan version, merging with anything saved meanwhile."""
    draft = get_draft(case, user)
    if draft is None:
        return SaveResult()
    latest = latest_version(case)
    document = copy.deepcopy(draft.document)
    if latest:
        from coregroup.plans import drafts

        document, conflicts = merge(drafts.base_of(draft), latest.document, document)
        if conflicts:
            return SaveResult(conflicts=conflicts, document=document)
    errors = plan_errors(document) or content_errors(
        case, latest.document if latest else None, document
    )
    if errors:
        return SaveResult(errors=errors, document=document)
    from coregroup.plans import drafts, translations

    # Translations this person wrote of words removed meanwhile: kept, set aside for them.
    translations.set_aside_gone(case, user, drafts.base_of(draft), draft.document, document)
    if latest and not changes(latest.document, document):
        db.session.delete(draft)
        return SaveResult(unchanged=True, document=document)
    version = write_version(case, user, document)
    db.session.delete(draft)
    return SaveResult(version=version, document=document)


def save_views(case: Case, user: User, member_ref: str, text: str, base: int) -> SaveResult:
    """A family member's views, written against version `base`, merged into the latest plan.

    A clash (their views changed meanwhile, e.g. from another phone) is never dropped: the
    words are put in the person's draft, where the check page shows both and lets them choose.
    """
    latest = latest_version(case)
    based_on = get_version(case, base) if base else None
    base_doc = based_on.document if based_on else empty_document()

    def with_views(document: dict) -> dict:
        views = document.setdefault("familyViews", {})
        mine = {k: v for k, v in views.get(member_ref, {}).items() if k != "views"}
        if text:
            mine["views"] = text
        if mine:
            views[member_ref] = mine
        else:
            views.pop(member_ref, None)
        if not views:
            document.pop("familyViews")
        return document

    yours = with_views(copy.deepcopy(base_doc))
    document, conflicts = yours, []
    if latest and latest.number != (based_on.number if based_on else 0):
        document, conflicts = merge(base_doc, latest.document, yours)
    if conflicts:
        from coregroup.plans import drafts

        shown = docs.get_path(base_doc, f"familyViews/{member_ref}/views")
        key = ("familyViews", member_ref, "views")
        drafts.record(case, user, [drafts.Edit(key, shown, text or None)])
        return SaveResult(conflicts=conflicts, document=document)
    errors = plan_errors(document)
    if errors:
        return SaveResult(errors=errors, document=document)
    if latest and not changes(latest.document, document):
        return SaveResult(unchanged=True, document=document)
    version = write_version(case, user, document)
    return SaveResult(version=version, document=document)


def resolve_conflicts(case: Case, user: User, keep: str) -> None:
    """Settle every clash with the latest plan by keeping "mine" or "theirs" for all of them.

    The draft is moved onto the latest version; the other answers stay in the version history.
    """
    from coregroup.plans import drafts

    draft = get_draft(case, user)
    latest = latest_version(case)
    if draft is None or latest is None:
        return
    base_doc = drafts.base_of(draft)
    merged, conflicts = merge(base_doc, latest.document, draft.document)
    if keep == "mine":
        merged = apply_yours(merged, draft.document, conflicts)
    else:
        # The answers given up are kept, with who gave them up and when.
        for conflict in conflicts:
            db.session.add(
                SetAside(
                    case_id=case.id,
                    user_id=user.id,
                    pointer=to_pointer(draft.document, conflict.key)
                    if conflict.yours is not None
                    else to_pointer(latest.document, conflict.key),
                    value={"value": conflict.yours},
                )
            )
    from coregroup.plans import translations

    translations.set_aside_gone(case, user, base_doc, draft.document, merged)
    draft.document = merged
    draft.base_document = copy.deepcopy(latest.document)
    draft.base_number = latest.number


def set_aside(case: Case, user: User | None = None) -> list[SetAside]:
    """Answers given up in a clash or replaced by a later one: the case's, or one person's."""
    query = select(SetAside).where(SetAside.case_id == case.id)
    if user is not None:
        query = query.where(SetAside.user_id == user.id)
    return list(db.session.scalars(query.order_by(SetAside.id.desc())))


def pending_conflicts(draft: PlanDraft | None) -> list[Conflict]:
    """The clashes between a draft and what was saved since its answers were given."""
    from coregroup.plans import drafts

    if draft is None:
        return []
    latest = db.session.scalar(_LATEST, {"case_id": draft.case_id})
    if latest is None:
        return []
    return merge(drafts.base_of(draft), latest.document, draft.document)[1]


def latest_theirs(case: Case) -> dict:
    latest = latest_version(case)
    return latest.document if latest else empty_document()


def write_version(case: Case, user: User | None, document: dict, note: str | None = None):
    """Add a new immutable version after the latest; the document must already be valid."""
    schema = plan_schema()
    errors = plan_errors(document)
    if errors:
        raise ValueError(f"refusing to store an invalid plan: {errors[0]}")
    previous = latest_version(case)
    number = (
        db.session.scalar(
            select(func.coalesce(func.max(PlanVersion.number), 0)).where(
                PlanVersion.case_id == case.id
            )
        )
        + 1
    )
    found = changes(previous.document if previous else empty_document(), document)
    version = PlanVersion(
        case_id=case.id,
        number=number,
        document=document,
        schema_version=schema.version,
        author_id=user.id if user else None,
        changes=[c.as_json() for c in found],
        note=note,
    )
    db.session.add(version)
    db.session.flush()
    return version


def version_history(case: Case):
    """Every version of the case's plan, oldest first, without their documents."""
    return db.session.execute(
        select(
            PlanVersion.number,
            PlanVersion.created_at,
            PlanVersion.author_ref,
            PlanVersion.schema_version,
            PlanVersion.note,
            PlanVersion.changes,
        )
        .where(PlanVersion.case_id == case.id)
        .order_by(PlanVersion.number)
    ).all()


def latest_numbers(case_ids: list[int]) -> dict[int, int]:
    """The latest plan version's number of each case that has one."""
    rows = db.session.execute(
        select(PlanVersion.case_id, func.max(PlanVersion.number))
        .where(PlanVersion.case_id.in_(case_ids))
        .group_by(PlanVersion.case_id)
    )
    return dict(rows.all())
