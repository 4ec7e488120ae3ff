"""A person's draft of the plan: what they typed, kept against what they saw when they typed it.

A draft holds two documents. `document` is the plan as this person would save it. Its
`base_document` is what each of their answers was given against: mostly one saved version, but
an answer sent from a page shown from an older version is recorded against what that page
showed, field by field. So a change someone else saved in between is a clash, shown to the
person (at once on the page, and at "check your answers"), and never written over; a change to
another field merges silently.

Nothing in a draft is ever replaced: every path that writes one (the plan's pages, the API, the
translate page, a family member's views) goes through `record`, which merges, or keeps an
earlier answer of the person's own as "set aside" where they are shown it.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from itertools import pairwise

from sqlalchemy import select

from coregroup.extensions import db
from coregroup.models import Case, PlanDraft, PlanVersion, SetAside, User
from coregroup.plans import services, translations
from coregroup.plans.diff import apply_yours, flatten, merge, to_pointer, unflatten, unflatten_item

Key = tuple[str, ...]
Leaves = dict[Key, object]
# How far back "who saved the other answer" looks: a clash is with a recent save.
_HISTORY = 50


def digest(value) -> str:
    """A short fingerprint of an answer, carried by a page to say what it showed."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def item_key(scope, path: str = "") -> Key:
    """The key (diff.flatten's) of a field: the scope's items as [id] markers, then the path."""
    key: list[str] = []
    for list_path, item_id in scope:
        key += [list_path, f"[{item_id}]"]
    return tuple(key + (path.split("/") if path else []))


@dataclass(frozen=True)
class Edit:
    """One answer: what the person saw at `key` (None: nothing) and what they want there."""

    key: Key
    shown: object
    new: object
    # A clash the person has settled: their answer is given against the latest saved one.
    settled: bool = False


@dataclass
class Recorded:
    """What recording answers came to: the clashes among them, and how many earlier answers
    of the person's own they replaced (set aside, to show them)."""

    clashes: list
    set_aside: int = 0


@dataclass(frozen=True)
class Clash:
    key: Key
    base: object  # what the person's answer was given against
    theirs: object  # the latest saved answer
    yours: object


# --- Leaves -------------------------------------------------------------------------------------


def _under(leaves: Leaves, key: Key) -> Leaves:
    return {k: v for k, v in leaves.items() if k[: len(key)] == key}


def get(leaves: Leaves, key: Key):
    """The value at `key`: a leaf, a whole object or list item, or None."""
    if key in leaves:
        return leaves[key]
    found = _under(leaves, key)
    return unflatten_item(found, key) if found else None


def _put(leaves: Leaves, key: Key, value) -> None:
    """Set the value at `key` (None removes it); list items along the way keep their ids."""
    if value is not None and not isinstance(value, dict) and key in leaves:
        leaves[key] = value  # in place: the order of list items is their first leaf's
        return
    for old in list(_under(leaves, key)):
        del leaves[old]
    if value is None:
        return
    for n, part in enumerate(key):
        if part.startswith("[") and key[: n + 1] + ("id",) not in leaves:
            leaves[key[: n + 1] + ("id",)] = part[1:-1]
    if isinstance(value, dict) and value:
        for sub, leaf in flatten(value).items():
            leaves[key + sub] = leaf
    else:
        leaves[key] = value


def _items_known(key: Key, *documents: Leaves) -> bool:
    """Whether every list item along `key` is in one of these documents: saved content, as
    opposed to an item the person added in their draft and nobody else has seen."""
    markers = [key[: n + 1] for n, part in enumerate(key) if part.startswith("[")]
    return all(any(_under(leaves, item) for leaves in documents) for item in markers)


# --- The draft ----------------------------------------------------------------------------------


def version_document(case_id: int, number: int) -> dict | None:
    found = db.session.scalar(
        select(PlanVersion.document).where(
            PlanVersion.case_id == case_id, PlanVersion.number == number
        )
    )
    return found


def base_of(draft: PlanDraft) -> dict:
    if draft.base_document is not None:
        return draft.base_document
    return version_document(draft.case_id, draft.base_number) or services.empty_document()


def _latest_document(latest: PlanVersion | None) -> dict:
    return latest.document if latest else services.empty_document()


def for_writing(case: Case, user: User, latest: PlanVersion | None) -> PlanDraft:
    """This person's draft, started from the latest plan if they have none, and moved onto the
    latest plan when nothing in it clashes (so it always shows what others saved since)."""
    draft = services.get_draft(case, user)
    theirs = _latest_document(latest)
    number = latest.number if latest else 0
    if draft is None:
        draft = PlanDraft(
            case_id=case.id,
            user_id=user.id,
            base_number=number,
            document=copy.deepcopy(theirs),
            base_document=copy.deepcopy(theirs),
        )
        db.session.add(draft)
        return draft
    base = base_of(draft)
    if draft.base_number != number or base != theirs:
        merged, conflicts = merge(base, theirs, draft.document)
        if not conflicts:
            # A translation they wrote of words removed meanwhile goes with the words: kept.
            translations.set_aside_gone(case, user, base, draft.document, merged)
            draft.document = merged
            draft.base_document = copy.deepcopy(theirs)
            draft.base_number = number
    return draft


def view(case: Case, user: User) -> tuple[dict, PlanDraft | None, PlanVersion | None]:
    """The plan as this person should see it while editing: the latest saved plan with their
    draft's answers on it (theirs where the two clash)."""
    latest = services.latest_version(case)
    theirs = _latest_document(latest)
    draft = services.get_draft(case, user)
    if draft is None:
        return copy.deepcopy(theirs), None, latest
    merged, conflicts = merge(base_of(draft), theirs, draft.document)
    if conflicts:
        merged = apply_yours(merged, draft.document, conflicts)
    return merged, draft, latest


def _set_aside(case: Case, user: User, key: Key, value, *documents: dict) -> None:
    db.session.add(
        SetAside(
            case_id=case.id,
            user_id=user.id,
            pointer=_pointer(key, *documents),
            value={"value": value},
        )
    )


def _pointer(key: Key, *documents: dict) -> str:
    for document in documents:
        try:
            return to_pointer(document, key)
        except (StopIteration, AttributeError, TypeError):
            continue
    return "/" + "/".join(key)


def record(case: Case, user: User, edits: list[Edit], restore=None) -> Recorded:
    """Write these answers into the person's draft; the clashes among them come back.

    Each answer is recorded against what the person saw. An answer they did not change is
    left as the draft has it. An earlier answer of their own that a later one replaces (from
    another window, or the API) is set aside, never lost. `restore`: (scope, document) when
    the answers are to an item that has gone since `document` was shown."""
    latest = services.latest_version(case)
    draft = for_writing(case, user, latest)
    base, mine = flatten(base_of(draft)), flatten(draft.document)
    theirs = flatten(_latest_document(latest))
    set_aside = 0
    if restore is not None:
        # Answers to an item removed since the page was shown: the item comes back, as the
        # page showed it, so its removal is a clash the person settles (nothing is lost).
        scope, shown_document = restore
        _put_back(scope, flatten(shown_document), base, mine)
    for edit in edits:
        key = edit.key
        b, m, t = get(base, key), get(mine, key), get(theirs, key)
        own = m != b  # the draft holds an answer of the person's own here
        known = _items_known(key, base, theirs)
        if edit.settled:
            if own and m not in (edit.new, t):  # the answer they chose against: kept
                _set_aside(case, user, key, m, draft.document, _latest_document(latest))
            if known:
                _put(base, key, t)
            _put(mine, key, edit.new)
            if edit.new is not None:
                # Kept although someone removed its item: the item is the person's own now.
                for n, part in enumerate(key):
                    item = key[: n + 1]
                    if part.startswith("[") and not _under(theirs, item):
                        for gone in list(_under(base, item)):
                            del base[gone]
                        break
            continue
        if edit.new == edit.shown:
            continue  # not changed on this page: the draft keeps what it has
        current = m if own else t
        if current == edit.shown:
            if not own and known:
                _put(base, key, t)  # changed on top of the latest saved answer
        else:
            # Changed since the page was shown: by someone's save, or by the person elsewhere.
            if own and m not in (edit.shown, edit.new):
                _set_aside(case, user, key, m, draft.document, _latest_document(latest))
                set_aside += 1
            if known:
                _put(base, key, edit.shown)
        _put(mine, key, edit.new)
    draft.document = unflatten(mine)
    draft.base_document = unflatten(base)
    # A translation of words no longer in the draft cannot stay in it: kept, set aside.
    kept = flatten(draft.document)
    for edit in edits:
        translation = edit.key[0] == "translations" and edit.key[-1] == "text"
        if translation and edit.new is not None and edit.key not in kept:
            _set_aside(case, user, edit.key, edit.new, draft.document)
    db.session.flush()
    return Recorded(clashes(draft, latest, [edit.key for edit in edits]), set_aside)


def clashes(draft: PlanDraft | None, latest: PlanVersion | None, keys=None) -> list[Clash]:
    """The draft's answers that clash with what was saved since they were given (at `keys`)."""
    if draft is None:
        return []
    base, mine = flatten(base_of(draft)), flatten(draft.document)
    theirs = flatten(_latest_document(latest))
    if keys is None:
        keys = {k for k in list(base) + list(mine) + list(theirs) if k[-1] != "id"}
    found = []
    for key in keys:
        b, t, y = get(base, key), get(theirs, key), get(mine, key)
        if b != t and y != b and y != t:
            found.append(Clash(key, b, t, y))
    return sorted(found, key=lambda c: c.key)


def _put_back(scope, source: Leaves, base: Leaves, mine: Leaves) -> None:
    """The outermost item of `scope` missing from the draft, copied from `source` (as a page
    showed it, or as saved) into both the draft and what it is relative to."""
    for n in range(len(scope)):
        item = item_key(scope[: n + 1])
        if not _under(mine, item):
            for key, value in _under(source, item).items():
                mine[key] = value
                base[key] = value
            return


def has_items(document: dict, scope) -> bool:
    leaves = flatten(document)
    return all(_under(leaves, item_key(scope[: n + 1])) for n in range(len(scope)))


def restore_item(case: Case, user: User, scope, source_document: dict) -> None:
    """Make sure the items of `scope` are in the person's draft, as `source_document` (the
    latest plan) has them: an item they see, saved since their draft began."""
    from coregroup.document import find_item

    latest = services.latest_version(case)
    draft = for_writing(case, user, latest)
    if find_item(draft.document, scope) is not None or not has_items(source_document, scope):
        return
    base, mine = flatten(base_of(draft)), flatten(draft.document)
    _put_back(scope, flatten(source_document), base, mine)
    draft.document, draft.base_document = unflatten(mine), unflatten(base)
    db.session.flush()


def who_changed(case: Case, key: Key) -> PlanVersion | None:
    """The version that gave `key` its latest saved value (among the last few saved)."""
    rows = list(
        db.session.scalars(
            select(PlanVersion)
            .where(PlanVersion.case_id == case.id)
            .order_by(PlanVersion.number.desc())
            .limit(_HISTORY)
        )
    )
    if not rows:
        return None
    values = [(version, get(flatten(version.document), key)) for version in rows]
    for (newer, value), (_older, before) in pairwise(values):
        if value != before:
            return newer
    return rows[-1]


def answer_page(case: Case, user: User, scope, answers: dict, state, keep: dict[str, str]):
    """Record one page's answers (`answers`: by path within the item `scope` names), given
    against what the page showed (`state`, a pages.PageState, or None for a form that carried
    none). `keep` settles clashes the page showed: path -> "mine" (the answer in the box,
    perhaps a combination of both) or "theirs". The clashes among the answers come back."""
    from coregroup.document import find_item, get_path

    document, draft, latest = view(case, user)
    theirs = flatten(_latest_document(latest))
    shown_document, shown_node = None, None
    if state is not None and state.version is not None:
        shown_document = (
            latest.document
            if latest and latest.number == state.version
            else version_document(case.id, state.version)
        )
        shown_node = find_item(shown_document, scope) if shown_document else None
    node = find_item(document, scope)
    restore = None
    if node is None and shown_node is not None:
        node, restore = shown_node, (scope, shown_document)  # removed since it was shown
    node = node or {}
    mine_node = find_item(draft.document, scope) if draft else None

    def shown_at(path: str, key: Key):
        now = get_path(node, path)
        if state is None or path not in state.shown:
            return now
        candidates = [now, get(theirs, key)]
        if shown_node is not None:
            candidates.insert(0, get_path(shown_node, path))
        if mine_node is not None:
            candidates.append(get_path(mine_node, path))
        return next(
            (c for c in candidates if digest(c) == state.shown[path]),
            get_path(shown_node, path) if shown_node is not None else now,
        )

    # An answer that depends on another (a My World Triangle area, on its side) goes when
    # the answer it depends on changes.
    trial = copy.deepcopy(node)
    for path, value in answers.items():
        _set(trial, path, value)
    kept = set(trial)
    services.drop_disallowed_answers(trial, scope)
    answers = {**answers, **{name: None for name in kept - set(trial)}}

    edits = []
    for path, new in answers.items():
        key = item_key(scope, path)
        if state is not None and path in state.clashing and path in keep:
            latest_value = get(theirs, key)
            if digest(latest_value) == state.shown.get(path):
                chosen = latest_value if keep[path] == "theirs" else new
                edits.append(Edit(key, None, chosen, settled=True))
                continue
            # Saved again since the clash was shown: a new clash, against the newer answer.
        edits.append(Edit(key, shown_at(path, key), new))
    return record(case, user, edits, restore)


def _set(node: dict, path: str, value) -> None:
    from coregroup.document import set_path

    set_path(node, path, value)
