"""Editing the plan through the API: a patch against a known version, merged field by field."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import jsonpatch

from coregroup.plans import drafts, services, translations
from coregroup.plans.diff import Conflict, carry_translations, flatten, merge, to_pointer


class PatchError(ValueError):
    """The patch itself cannot be applied: (pointer, message)."""

    def __init__(self, pointer: str, message: str):
        super().__init__(message)
        self.pointer, self.message = pointer, message


def apply_patch(document: dict, body, kind: str) -> dict:
    """`document` with a JSON Patch (RFC 6902) or a JSON Merge Patch (RFC 7396) applied."""
    if kind == "application/json-patch+json":
        if not isinstance(body, list):
            raise PatchError("", "A JSON Patch is a list of operations")
        try:
            return carry_translations(
                document, jsonpatch.JsonPatch(body).apply(copy.deepcopy(document))
            )
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as problem:
            where = next((op.get("path", "") for op in body if isinstance(op, dict)), "")
            raise PatchError(where, str(problem)) from problem
        except (TypeError, KeyError, AttributeError) as problem:
            raise PatchError("", "The patch is not a valid JSON Patch") from problem
    if not isinstance(body, dict):
        raise PatchError("", "A merge patch is a JSON object")
    return carry_translations(document, _merge_patch(copy.deepcopy(document), body))


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
    errors = services.plan_errors(merged)
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
