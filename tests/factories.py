"""Documents for tests: a complete plan, built the way the demo builds one."""

import datetime as dt

from coregroup.demo import PEOPLE, demo_plan
from coregroup.schema import SchemaRegistry

REFS = {key: f"m-{key}" for key, *_ in PEOPLE}


def full_plan(refs: dict[str, str] | None = None) -> dict:
    """A complete, valid plan with needs on every side of the My World Triangle."""
    version = SchemaRegistry()["child-protection-plan"].version
    return demo_plan(refs or REFS, dt.date(2026, 11, 2), version)


def large_plan(refs: list[str], schema_version: str, needs: int = 12, actions: int = 40) -> dict:
    """A realistic large plan: 12 needs across the triangle, 40 actions among the members."""
    from coregroup.schema import SchemaRegistry

    need_schema = SchemaRegistry()["child-protection-plan"].at(["needs", "*"])
    areas = [
        (rule["if"]["properties"]["side"]["const"], area)
        for rule in need_schema["allOf"]
        for area in rule["then"]["properties"]["area"]["enum"]
    ]
    plan = {
        "schemaVersion": schema_version,
        "aims": "Safe and well at home.",
        "needs": [],
        "roles": [],
        "contacts": [],
    }
    for n in range(needs):
        side, area = areas[n % len(areas)]
        plan["needs"].append(
            {
                "id": f"need-{n}",
                "side": side,
                "area": area,
                "whatMustChange": f"Need {n}: what must change",
                "why": "Because.",
                "intendedOutcome": "It is better.",
                "howMeasured": "Visits.",
                "actions": [],
            }
        )
    for a in range(actions):
        plan["needs"][a % needs]["actions"].append(
            {
                "id": f"act-{a}",
                "what": f"Action {a}",
                "who": [refs[a % len(refs)]],
                "byWhen": (dt.date(2027, 1, 1) + dt.timedelta(days=a)).isoformat(),
                "status": "in-progress",
            }
        )
    for n, ref in enumerate(refs):
        plan["roles"].append({"id": f"role-{n}", "member": ref, "responsibilities": "Helps."})
    return plan


def moved_copy(exported: dict, suffix: str, email: str | None = None) -> dict:
    """A case's export made into another case, to import beside the original: its reference,
    uid and every member's and child's id changed (ids end with `suffix`, a-z0-9); `email`:
    the first member's, the account that imports it."""
    import json
    import uuid

    exported = json.loads(json.dumps(exported))
    exported["case"]["reference"] = f"{exported['case']['reference']}-{suffix}"[:40]
    exported["case"]["uid"] = str(uuid.uuid4())
    for arranged in exported.get("arrangedMeetings", []):
        arranged["uid"] = str(uuid.uuid4())
    text = json.dumps(exported)
    for person in [*exported["members"], *exported["children"]]:
        text = text.replace(f'"{person["id"]}"', f'"{person["id"]}{suffix}"')
    moved = json.loads(text)
    if email is not None:
        moved["members"][0]["email"] = email
    return moved


def held_first_meeting(case, on=None):
    """A first core group already held and completed, so the next meeting recorded is a later
    one (which meeting it is is worked out, never chosen)."""
    import datetime as dt

    from coregroup.extensions import db
    from coregroup.models import Meeting
    from coregroup.plans import services as plans

    on = on or case.initial_conference + dt.timedelta(days=5)
    latest = plans.latest_version(case)
    meeting = Meeting(
        case_id=case.id,
        number=1
        + max((m.number for m in db.session.query(Meeting).filter_by(case_id=case.id)), default=0),
        kind="first",
        status="completed",
        record={"schemaVersion": "1.1.0", "kind": "first", "date": on.isoformat()},
        reviewed_plan_number=latest.number if latest else None,
        plan_number=latest.number if latest else None,
        completed_at=dt.datetime.combine(on, dt.time(12)),
    )
    db.session.add(meeting)
    db.session.commit()
    return meeting


def review_soon(case, days: int = 10):
    """Move the case's conference back so its review conference is due in `days` days: the
    next meeting is then the last before review."""
    import datetime as dt

    from dateutil.relativedelta import relativedelta

    from coregroup.extensions import db

    conference = dt.date.today() + dt.timedelta(days=days) - relativedelta(months=3)
    case.initial_conference = conference
    for child in case.children:
        for plan in child.plans:
            plan.started_on = conference
    db.session.commit()
