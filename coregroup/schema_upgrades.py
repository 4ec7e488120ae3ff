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
UPGRADES: dict[str, dict[str, tuple[str, Callable[[dict], dict]]]] = {
    "child-protection-plan": {},
    "core-group-meeting": {},
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
        result["schemaVersion"] = version
    return result
