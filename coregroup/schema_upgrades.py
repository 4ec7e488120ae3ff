"""Upgrading documents written under an earlier version of a schema.

Stored plan versions are immutable: one written under schema 1.0.0 stays 1.0.0 in the
database and in a case export (which names its version, and validates against the archived
schema). When it is read to be shown or worked on, it is upgraded step by step to the current
version with the functions registered here — one per released version, written when the schema
changes (see schemas/archive/README.md).
"""

from __future__ import annotations

import copy
from collections.abc import Callable


# {schema name: {from version: (to version, upgrade function)}}
def _plan_1_1_0(document: dict) -> dict:
    """1.1.0 lets a need and an action name the children it concerns (`children`); a plan
    written before says nothing, which means every child. Nothing else changed."""
    return document


def _plan_1_2_0(document: dict) -> dict:
    """1.2.0 lets a translation of the plan's words say who translated it, on which day, and
    whether a person or a computer did (`by`, `on`, `method`), all optional: a 1.1.0 plan's
    translations read as they were written, their translator unknown."""
    return document


def _case_export_1_1_0(export: dict) -> dict:
    """1.1.0 gives each child their own plan status, records review conferences and the core
    group's requests for a conference, and recognises a case by `uid`. A 1.0.0 export had one
    set of categories for the case: each child gets a plan with them, from the initial
    conference; its last review conference becomes one at which every plan continued; its
    family members are the parents or carers of every child; its uid is derived from its
    reference (so importing the same 1.0.0 file twice is recognised)."""
    import hashlib
    import uuid

    head = export["case"]
    categories = list(head.pop("categories", []) or [])
    last_review = head.pop("lastReviewConference", None)
    head.setdefault("uid", str(uuid.uuid5(uuid.NAMESPACE_URL, "coregroup:" + head["reference"])))
    head.setdefault("closedOn", None)
    started = head.get("initialConference") or head["createdAt"][:10]
    family = [
        m["id"] for m in export.get("members", []) if m["role"] in ("parent", "carer", "child")
    ]
    for n, child in enumerate(export.get("children", [])):
        digest = hashlib.sha256(f"{head['reference']}/{n}".encode()).hexdigest()[:12]
        child.setdefault("id", "c-" + digest)
        child.setdefault("family", family)
        child.setdefault(
            "plans",
            [
                {
                    "number": 1,
                    "categories": categories,
                    "initialCategories": categories,
                    "startedOn": started,
                }
            ],
        )
    export["reviewConferences"] = (
        [
            {
                "number": 1,
                "heldOn": last_review,
                "chair": None,
                "outcomes": {
                    c["id"]: {"outcome": "continue", "plan": 1, "categories": categories}
                    for c in export.get("children", [])
                },
                "nextReviewOn": None,
                "recordedAt": head["createdAt"],
            }
        ]
        if last_review
        else []
    )
    export["conferenceRequests"] = []
    export["format"] = "https://coregroup.example/schemas/case-export/1.1.0.json"
    return export


def _meeting_1_1_0(record: dict) -> dict:
    """1.1.0 works out which meeting it is, says what was explained to the parents (or how and
    when it will be), why a first core group was late, why a plan stays unchanged, why a
    meeting was abandoned, and what a decision about a conference covered. All are new and
    optional: a 1.0.0 record reads as it was written."""
    return record


def _case_export_1_2_0(export: dict) -> dict:
    """1.2.0 adds the status "abandoned" for a meeting stopped before it was completed (its
    record, of meeting schema 1.1.0, says why). Nothing else changed."""
    export["format"] = "https://coregroup.example/schemas/case-export/1.2.0.json"
    return export


def _case_export_1_3_0(export: dict) -> dict:
    """1.3.0 writes every time with its offset (RFC 3339): a 1.2.0 time was UTC without one,
        so it gains +00:00. Each child may carry an NHS number and the council's own id (null when
        not known); the next meetings as moved or cancelled are carried (`arrangedMeetings`; none
    before). Plan documents and meeting records are checked by $ref to their schemas, as
        they were checked before."""
    keys = {"createdAt", "recordedAt", "completedAt", "sentAt", "receivedAt"}

    def offset(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in keys and isinstance(value, str) and len(value) == 26:
                    node[key] = value + "+00:00"
                elif key not in ("document", "record"):
                    offset(value)
        elif isinstance(node, list):
            for item in node:
                offset(item)

    offset({k: v for k, v in export.items() if k != "format"})
    for child in export.get("children", []):
        child.setdefault("nhsNumber", None)
        child.setdefault("localId", None)
    export.setdefault("arrangedMeetings", [])
    export["format"] = "https://coregroup.example/schemas/case-export/1.3.0.json"
    return export


UPGRADES: dict[str, dict[str, tuple[str, Callable[[dict], dict]]]] = {
    "child-protection-plan": {
        "1.0.0": ("1.1.0", _plan_1_1_0),
        "1.1.0": ("1.2.0", _plan_1_2_0),
    },
    "core-group-meeting": {"1.0.0": ("1.1.0", _meeting_1_1_0)},
    "case-export": {
        "1.0.0": ("1.1.0", _case_export_1_1_0),
        "1.1.0": ("1.2.0", _case_export_1_2_0),
        "1.2.0": ("1.3.0", _case_export_1_3_0),
    },
}


class CannotUpgrade(ValueError):
    pass


def upgrade(name: str, document: dict, version: str, current: str) -> dict:
    """`document` (written under `version`) as it reads under `current`; the same object when
    nothing needs doing. The stored original is never changed."""
    if version == current:
        return document
    steps = UPGRADES.get(name, {})
    result = copy.deepcopy(document)
    seen = set()
    while version != current:
        if version not in steps or version in seen:
            raise CannotUpgrade(f"no upgrade of {name} from {version} to {current}")
        seen.add(version)
        version, step = steps[version]
        result = step(result)
        if name != "case-export":  # an export names its version in `format`
            result["schemaVersion"] = version
    return result
