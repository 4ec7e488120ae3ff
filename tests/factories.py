"""Documents for tests: a complete plan, built the way the demo builds one."""

import datetime as dt

from coregroup.demo import PEOPLE, demo_plan
from coregroup.schema import SchemaRegistry

REFS = {key: f"m-{key}" for key, *_ in PEOPLE}


def full_plan(refs: dict[str, str] | None = None) -> dict:
    """A complete, valid plan with needs on every side of the My World Triangle."""
    version = SchemaRegistry()["child-protection-plan"].version
    return demo_plan(refs or REFS, dt.date(2026, 11, 2), version)
