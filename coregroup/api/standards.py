"""The plan in the formats other services read: an HL7 FHIR CarePlan bundle for health
partners, and the child protection plan fields of the Children in Need census for the data
team. Both are built from the case and its latest plan version; nothing is stored."""

from __future__ import annotations

import csv
import io
import re

from fhir.resources.R4B.bundle import Bundle

from coregroup.models import Case, PlanVersion

# FHIR R4B (4.3.0) models from fhir.resources: CarePlan, CareTeam, Goal, Patient and Group are
# the same as in R4 (4.0.1). (fhir.resources' pure-R4 releases need pydantic 1.)
FHIR_STATUS = {
    "not-started": "not-started",
    "in-progress": "in-progress",
    "done": "completed",
    "cannot-be-done": "stopped",
}
AREA_WORDS = re.compile(r"-")


def _id(*parts) -> str:
    """A FHIR id: letters, digits, '-' and '.', at most 64 characters."""
    return re.sub(r"[^A-Za-z0-9.-]", "-", "-".join(str(p) for p in parts))[:64]


def fhir_bundle(case: Case, version: PlanVersion | None) -> dict:
    """A collection Bundle: the children (Patient, and a Group if several), the core group
    (CareTeam), each need (Goal) and the plan (CarePlan) whose activities are the actions."""
    document = version.document if version else {}
    entries = []
    patients = []
    for n, child in enumerate(sorted(case.children, key=lambda c: c.id), start=1):
        patient = {
            "resourceType": "Patient",
            "id": _id("child", case.id, n),
            "name": [{"text": child.name}],
        }
        if child.date_of_birth:
            patient["birthDate"] = child.date_of_birth.isoformat()
        patients.append(patient)
        entries.append(patient)
    if len(patients) == 1:
        subject = {"reference": f"Patient/{patients[0]['id']}", "display": case.children[0].name}
    else:
        group = {
            "resourceType": "Group",
            "id": _id("children", case.id),
            "type": "person",
            "actual": True,
            "name": case.title,
            "member": [{"entity": {"reference": f"Patient/{p['id']}"}} for p in patients],
        }
        entries.append(group)
        subject = {"reference": f"Group/{group['id']}", "display": case.title}
    names = {m.ref: m.name for m in case.members}
    team = {
        "resourceType": "CareTeam",
        "id": _id("core-group", case.id),
        "status": "active",
        "name": "Core group",
        "subject": subject,
        "participant": [
            {
                "role": [{"text": m.role_label}],
                "member": {"display": m.name},
                **(
                    {
                        "period": {
                            k: v
                            for k, v in (
                                ("start", m.joined_on.isoformat() if m.joined_on else None),
                                ("end", m.left_on.isoformat() if m.left_on else None),
                            )
                            if v
                        }
                    }
                    if m.joined_on or m.left_on
                    else {}
                ),
            }
            for m in sorted(case.members, key=lambda m: m.id)
        ],
    }
    entries.append(team)
    goals, activities = [], []
    for need in document.get("needs", []):
        goal = {
            "resourceType": "Goal",
            "id": _id("need", case.id, need["id"]),
            "lifecycleStatus": "active",
            "description": {
                "text": need.get("whatMustChange") or AREA_WORDS.sub(" ", need.get("area", "need"))
            },
            "subject": subject,
        }
        if need.get("intendedOutcome"):
            goal["note"] = [{"text": need["intendedOutcome"]}]
        goals.append(goal)
        for action in need.get("actions", []):
            detail = {
                "status": FHIR_STATUS.get(action.get("status"), "unknown"),
                "description": action.get("what") or "",
                "goal": [{"reference": f"Goal/{goal['id']}"}],
                "performer": [{"display": names.get(ref, ref)} for ref in action.get("who", [])],
            }
            if action.get("byWhen"):
                detail["scheduledPeriod"] = {"end": action["byWhen"]}
            if action.get("status") == "cannot-be-done" and action.get("reasonNotPossible"):
                detail["statusReason"] = {"text": action["reasonNotPossible"]}
            if not detail["description"]:
                del detail["description"]
            activities.append({"detail": detail})
    entries.extend(goals)
    plan = {
        "resourceType": "CarePlan",
        "id": _id("plan", case.id, version.number if version else 0),
        "status": "active" if case.status == "open" else "completed",
        "intent": "plan",
        "title": "Child protection plan",
        "subject": subject,
        "careTeam": [{"reference": f"CareTeam/{team['id']}"}],
        "goal": [{"reference": f"Goal/{g['id']}"} for g in goals],
        "activity": activities,
    }
    if document.get("aims"):
        plan["description"] = document["aims"]
    if case.initial_conference:
        plan["period"] = {"start": case.initial_conference.isoformat()}
    if version:
        plan["created"] = version.created_at.isoformat(timespec="seconds") + "+00:00"
    entries.append(plan)
    bundle = {
        "resourceType": "Bundle",
        "id": _id("case", case.id, "plan", version.number if version else 0),
        "type": "collection",
        "entry": [
            {"fullUrl": f"urn:coregroup:{e['resourceType']}/{e['id']}", "resource": e}
            for e in entries
        ],
    }
    # Checked against the FHIR models before it leaves: an invalid bundle is a bug here.
    return Bundle.model_validate(bundle).model_dump(mode="json", exclude_none=True)


CIN_COLUMNS = [
    "case_reference",
    "child_name",
    "child_date_of_birth",
    "cpp_start_date",
    "cpp_end_date",
    "initial_category_of_abuse",
    "latest_category_of_abuse",
    "number_of_previous_cpp",
    "cpp_review_dates",
]
# The census' category codes (Children in Need census: NEG, PHY, EMO, SAB, MUL).
CIN_CATEGORY = {"neglect": "NEG", "physical": "PHY", "emotional": "EMO", "sexual": "SAB"}


def cin_category(categories: list[str]) -> str:
    codes = sorted({CIN_CATEGORY[c] for c in categories or [] if c in CIN_CATEGORY})
    return "MUL" if len(codes) > 1 else (codes[0] if codes else "")


def _cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (=, +, -, @, tab or CR first)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def cin_rows(cases: list[Case]) -> str:
    """One row per child per plan: its start and end dates, its categories of abuse when it
    started and now, the child's previous plans, and the review conferences held during it."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CIN_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for case in cases:
        for child in sorted(case.children, key=lambda c: c.id):
            for plan in child.plans:
                reviews = [
                    r.held_on
                    for r in case.review_conferences
                    if (r.outcomes or {}).get(child.ref, {}).get("plan") == plan.number
                ]
                writer.writerow(
                    {
                        key: _cell(value)
                        for key, value in {
                            "case_reference": case.reference,
                            "child_name": child.name,
                            "child_date_of_birth": child.date_of_birth.isoformat()
                            if child.date_of_birth
                            else "",
                            "cpp_start_date": plan.started_on.isoformat(),
                            "cpp_end_date": plan.ended_on.isoformat() if plan.ended_on else "",
                            "initial_category_of_abuse": cin_category(plan.initial_categories),
                            "latest_category_of_abuse": cin_category(plan.categories),
                            "number_of_previous_cpp": str(plan.number - 1),
                            "cpp_review_dates": ";".join(d.isoformat() for d in reviews),
                        }.items()
                    }
                )
    return out.getvalue()
