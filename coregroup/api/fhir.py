"""The plan as HL7 FHIR R4 (4.0.1), for health partners: one Bundle per case in which each
child is a Patient with their own CarePlan, CareTeam, Goals and Conditions, and every
reference resolves inside the Bundle (`urn:uuid` fullUrls).

The mapping from the plan to FHIR is the table in the README ("FHIR"). Codes of this
product's own (the My World Triangle, categories of concern, core group roles) are from
CodeSystems it publishes at their canonical URLs (`code_systems`, served at /fhir/CodeSystem/…).

Checked with fhir.resources' R4B (4.3.0) models before it leaves: the resources used here
(Patient, RelatedPerson, Practitioner, PractitionerRole, Organization, CareTeam, CarePlan,
Goal, Condition, CodeSystem, Bundle) are the same in R4 and R4B for every element written, and
fhir.resources' pure-R4 models need pydantic 1, older than the project's.
"""

from __future__ import annotations

import datetime as dt
import uuid
from functools import cached_property

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.codesystem import CodeSystem
from flask import current_app

from coregroup.contacts import Viewer
from coregroup.models import ROLE_LABELS, Case, Child, ChildPlan, Member, PlanVersion

CANONICAL = "https://coregroup.example/fhir"
MEDIA_TYPE = "application/fhir+json; fhirVersion=4.0"
NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
CHILD_ID = f"{CANONICAL}/Id/child"  # the child's id here (c-…): kept when a case moves
MEMBER_ID = f"{CANONICAL}/Id/member"  # a member of the core group (m-…)
PLAN_ID = f"{CANONICAL}/Id/child-protection-plan"  # <child id>/<the child's plan number>
EXPORT_ID = f"{CANONICAL}/Id/plan-export"  # <case uid>/<plan version>
TRIANGLE = f"{CANONICAL}/CodeSystem/my-world-triangle"
CONCERN = f"{CANONICAL}/CodeSystem/category-of-concern"
ROLE = f"{CANONICAL}/CodeSystem/core-group-role"
ACTION_HOW = f"{CANONICAL}/StructureDefinition/action-how"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"

ACTIVITY_STATUS = {
    "not-started": "not-started",
    "in-progress": "in-progress",
    "done": "completed",
    "cannot-be-done": "stopped",
}
# A need's progress at the latest core group that reviewed it (the meeting schema's
# needsReview) as a Goal's achievementStatus.
ACHIEVEMENT = {
    "achieved": ("achieved", "Achieved"),
    "on-track": ("in-progress", "In Progress"),
    "not-on-track": ("no-progress", "No Progress"),
    "cannot-be-carried-out": ("not-attainable", "Not Attainable"),
}
SEES = {
    "child": "Sees the child",
    "family": "Sees the family",
    "child-and-family": "Sees the child and the family",
}


def _uuid(case: Case, *key) -> str:
    """The same resource has the same id in every export of the case, in any installation."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join([CANONICAL, case.uid, *map(str, key)])))


def _ref(resource: dict) -> dict:
    return {"reference": f"urn:uuid:{resource['id']}"}


def _timestamp(value: dt.datetime) -> str:
    """A stored time (UTC, without a zone) as FHIR's instant: with its offset."""
    return value.replace(tzinfo=dt.UTC).isoformat(timespec="seconds")


def _period(start: dt.date | None, end: dt.date | None) -> dict | None:
    period = {k: v.isoformat() for k, v in (("start", start), ("end", end)) if v}
    return period or None


def _coding(system: str, code: str, display: str) -> dict:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def _labels(node: dict) -> dict[str, str]:
    return node.get("x-enum-labels", {})


def _plan_schema():
    return current_app.extensions["coregroup.schemas"]["child-protection-plan"]


def code_systems() -> dict[str, dict]:
    """This product's CodeSystems, by name: each at its canonical URL, complete."""
    from coregroup.schema import narrowed_options

    schema = _plan_schema()
    need = schema.resolve(schema.raw["$defs"]["need"])
    sides, areas = _labels(need["properties"]["side"]), _labels(need["properties"]["area"])
    by_side = narrowed_options(need, "area", "side")
    concerns = _labels(schema.at(("concerns", "categories")))

    def system(name: str, title: str, description: str, concepts: list[dict], **extra) -> dict:
        found = {
            "resourceType": "CodeSystem",
            "id": name,
            "url": f"{CANONICAL}/CodeSystem/{name}",
            "version": schema.version,
            "name": "".join(part.title() for part in name.split("-")),
            "title": title,
            "status": "active",
            "experimental": False,
            "publisher": "Core Group",
            "description": description,
            "caseSensitive": True,
            "content": "complete",
            "count": sum(1 + len(c.get("concept", [])) for c in concepts),
            "concept": concepts,
            **extra,
        }
        return CodeSystem.model_validate(found).model_dump(mode="json", exclude_none=True)

    return {
        "my-world-triangle": system(
            "my-world-triangle",
            "My World Triangle",
            "The sides of the My World Triangle (Getting it right for every child) and, under "
            "each, its areas: what a need in a child protection plan is about.",
            [
                {
                    "code": side,
                    "display": label,
                    "concept": [
                        {"code": area, "display": areas[area]} for area in by_side.get(side, [])
                    ],
                }
                for side, label in sides.items()
            ],
            hierarchyMeaning="grouped-by",
        ),
        "category-of-concern": system(
            "category-of-concern",
            "Categories of concern",
            "The categories of abuse or neglect a child protection conference records (some "
            "jurisdictions add financial abuse or exploitation).",
            [{"code": code, "display": label} for code, label in concerns.items()],
        ),
        "core-group-role": system(
            "core-group-role",
            "Core group roles",
            "The role of a member of a child's core group.",
            [{"code": code, "display": _role_display(code)} for code in ROLE_LABELS],
        ),
    }


def _english(label) -> str:
    from flask_babel import force_locale

    with force_locale("en_GB"):
        return str(label)


def _role_display(role: str) -> str:
    label = _english(ROLE_LABELS.get(role, role))
    return label[:1].upper() + label[1:]


def _restricted() -> dict:
    """A confidential member (e.g. a parent who fled abuse): their details are restricted."""
    return {"security": [{"system": CONFIDENTIALITY, "code": "R", "display": "restricted"}]}


def unresolved(bundle: dict) -> list[str]:
    """Every reference in the Bundle that names no entry's fullUrl (empty when all resolve)."""
    urls = {entry["fullUrl"] for entry in bundle.get("entry", [])}
    found = []

    def walk(node, where):
        if isinstance(node, dict):
            if isinstance(node.get("reference"), str) and node["reference"] not in urls:
                found.append(f"{where}: {node['reference']}")
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for n, value in enumerate(node):
                walk(value, f"{where}[{n}]")

    for n, entry in enumerate(bundle.get("entry", [])):
        walk(entry["resource"], f"entry[{n}]")
    return found


class _Export:
    """One case's Bundle, built resource by resource."""

    def __init__(self, case: Case, version: PlanVersion | None, viewer: Viewer):
        self.case, self.version, self.viewer = case, version, viewer
        self.document = version.document if version else {}
        self.entries: list[dict] = []
        self.members = sorted(case.members, key=lambda m: m.id)
        self.by_ref = {m.ref: m for m in self.members}

    def add(self, resource: dict) -> dict:
        self.entries.append(resource)
        return resource

    # --- people ---------------------------------------------------------------------------

    def telecom(self, member: Member) -> list[dict] | None:
        if not self.viewer.sees(member):
            return None
        use = "work" if not member.is_family else "home"
        found = [
            {"system": kind, "value": value, "use": use}
            for kind, value in (("email", member.email), ("phone", member.phone))
            if value
        ]
        return found or None

    def role_concept(self, member: Member) -> dict:
        return _coding(ROLE, member.role, _role_display(member.role))

    @cached_property
    def organisations(self) -> dict[str, dict]:
        found = {}
        for m in self.members:
            if not m.is_family and m.organisation and m.organisation not in found:
                found[m.organisation] = self.add(
                    {
                        "resourceType": "Organization",
                        "id": _uuid(self.case, "organisation", m.organisation),
                        "name": m.organisation,
                    }
                )
        return found

    @cached_property
    def patients(self) -> dict[int, dict]:
        found = {}
        for child in sorted(self.case.children, key=lambda c: c.id):
            identifiers = [{"use": "secondary", "system": CHILD_ID, "value": child.ref}]
            if child.nhs_number:
                identifiers.insert(
                    0, {"use": "official", "system": NHS_NUMBER, "value": child.nhs_number}
                )
            code = current_app.config.get("COREGROUP_LA_CODE")
            if child.local_id and code:
                identifiers.append(
                    {
                        "use": "usual",
                        "system": f"{CANONICAL}/Id/la-child-id/{code}",
                        "value": child.local_id,
                    }
                )
            patient = {
                "resourceType": "Patient",
                "id": _uuid(self.case, "child", child.ref),
                "identifier": identifiers,
                "name": [{"text": child.name}],
            }
            if child.date_of_birth:
                patient["birthDate"] = child.date_of_birth.isoformat()
            found[child.id] = self.add(patient)
        return found

    @cached_property
    def professionals(self) -> dict[str, dict]:
        """Member ref -> PractitionerRole (with its Practitioner)."""
        found = {}
        for m in self.members:
            if m.is_family:
                continue
            practitioner = self.add(
                {
                    "resourceType": "Practitioner",
                    "meta": _restricted() if m.confidential else None,
                    "id": _uuid(self.case, "practitioner", m.ref),
                    "name": [{"text": m.name}],
                    "telecom": self.telecom(m),
                }
            )
            role = {
                "resourceType": "PractitionerRole",
                "id": _uuid(self.case, "member", m.ref),
                "identifier": [{"system": MEMBER_ID, "value": m.ref}],
                "active": m.is_current,
                "period": _period(m.joined_on, m.left_on),
                "practitioner": _ref(practitioner),
                "code": [self.role_concept(m)],
            }
            if m.organisation:
                role["organization"] = _ref(self.organisations[m.organisation])
            found[m.ref] = self.add(role)
        return found

    def children_of(self, member: Member) -> list[Child]:
        """The children a family member is a parent or carer of (all, if none is recorded)."""
        return list(member.children) or sorted(self.case.children, key=lambda c: c.id)

    @cached_property
    def relatives(self) -> dict[tuple[str, int], dict]:
        """(member ref, child id) -> the member as that child's RelatedPerson, or the child's
        own Patient for a child who is a member."""
        found = {}
        for m in self.members:
            if not m.is_family:
                continue
            for child in self.children_of(m):
                if m.role == "child" and len(m.children) == 1:
                    found[(m.ref, child.id)] = self.patients[child.id]
                    continue
                relationship = [self.role_concept(m)]
                if m.role == "parent":
                    relationship.insert(0, _coding(ROLE_CODE, "PRN", "parent"))
                found[(m.ref, child.id)] = self.add(
                    {
                        "resourceType": "RelatedPerson",
                        "meta": _restricted() if m.confidential else None,
                        "id": _uuid(self.case, "relative", m.ref, child.ref),
                        "identifier": [{"system": MEMBER_ID, "value": m.ref}],
                        "active": m.is_current,
                        "patient": _ref(self.patients[child.id]),
                        "relationship": relationship,
                        "name": [{"text": m.name}],
                        "telecom": self.telecom(m),
                        "period": _period(m.joined_on, m.left_on),
                    }
                )
        return found

    def person(self, ref: str, child: Child) -> dict | None:
        """A member as they take part in this child's plan: a reference, or None."""
        if ref in self.professionals:
            return _ref(self.professionals[ref])
        if (ref, child.id) in self.relatives:
            return _ref(self.relatives[(ref, child.id)])
        return None

    def performer(self, ref: str, child: Child) -> dict | None:
        """Who does an action on this child's plan: a family member who is the parent of
        another of the children is named as that child's RelatedPerson (never left out)."""
        found = self.person(ref, child)
        if found is None:
            other = next((r for (m, _c), r in self.relatives.items() if m == ref), None)
            found = _ref(other) if other else None
        return found

    # --- the plan, per child ----------------------------------------------------------------

    def concerns(self, child: Child) -> bool:
        return lambda item: not item.get("children") or child.ref in item["children"]

    @cached_property
    def reviews(self) -> dict[str, tuple[dict, dt.date | None]]:
        """Need id -> its review at the latest completed core group that reviewed it."""
        from coregroup.meetings import services as meetings

        found = {}
        for meeting in meetings.meetings(self.case):
            if not meeting.is_completed:
                continue
            for need_id, review in (meeting.record.get("needsReview") or {}).items():
                if review.get("progress"):
                    found[need_id] = (review, meeting.date)
        return found

    def conditions(self, child: Child, plan: ChildPlan) -> list[dict]:
        labels = _labels(_plan_schema().at(("concerns", "categories")))
        summary = (self.document.get("concerns") or {}).get("summary")
        found = []
        for category in plan.categories or []:
            condition = {
                "resourceType": "Condition",
                "id": _uuid(self.case, "concern", child.ref, plan.number, category),
                "clinicalStatus": _coding(
                    CONDITION_CLINICAL,
                    "resolved" if plan.ended_on else "active",
                    "Resolved" if plan.ended_on else "Active",
                ),
                "verificationStatus": _coding(CONDITION_VERIFICATION, "confirmed", "Confirmed"),
                "category": [_coding(CONDITION_CATEGORY, "problem-list-item", "Problem List Item")],
                "code": _coding(CONCERN, category, labels.get(category, category)),
                "subject": _ref(self.patients[child.id]),
                "recordedDate": plan.started_on.isoformat(),
            }
            if plan.ended_on:
                condition["abatementDateTime"] = plan.ended_on.isoformat()
            if summary:
                condition["note"] = [{"text": summary}]
            found.append(self.add(condition))
        return found

    def goal(self, child: Child, plan: ChildPlan, need: dict, addresses: list[dict]) -> dict:
        schema = _plan_schema()
        need_schema = schema.resolve(schema.raw["$defs"]["need"])
        sides = _labels(need_schema["properties"]["side"])
        areas = _labels(need_schema["properties"]["area"])
        dates = [a["byWhen"] for a in need.get("actions", []) if a.get("byWhen")]
        target = {
            "measure": {"text": need.get("howMeasured") or "Whether the intended outcome is met"},
            "detailString": need.get("intendedOutcome"),
        }
        if dates:
            target["dueDate"] = max(dates)
        goal = {
            "resourceType": "Goal",
            "id": _uuid(self.case, "need", child.ref, need["id"]),
            "identifier": [{"system": f"{CANONICAL}/Id/need", "value": need["id"]}],
            "lifecycleStatus": "completed" if plan.ended_on else "active",
            "category": [
                _coding(TRIANGLE, need["side"], sides.get(need["side"], need["side"])),
                _coding(TRIANGLE, need["area"], areas.get(need["area"], need["area"])),
            ],
            "description": {"text": need.get("whatMustChange") or ""},
            "subject": _ref(self.patients[child.id]),
            "target": [target],
            "addresses": [_ref(c) for c in addresses] or None,
        }
        notes = []
        if need.get("why"):
            notes.append({"text": f"Why: {need['why']}"})
        reviewed = self.reviews.get(need["id"])
        if reviewed:
            review, on = reviewed
            code, display = ACHIEVEMENT[review["progress"]]
            goal["achievementStatus"] = _coding(GOAL_ACHIEVEMENT, code, display)
            if on:
                goal["statusDate"] = on.isoformat()
            if review.get("comment"):
                note = {"text": review["comment"]}
                if on:
                    note["time"] = dt.datetime.combine(on, dt.time(), dt.UTC).isoformat()
                notes.append(note)
        goal["note"] = notes or None
        return self.add(goal)

    def activity(self, child: Child, action: dict, goal: dict) -> dict:
        status = action.get("status") or "not-started"
        detail = {
            "status": ACTIVITY_STATUS.get(status, "unknown"),
            "description": action.get("what"),
            "goal": [_ref(goal)],
            "performer": [p for p in (self.performer(r, child) for r in action.get("who", [])) if p]
            or None,
        }
        if action.get("byWhen"):
            detail["scheduledPeriod"] = {"end": action["byWhen"]}
        if status == "cannot-be-done" and action.get("reasonNotPossible"):
            detail["statusReason"] = {"text": action["reasonNotPossible"]}
        if action.get("how"):
            detail["extension"] = [{"url": ACTION_HOW, "valueString": action["how"]}]
        return {"detail": detail}

    def visit(self, child: Child, contact: dict, running: bool) -> dict | None:
        performer = self.performer(contact["member"], child)
        if performer is None:
            return None
        detail = {
            "kind": "Appointment",
            "code": {"text": SEES.get(contact.get("sees"), "Visits")},
            "status": "in-progress" if running else "completed",
            "scheduledString": contact.get("howOften"),
            "performer": [performer],
        }
        if contact.get("why"):
            detail["reasonCode"] = [{"text": contact["why"]}]
        return {"detail": detail}

    def care_team(self, child: Child, running: bool) -> dict:
        responsibilities = {
            r["member"]: r["responsibilities"] for r in self.document.get("roles", [])
        }
        participants = []
        for m in self.members:
            who = self.person(m.ref, child)
            if who is None:
                continue
            role = [self.role_concept(m)]
            if responsibilities.get(m.ref):
                role.append({"text": responsibilities[m.ref]})
            participant = {"role": role, "member": who, "period": _period(m.joined_on, m.left_on)}
            if not m.is_family and m.organisation:
                participant["onBehalfOf"] = _ref(self.organisations[m.organisation])
            participants.append(participant)
        return self.add(
            {
                "resourceType": "CareTeam",
                "id": _uuid(self.case, "core-group", child.ref),
                "status": "active" if running else "inactive",
                "name": "Core group",
                "subject": _ref(self.patients[child.id]),
                "participant": participants,
            }
        )

    def care_plan(self, child: Child, plan: ChildPlan) -> dict:
        from coregroup import rules

        running = plan.ended_on is None and not self.case.is_closed
        doc = self.document
        team = self.care_team(child, running)
        conditions = self.conditions(child, plan)
        concerns = self.concerns(child)
        goals, activities = [], []
        for need in filter(concerns, doc.get("needs", [])):
            goal = self.goal(child, plan, need, conditions)
            goals.append(goal)
            for action in filter(concerns, need.get("actions", [])):
                activities.append(self.activity(child, action, goal))
        for contact in doc.get("contacts", []):
            visit = self.visit(child, contact, running)
            if visit:
                activities.append(visit)
        labels = _labels(_plan_schema().at(("concerns", "categories")))
        words = rules.profile(self.case.jurisdiction).words.get("plan", "child protection plan")
        if plan.ended_on is None:
            status = "completed" if self.case.is_closed else "active"
        else:
            status = "completed" if plan.end_reason == "no-longer-at-risk" else "revoked"
        lead = next((m for m in self.members if m.is_lead and m.ref in self.professionals), None)
        care_plan = {
            "resourceType": "CarePlan",
            "id": _uuid(self.case, "plan", child.ref, plan.number),
            "identifier": [{"system": PLAN_ID, "value": f"{child.ref}/{plan.number}"}],
            "status": status,
            "intent": "plan",
            "category": [_coding(CONCERN, c, labels.get(c, c)) for c in plan.categories or []]
            or None,
            "title": words[:1].upper() + words[1:],
            "description": doc.get("aims"),
            "subject": _ref(self.patients[child.id]),
            "period": _period(plan.started_on, plan.ended_on),
            "author": _ref(self.professionals[lead.ref]) if lead else None,
            "careTeam": [_ref(team)],
            "addresses": [_ref(c) for c in conditions] or None,
            "goal": [_ref(g) for g in goals] or None,
            "activity": activities or None,
        }
        if self.version:
            care_plan["created"] = _timestamp(self.version.created_at)
        notes = []
        if doc.get("contingency"):
            notes.append({"authorString": "Contingency plan", "text": doc["contingency"]})
        if doc.get("childViews"):
            # The plan has one "what the child thinks" for the case: the child's own words
            # when there is one child; with siblings, whose words they are is not recorded.
            if len(self.case.children) == 1:
                notes.append(
                    {"authorReference": _ref(self.patients[child.id]), "text": doc["childViews"]}
                )
            else:
                notes.append({"authorString": "The children's views", "text": doc["childViews"]})
        for ref, view in (doc.get("familyViews") or {}).items():
            member = self.by_ref.get(ref)
            if not view.get("views") or member is None:
                continue
            author = self.person(ref, child)
            if author is None:
                continue  # a parent of another of the children: their views are on that plan
            notes.append({"authorReference": author, "text": view["views"]})
        care_plan["note"] = notes or None
        return self.add(care_plan)

    def bundle(self) -> dict:
        self.patients, self.organisations, self.professionals, self.relatives  # noqa: B018
        for child in sorted(self.case.children, key=lambda c: c.id):
            if child.plans:
                self.care_plan(child, child.plans[-1])
        stamp = self.version.created_at if self.version else dt.datetime.now(dt.UTC)
        bundle = {
            "resourceType": "Bundle",
            "id": _uuid(self.case, "bundle", self.version.number if self.version else 0),
            "identifier": {
                "system": EXPORT_ID,
                "value": f"{self.case.uid}/{self.version.number if self.version else 0}",
            },
            "type": "collection",
            "timestamp": _timestamp(stamp.replace(tzinfo=None)),
            "entry": [
                {"fullUrl": f"urn:uuid:{r['id']}", "resource": _pruned(r)} for r in self.entries
            ],
        }
        # Checked against the FHIR models, and every reference resolved, before it leaves: a
        # Bundle that fails either is a bug here.
        checked = Bundle.model_validate(bundle).model_dump(mode="json", exclude_none=True)
        missing = unresolved(checked)
        if missing:
            raise AssertionError(f"unresolved references: {missing}")
        return checked


def _pruned(resource: dict) -> dict:
    """Without empty values (FHIR allows no empty elements)."""
    if isinstance(resource, dict):
        found = {k: _pruned(v) for k, v in resource.items()}
        return {k: v for k, v in found.items() if v not in (None, "", [], {})}
    if isinstance(resource, list):
        return [v for v in (_pruned(v) for v in resource) if v not in (None, "", [], {})]
    return resource


def bundle(case: Case, version: PlanVersion | None, viewer: Viewer) -> dict:
    """The case's plan as a FHIR R4 collection Bundle (see the module's docstring)."""
    return _Export(case, version, viewer).bundle()
