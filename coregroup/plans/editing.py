"""Editing the plan through the API: a patch against a known version, merged field by field."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import jsonpatch

from coregroup.i18n import gettext as _
from coregroup.plans import drafts, services, translations
from coregroup.plans.diff import Conflict, carry_translations, flatten, merge, to_pointer


class PatchError(ValueError):
    """The patch itself cannot be applied: (pointer, message)."""

    def __init__(self, pointer: str, message: str):
        super().__init__(message)
        self.pointer, self.message = pointer, message


def apply_patch(document: dict, body, kind: str) -> dict:
    """`document` with a JSON Patch (RFC 6902) or a JSON Merge Patch (RFC 7396) applied.

    A JSON Patch is applied one operation at a time, so a refusal points at the plan path of
    the operation that failed (or nowhere, for an operation that is not one) and says which
    operation, in words; the result must still be a plan (an object)."""
    if kind == "application/json-patch+json":
        if not isinstance(body, list):
            raise PatchError("", _("A JSON Patch is a list of operations."))
        patched = copy.deepcopy(document)
        for number, operation in enumerate(body):
            _check_operation(number, operation)
            try:
                patched = jsonpatch.JsonPatch([operation]).apply(patched)
            except jsonpatch.JsonPatchTestFailed as failed:
                raise PatchError(
                    operation["path"], _("Operation %(number)s: the test failed.", number=number)
                ) from failed
            except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as problem:
                raise PatchError(
                    operation["path"],
                    _(
                        "Operation %(number)s: there is nothing at %(path)s.",
                        number=number,
                        path=operation["path"],
                    ),
                ) from problem
            except (TypeError, KeyError, AttributeError, IndexError) as problem:
                raise PatchError(
                    operation["path"], _("Operation %(number)s cannot be applied.", number=number)
                ) from problem
    else:
        if not isinstance(body, dict):
            raise PatchError("", _("A merge patch is a JSON object."))
        patched = _merge_patch(copy.deepcopy(document), body)
    if not isinstance(patched, dict):
        raise PatchError("", _("The plan must stay a JSON object."))
    return carry_translations(document, patched)


OPERATIONS = {"add", "remove", "replace", "move", "copy", "test"}


def _check_operation(number: int, operation) -> None:
    """One JSON Patch operation's shape: an op this knows, and paths that are JSON Pointers."""
    if not isinstance(operation, dict) or operation.get("op") not in OPERATIONS:
        raise PatchError(
            "",
            _(
                "Operation %(number)s: op must be one of %(ops)s.",
                number=number,
                ops=", ".join(sorted(OPERATIONS)),
            ),
        )
    for name in ("path", "from") if operation["op"] in ("move", "copy") else ("path",):
        where = operation.get(name)
        if not isinstance(where, str) or (where and not where.startswith("/")):
            raise PatchError(
                "",
                _(
                    "Operation %(number)s: %(name)s must be a JSON Pointer, like /aims.",
                    number=number,
                    name=name,
                ),
            )
    if operation["op"] in ("add", "replace", "test") and "value" not in operation:
        raise PatchError(operation["path"], _("Operation %(number)s needs a value.", number=number))


def _merge_patch(target, patch):
    if not isinstance(patch, dict):
        return patch
    if not isinstance(target, dict):
        target = {}
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = _merge_patch(target.get(key), value)
    return target


@dataclass
class Outcome:
    version: object = None
    conflicts: list[Conflict] = field(default_factory=list)
    errors: list = field(default_factory=list)
    merged: dict | None = None
    set_aside: int = 0  # translations of words removed meanwhile, kept for their author


def edit(case, user, base_number: int, yours: dict) -> Outcome:
    """Save `yours` (edited from version `base_number`) as a new version, merging with anything
    saved since. A clash is kept as this person's draft, so nothing is lost; the clash is
    settled in the web app or by a new patch against the latest version."""
    latest = services.latest_version(case)
    base = services.get_version(case, base_number)
    base_doc = base.document if base else services.empty_document()
    merged, conflicts = merge(base_doc, latest.document if latest else base_doc, yours)
    if conflicts:
        # Kept in the person's draft, merged into whatever they have there (never replacing
        # it): each changed answer against what version `base_number` said.
        before, after = flatten(base_doc), flatten(yours)
        edits = [
            drafts.Edit(key, before.get(key), after.get(key))
            for key in list(before) + [k for k in after if k not in before]
            if before.get(key) != after.get(key)
        ]
        drafts.record(case, user, edits)
        return Outcome(conflicts=conflicts, merged=merged)
    errors = services.plan_errors(merged) or services.content_errors(
        case, latest.document if latest else None, merged
    )
    if errors:
        return Outcome(errors=errors, merged=merged)
    if latest and merged == latest.document:
        return Outcome(version=latest, merged=merged)
    gone = translations.set_aside_gone(case, user, base_doc, yours, merged)
    version = services.write_version(case, user, merged)
    return Outcome(version=version, merged=merged, set_aside=gone)


def conflict_json(conflict: Conflict, theirs: dict, yours: dict) -> dict:
    document = theirs if conflict.theirs is not None else yours
    return {
        "pointer": to_pointer(document, conflict.key),
        "theirs": conflict.theirs,
        "yours": conflict.yours,
    }
