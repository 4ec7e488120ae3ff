"""A whole case as JSON, out and in again without loss; and the standard formats built on it
(NDJSON in bulk, HL7 FHIR R4 CarePlan bundles, Children in Need census CSV rows)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from stdnum.gb import nhs

from coregroup import textpolicy
from coregroup.api.schemas import ContactSchema, MemberSchema
from coregroup.contacts import Viewer
from coregroup.extensions import db
from coregroup.models import (
    ArrangedMeeting,
    Case,
    Child,
    ChildPlan,
    Circulation,
    ConferenceRequest,
    Meeting,
    Member,
    PlanVersion,
    ReviewConference,
    User,
)
from coregroup.plans import services as plan_services
from coregroup.plans import translations
from coregroup.schema import SchemaError, pointer

FORMAT = "https://coregroup.example/schemas/case-export/1.3.0.json"
FORMAT_1_0 = "https://coregroup.example/schemas/case-export/1.0.0.json"
# Exports from installations not yet upgraded: read under their own schema, then upgraded.
EARLIER_FORMATS = {
    FORMAT_1_0: "1.0.0",
    "https://coregroup.example/schemas/case-export/1.1.0.json": "1.1.0",
    "https://coregroup.example/schemas/case-export/1.2.0.json": "1.2.0",
}


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _time(value: dt.datetime | None) -> str | None:
    """A stored time (UTC, kept without a zone) as RFC 3339, with its offset."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC).isoformat(timespec="microseconds")


def _parse_date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _parse_time(value: str | None) -> dt.datetime | None:
    """An RFC 3339 time, at any offset, as the UTC time this service stores."""
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


def child_json(child: Child) -> dict:
    """A child and their plans, as exports and the API give them."""
    return {
        "id": child.ref,
        "name": child.name,
        "dateOfBirth": _date(child.date_of_birth),
        "expectedOn": _date(child.expected_on),
        "addedOn": _date(child.added_on),
        "nhsNumber": child.nhs_number,
        "localId": child.local_id,
        "family": [m.ref for m in child.family],
        "plans": [
            {
                "number": p.number,
                "categories": list(p.categories or []),
                "initialCategories": list(p.initial_categories or []),
                "startedOn": p.started_on.isoformat(),
                "endedOn": _date(p.ended_on),
                "endReason": p.end_reason,
                "endNote": p.end_note,
                "endedBy": None,  # filled in by the export, which numbers the conferences
            }
            for p in child.plans
        ],
        "previousPlans": child.previous_plans,
    }


def export_case(case: Case, viewer: Viewer) -> dict:
    """Everything of the case another installation needs; valid against the export schema.

    Contact details (and the addresses plans were sent to) only where `viewer` may see them
    (coregroup.contacts): the lead social worker's export holds them all."""
    versions = db.session.scalars(
        select(PlanVersion).where(PlanVersion.case_id == case.id).order_by(PlanVersion.number)
    )
    meetings = db.session.scalars(
        select(Meeting)
        .where(Meeting.case_id == case.id)
        .order_by(Meeting.number)
        .options(selectinload(Meeting.circulations).selectinload(Circulation.member))
    )
    conferences = {r.id: n for n, r in enumerate(case.review_conferences, start=1)}
    children = []
    for child in sorted(case.children, key=lambda c: c.id):
        entry = child_json(child)
        for plan, row in zip(entry["plans"], child.plans, strict=True):
            plan["endedBy"] = conferences.get(row.ended_by_id)
        children.append(entry)
    requests = db.session.scalars(
        select(ConferenceRequest)
        .where(ConferenceRequest.case_id == case.id)
        .order_by(ConferenceRequest.id)  # the order they were made: kept by an import
    )
    refs_of_users = {m.user_id: m.ref for m in case.members if m.user_id}
    return {
        "format": FORMAT,
        "case": {
            "uid": case.uid,
            "reference": case.reference,
            "jurisdiction": case.jurisdiction,
            "status": case.status,
            "closedOn": _date(case.closed_on),
            "initialConference": _date(case.initial_conference),
            "firstCoreGroupOn": _date(case.first_core_group_on),
            "coreGroupEveryWeeks": case.core_group_every_weeks,
            "ruleOverrides": case.rule_overrides,
            "createdAt": _time(case.created_at),
        },
        "children": children,
        "reviewConferences": [
            {
                "number": conferences[r.id],
                "heldOn": r.held_on.isoformat(),
                "chair": r.chair,
                "outcomes": r.outcomes or {},
                "nextReviewOn": _date(r.next_review_on),
                "recordedAt": _time(r.recorded_at),
            }
            for r in case.review_conferences
        ],
        "conferenceRequests": [
            {
                "requestedOn": q.requested_on.isoformat(),
                "meeting": q.meeting_number,
                "reason": q.reason,
                "answeredBy": conferences.get(q.answered_by_id),
            }
            for q in requests
        ],
        "arrangedMeetings": [
            {
                "slot": a.slot,
                "uid": a.uid,
                "sequence": a.sequence,
                "date": a.date.isoformat(),
                "time": a.time,
                "location": a.location,
                "status": a.status,
                "reason": a.reason,
                "changedAt": _time(a.changed_at),
                "changedBy": refs_of_users.get(a.changed_by_id),
            }
            for a in case.arranged_meetings
        ],
        "members": [
            MemberSchema().dump(m)
            | ContactSchema().dump(viewer.contact(m))
            | {"language": m.language}
            for m in sorted(case.members, key=lambda m: m.id)
        ],
        "planVersions": [
            {
                "number": v.number,
                "createdAt": _time(v.created_at),
                "author": v.author_ref,
                "schemaVersion": v.schema_version,
                "note": v.note,
                "changes": v.changes or [],
                "document": getattr(v, "stored_document", v.document),  # as written
            }
            for v in versions
        ],
        "meetings": [
            {
                "number": m.number,
                "kind": m.kind,
                "status": m.status,
                "record": m.record,
                "reviewedPlanVersion": m.reviewed_plan_number,
                "planVersion": m.plan_number,
                "createdAt": _time(m.created_at),
                "completedAt": _time(m.completed_at),
                "completedBy": m.completed_by_ref,
                "circulations": [
                    {
                        "member": c.member.ref,
                        "method": c.method,
                        "address": viewer.address_of(c.member, c.address),
                        "sentAt": _time(c.sent_at),
                        "sentBy": c.sent_by_ref,
                        "error": c.error,
                        "receivedAt": _time(c.received_at),
                        "agrees": c.agrees,
                        "disagreement": c.disagreement,
                    }
                    for c in m.circulations
                ],
            }
            for m in meetings
        ],
    }


class ImportRefused(Exception):
    """The export cannot be imported: every problem, each with a JSON Pointer."""

    def __init__(self, errors: list[dict], status: int = 422):
        super().__init__(errors[0]["message"] if errors else "refused")
        self.errors, self.status = errors, status


def _problem(where: str, code: str, message: str) -> dict:
    return {"pointer": where, "code": code, "message": message}


def _expected(error: SchemaError) -> str:
    """What the schema expected, for the integrator who sent the file."""
    limit = error.limit
    if error.code == "enum" and isinstance(limit, list):
        return "Must be one of: " + ", ".join(json.dumps(v) for v in limit) + "."
    if error.code == "const":
        return f"Must be {json.dumps(limit)}."
    if error.code == "pattern" and isinstance(limit, str):
        return f"Not in the right form: it must match {limit}."
    if error.code == "format" and isinstance(limit, str):
        return {
            "date": "Not a date: give YYYY-MM-DD.",
            "date-time": (
                "Not a time: give RFC 3339 with its offset, e.g. 2026-12-07T10:00:00+00:00."
            ),
        }.get(limit, f"Not a valid {limit}.")
    if error.code == "required":
        return "Missing: it is required."
    if error.code == "additionalProperties":
        return "Not part of this format."
    if error.code in ("maxLength", "minLength", "maximum", "minimum", "maxItems", "minItems"):
        return f"Not valid here ({error.code} {limit})."
    return f"Not valid here ({error.code})."


def _schema_problems(errors: list[SchemaError], prefix: str = "") -> list[dict]:
    return [_problem(prefix + e.pointer, e.code, _expected(e)) for e in errors]


def _text_problems(node, where: list) -> list[dict]:
    """Text the policy refuses (coregroup.textpolicy), anywhere, by name: an export read from a
    file gets the same answer as one sent to the API."""
    if isinstance(node, str):
        reason = textpolicy.problem(node)
        return [_problem(pointer(where), "text", textpolicy.message(reason))] if reason else []
    if isinstance(node, dict):
        found = []
        for key, value in node.items():
            reason = textpolicy.problem(key)
            if reason:
                found.append(_problem(pointer([*where, key]), "text", textpolicy.message(reason)))
            found += _text_problems(value, [*where, key])
        return found
    if isinstance(node, list):
        return [p for n, item in enumerate(node) for p in _text_problems(item, [*where, n])]
    return []


def _can_upgrade(version: str) -> bool:
    from coregroup.schema_upgrades import CannotUpgrade, upgrade

    current = current_app.extensions["coregroup.schemas"]["child-protection-plan"].version
    try:
        upgrade("child-protection-plan", {}, version, current)
    except CannotUpgrade:
        return False
    return True


def _time_problems(data: dict) -> list[dict]:
    """Dates and times shaped right but not real (2024-02-30, 25:61): named, never a 500."""
    found = []

    def real(where: str, value, parse):
        if value is None:
            return
        try:
            parse(value)
        except ValueError:
            found.append(_problem(where, "format", "Not a real date or time."))

    head = data["case"]
    for key in ("initialConference", "firstCoreGroupOn", "lastReviewConference", "closedOn"):
        real(f"/case/{key}", head.get(key), dt.date.fromisoformat)
    real("/case/createdAt", head.get("createdAt"), dt.datetime.fromisoformat)
    for n, child in enumerate(data["children"]):
        for key in ("dateOfBirth", "expectedOn", "addedOn"):
            real(f"/children/{n}/{key}", child.get(key), dt.date.fromisoformat)
    for n, review in enumerate(data.get("reviewConferences", [])):
        for key in ("heldOn", "nextReviewOn"):
            real(f"/reviewConferences/{n}/{key}", review.get(key), dt.date.fromisoformat)
        real(
            f"/reviewConferences/{n}/recordedAt",
            review.get("recordedAt"),
            dt.datetime.fromisoformat,
        )
    for n, request in enumerate(data.get("conferenceRequests", [])):
        real(
            f"/conferenceRequests/{n}/requestedOn",
            request.get("requestedOn"),
            dt.date.fromisoformat,
        )
    for n, member in enumerate(data["members"]):
        for key in ("joined", "left"):
            real(f"/members/{n}/{key}", member.get(key), dt.date.fromisoformat)
    for n, version in enumerate(data["planVersions"]):
        real(f"/planVersions/{n}/createdAt", version.get("createdAt"), dt.datetime.fromisoformat)
    for n, meeting in enumerate(data["meetings"]):
        for key in ("createdAt", "completedAt"):
            real(f"/meetings/{n}/{key}", meeting.get(key), dt.datetime.fromisoformat)
        for c, sent in enumerate(meeting["circulations"]):
            for key in ("sentAt", "receivedAt"):
                real(
                    f"/meetings/{n}/circulations/{c}/{key}",
                    sent.get(key),
                    dt.datetime.fromisoformat,
                )
    return found


def upgraded(data: dict) -> dict:
    """An earlier export as the current version (coregroup.schema_upgrades); a current one as
    it is."""
    import copy

    from coregroup.schema_upgrades import upgrade

    version = EARLIER_FORMATS.get(data.get("format"))
    if version is None:
        return data
    current = current_app.extensions["coregroup.schemas"]["case-export"].version
    return upgrade("case-export", copy.deepcopy(data), version, current)


def _children_problems(data: dict) -> list[dict]:
    """What the schema cannot say of the children, their plans and the conferences."""
    found = []
    members = {m["id"] for m in data["members"] if m["role"] in ("parent", "carer", "child")}
    refs = [c["id"] for c in data["children"]]
    if len(set(refs)) != len(refs):
        found.append(_problem("/children", "unique", "Each child id must be different."))
    numbers = [r["number"] for r in data["reviewConferences"]]
    if numbers != list(range(1, len(numbers) + 1)):
        found.append(_problem("/reviewConferences", "numbers", "Conferences are numbered 1, 2, 3…"))
    held = [r["heldOn"] for r in data["reviewConferences"]]
    for n in range(1, len(held)):
        if held[n] < held[n - 1]:
            found.append(
                _problem(
                    f"/reviewConferences/{n}/heldOn",
                    "order",
                    "Conferences are numbered in the order they were held.",
                )
            )
    for n, child in enumerate(data["children"]):
        where = f"/children/{n}"
        number = child.get("nhsNumber")
        if number and (not nhs.is_valid(number) or len(set(number)) == 1):
            found.append(_problem(f"{where}/nhsNumber", "check-digit", "Not a real NHS number."))
        elif number and number in [c.get("nhsNumber") for c in data["children"][:n]]:
            found.append(
                _problem(f"{where}/nhsNumber", "unique", "Another child has this NHS number.")
            )
        for m, ref in enumerate(child.get("family", [])):
            if ref not in members:
                found.append(
                    _problem(f"{where}/family/{m}", "member", "Not a family member of the case.")
                )
        plans = child["plans"]
        ended = sum(1 for p in plans if p.get("endedOn"))
        if "previousPlans" in child and child["previousPlans"] != ended:
            found.append(
                _problem(f"{where}/previousPlans", "count", "Not the number of ended plans.")
            )
        if [p["number"] for p in plans] != list(range(1, len(plans) + 1)):
            found.append(_problem(f"{where}/plans", "numbers", "Plans are numbered 1, 2, 3…"))
        for k, plan in enumerate(plans):
            here = f"{where}/plans/{k}"
            real = True
            for key in ("startedOn", "endedOn"):
                try:
                    _parse_date(plan.get(key))
                except ValueError:
                    found.append(_problem(f"{here}/{key}", "format", "Not a real date."))
                    real = False
            if real and plan.get("endedOn") and plan["endedOn"] < plan["startedOn"]:
                found.append(
                    _problem(f"{here}/endedOn", "order", "A plan cannot end before it started.")
                )
            if plan.get("endedOn") is None and k != len(plans) - 1:
                found.append(
                    _problem(f"{here}/endedOn", "running", "Only a child's newest plan can run.")
                )
            if plan.get("endedBy") and plan["endedBy"] not in numbers:
                found.append(_problem(f"{here}/endedBy", "conference", "No such conference."))
    plans_of = {c["id"]: {p["number"] for p in c["plans"]} for c in data["children"]}
    held = {r["number"]: r["heldOn"] for r in data["reviewConferences"]}
    for n, child in enumerate(data["children"]):
        for k, plan in enumerate(child["plans"]):
            if plan.get("endedBy") in held and held[plan["endedBy"]] != plan.get("endedOn"):
                found.append(
                    _problem(
                        f"/children/{n}/plans/{k}/endedOn",
                        "conference",
                        "Not the day of the conference that ended it.",
                    )
                )
    for n, review in enumerate(data["reviewConferences"]):
        where = f"/reviewConferences/{n}"
        if review.get("nextReviewOn") and review["nextReviewOn"] <= review["heldOn"]:
            found.append(
                _problem(f"{where}/nextReviewOn", "order", "The next review is after this one.")
            )
        for ref, outcome in review["outcomes"].items():
            if ref not in refs:
                found.append(_problem(f"{where}/outcomes/{ref}", "child", "Not a child."))
            elif outcome.get("plan") and outcome["plan"] not in plans_of[ref]:
                found.append(
                    _problem(f"{where}/outcomes/{ref}/plan", "plan", "The child has no such plan.")
                )
    uids = [a["uid"] for a in data.get("arrangedMeetings", [])]
    if len(set(uids)) != len(uids):
        found.append(_problem("/arrangedMeetings", "unique", "Each meeting's uid is different."))
    meetings = {m["number"] for m in data["meetings"]}
    meeting_days = {
        m["number"]: m["record"]["date"]
        for m in data["meetings"]
        if isinstance(m["record"].get("date"), str)
    }
    for n, request in enumerate(data["conferenceRequests"]):
        if request.get("answeredBy") and request["answeredBy"] not in numbers:
            found.append(
                _problem(f"/conferenceRequests/{n}/answeredBy", "conference", "No such conference.")
            )
        if request.get("meeting") and request["meeting"] not in meetings:
            found.append(
                _problem(f"/conferenceRequests/{n}/meeting", "meeting", "No such meeting.")
            )
        elif (meeting_days.get(request.get("meeting")) or "") > request["requestedOn"]:
            found.append(
                _problem(
                    f"/conferenceRequests/{n}/requestedOn",
                    "order",
                    "A request is made at or after the meeting that made it.",
                )
            )
    head = data["case"]
    closed, opened = head.get("closedOn"), head.get("initialConference")
    if closed and opened and closed < opened:
        found.append(_problem("/case/closedOn", "order", "A case closes after its conference."))
    running = any(p.get("endedOn") is None for c in data["children"] for p in c["plans"])
    if data["case"]["status"] == "closed" and running:
        found.append(_problem("/case/status", "closed", "A closed case has no plan running."))
    return found


_INSIDE = re.compile(r"^/(planVersions/[0-9]+/document|meetings/[0-9]+/record)(/|$)")


def check(data) -> list[dict]:
    """Every reason `data` cannot be imported (empty when it can), as JSON Pointers."""
    schemas = current_app.extensions["coregroup.schemas"]
    if not isinstance(data, dict):
        return [_problem("", "type", "An export is a JSON object.")]
    earlier = EARLIER_FORMATS.get(data.get("format"))
    if earlier:  # an export from an installation not yet upgraded
        problems = _schema_problems(schemas.version("case-export", earlier).errors(data))
        problems += _text_problems(data, [])
        problems += [] if problems else _time_problems(data)
        if problems:
            return problems
        data = upgraded(data)
    problems = _schema_problems(schemas["case-export"].errors(data))
    problems += _text_problems(data, [])
    # A plan document or a meeting record that breaks its own schema leaves the rest of the
    # export readable: those are named with everything else that is wrong.
    inside = [p for p in problems if _INSIDE.match(p["pointer"])]
    if len(inside) < len(problems):
        return problems
    problems += _time_problems(data)
    if len(inside) < len(problems):
        return problems
    problems += _children_problems(data)
    refs = [m["id"] for m in data["members"]]
    known = set(refs)
    if len(known) != len(refs):
        problems.append(_problem("/members", "unique", "Each member id must be different."))
    numbers = [v["number"] for v in data["planVersions"]]
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(_problem("/planVersions", "numbers", "Versions are numbered 1, 2, 3…"))
    for n, version in enumerate(data["planVersions"]):
        where = f"/planVersions/{n}"
        written_under = schemas.version("child-protection-plan", version["schemaVersion"])
        if written_under is not None and not _can_upgrade(version["schemaVersion"]):
            written_under = None
        if written_under is None:
            problems.append(
                _problem(f"{where}/schemaVersion", "unknown", "No such plan schema version here.")
            )
        else:  # the document was checked against its schema by the export's own $ref
            if written_under is schemas["child-protection-plan"]:
                problems += _schema_problems(
                    translations.errors(written_under, version["document"]), f"{where}/document"
                )
            problems += [
                _problem(f"{where}/document{e.pointer}", e.code, "Another item has this id.")
                for e in plan_services.duplicate_ids(version["document"])
            ]
        if version.get("author") and version["author"] not in known:
            problems.append(_problem(f"{where}/author", "member", "Not a member of this case."))
    meeting_numbers = [m["number"] for m in data["meetings"]]
    if len(set(meeting_numbers)) != len(meeting_numbers):
        problems.append(_problem("/meetings", "unique", "Each meeting number must be different."))
    for n, meeting in enumerate(data["meetings"]):
        where = f"/meetings/{n}"
        for key in ("reviewedPlanVersion", "planVersion"):
            if meeting.get(key) and meeting[key] not in numbers:
                problems.append(_problem(f"{where}/{key}", "version", "No such plan version."))
        if meeting.get("completedBy") and meeting["completedBy"] not in known:
            problems.append(_problem(f"{where}/completedBy", "member", "Not a member."))
        for c, sent in enumerate(meeting["circulations"]):
            for key in ("member", "sentBy"):
                if sent.get(key) and sent[key] not in known:
                    problems.append(
                        _problem(f"{where}/circulations/{c}/{key}", "member", "Not a member.")
                    )
    return problems


def import_case(data, importer: User) -> Case:
    """Create the case from an export, all or nothing; raises ImportRefused with every problem.

    Only a professional may import, and must be a professional member of the case (by e-mail).
    Their membership is linked to their account; nobody else's is: other members are invited
    from the case as usual, so no one is added to a case, or named as an author, unawares."""
    from coregroup.access import can_open_cases, role_may

    problems = check(data)
    if not problems:
        data = upgraded(data)
    if not can_open_cases(importer):
        raise ImportRefused([_problem("", "forbidden", "Only professionals import cases.")], 403)
    mine = [
        n
        for n, m in enumerate(data.get("members", []) if not problems else [])
        if (m.get("email") or "").strip().lower() == importer.email
        and m["role"] in SOCIAL_WORK_ROLES
        and role_may(m["role"], "case.export")
        and not m.get("left")
    ]
    if not problems and not mine:
        problems.append(
            _problem(
                "/members",
                "importer",
                "You must be a current social worker in the case you import: the receiving "
                "authority's social worker, added to the core group before it was exported.",
            )
        )
    if problems:
        raise ImportRefused(problems)
    held = held_already(data)
    if held:
        raise ImportRefused([held], status=409)
    importer_ref = data["members"][mine[0]]["id"]
    head = data["case"]
    case = Case(
        uid=head["uid"],
        reference=head["reference"],
        jurisdiction=head["jurisdiction"],
        status=head["status"],
        closed_on=_parse_date(head.get("closedOn")),
        initial_conference=_parse_date(head.get("initialConference")),
        first_core_group_on=_parse_date(head.get("firstCoreGroupOn")),
        core_group_every_weeks=head.get("coreGroupEveryWeeks"),
        rule_overrides=head.get("ruleOverrides"),
        created_at=_parse_time(head["createdAt"]),
    )
    conferences = {
        r["number"]: ReviewConference(
            held_on=_parse_date(r["heldOn"]),
            chair=r.get("chair"),
            outcomes=r["outcomes"],
            next_review_on=_parse_date(r.get("nextReviewOn")),
            recorded_at=_parse_time(r["recordedAt"]),
        )
        for r in data["reviewConferences"]
    }
    case.review_conferences = list(conferences.values())
    children = {}
    for c in data["children"]:
        children[c["id"]] = Child(
            ref=c["id"],
            name=c["name"],
            date_of_birth=_parse_date(c.get("dateOfBirth")),
            expected_on=_parse_date(c.get("expectedOn")),
            added_on=_parse_date(c.get("addedOn")),
            nhs_number=c.get("nhsNumber"),
            local_id=c.get("localId"),
            plans=[
                ChildPlan(
                    number=p["number"],
                    categories=p["categories"],
                    initial_categories=p["initialCategories"],
                    started_on=_parse_date(p["startedOn"]),
                    ended_on=_parse_date(p.get("endedOn")),
                    end_reason=p.get("endReason"),
                    end_note=p.get("endNote"),
                )
                for p in c["plans"]
            ],
        )
    case.children = list(children.values())
    members = {}
    for m in data["members"]:
        account = importer if m["id"] == importer_ref else None
        members[m["id"]] = Member(
            ref=m["id"],
            name=m["name"],
            role=m["role"],
            organisation=m.get("organisation"),
            email=m.get("email"),
            phone=m.get("phone"),
            address=m.get("address"),
            confidential=bool(m.get("confidential")),
            language=m.get("language"),
            joined_on=_parse_date(m.get("joined")),
            left_on=_parse_date(m.get("left")),
            co_opted=m.get("coOpted", False),
            user=account,
        )
    case.members = list(members.values())
    # Into the session in the file's order before any child names its family: otherwise the
    # children's cascade adds those members first, they get the first ids, and the next export
    # (members in id order) lists them in another order (found by the round-trip test).
    db.session.add_all(case.members)
    _receiving_lead(members, importer_ref)
    for c in data["children"]:
        children[c["id"]].family = [members[ref] for ref in c.get("family", [])]
    db.session.add(case)
    db.session.flush()
    for c in data["children"]:
        for plan, p in zip(children[c["id"]].plans, c["plans"], strict=True):
            if p.get("endedBy"):
                plan.ended_by_id = conferences[p["endedBy"]].id
    for a in data.get("arrangedMeetings", []):
        changed_by = members.get(a.get("changedBy")) if a.get("changedBy") else None
        case.arranged_meetings.append(
            ArrangedMeeting(
                slot=a["slot"],
                uid=a["uid"],
                sequence=a["sequence"],
                date=_parse_date(a["date"]),
                time=a.get("time"),
                location=a.get("location"),
                status=a["status"],
                reason=a.get("reason"),
                changed_at=_parse_time(a["changedAt"]),
                changed_by_id=changed_by.user_id if changed_by is not None else None,
            )
        )
    for q in data["conferenceRequests"]:
        answered = conferences.get(q.get("answeredBy"))
        db.session.add(
            ConferenceRequest(
                case_id=case.id,
                requested_on=_parse_date(q["requestedOn"]),
                meeting_number=q.get("meeting"),
                reason=q.get("reason"),
                answered_by_id=answered.id if answered else None,
            )
        )

    def user_of(ref):
        member = members.get(ref) if ref else None
        return member.user_id if member is not None else None

    for v in data["planVersions"]:
        db.session.add(
            PlanVersion(
                case_id=case.id,
                number=v["number"],
                document=v["document"],
                schema_version=v["schemaVersion"],
                author_id=user_of(v.get("author")),
                author_ref=v.get("author"),
                created_at=_parse_time(v["createdAt"]),
                changes=v["changes"],
                note=v.get("note"),
            )
        )
    for m in data["meetings"]:
        meeting = Meeting(
            case_id=case.id,
            number=m["number"],
            kind=m["kind"],
            status=m["status"],
            record=m["record"],
            reviewed_plan_number=m.get("reviewedPlanVersion"),
            plan_number=m.get("planVersion"),
            created_at=_parse_time(m["createdAt"]),
            completed_at=_parse_time(m.get("completedAt")),
            completed_by_id=user_of(m.get("completedBy")),
            completed_by_ref=m.get("completedBy"),
        )
        meeting.circulations = [
            Circulation(
                member=members[c["member"]],
                method=c["method"],
                address=c.get("address"),
                sent_at=_parse_time(c["sentAt"]),
                sent_by_id=user_of(c.get("sentBy")),
                sent_by_ref=c.get("sentBy"),
                error=c.get("error"),
                received_at=_parse_time(c.get("receivedAt")),
                agrees=c.get("agrees"),
                disagreement=c.get("disagreement"),
            )
            for c in m["circulations"]
        ]
        db.session.add(meeting)
    db.session.flush()
    return case


SOCIAL_WORK_ROLES = ("lead-social-worker", "social-worker")


def _receiving_lead(members: dict[str, Member], importer_ref: str) -> None:
    """The social worker who imports the case leads it here: the sending authority's lead
    stays in the core group as a social worker (invited like everyone, and free to leave)."""
    importer = members[importer_ref]
    if importer.role == "lead-social-worker":
        return
    for member in members.values():
        if member.role == "lead-social-worker":
            member.role = "social-worker"
    importer.role = "lead-social-worker"


def invite_members(case: Case, importer: User) -> int:
    """Members are mapped by e-mail: each current member with an address, not yet linked to
    an account, is invited there (a link, never a silent link of an account). How many were
    e-mailed."""
    from coregroup.cases import invitations

    sent = 0
    if case.is_closed:
        return sent  # nothing to join: it is readable by the importer, who is linked
    for member in case.members:
        if member.user_id is None and member.email and member.is_current:
            sent += invitations.send(member, importer).emailed
    return sent


def held_already(data: dict) -> dict | None:
    """Why this installation holds the case already, or None. A case is the same case when its
    uid is the same (made once, where it was opened, and carried by every export), or its
    reference, or any of its members' or children's ids (random, made where they were added)."""
    head = data["case"]
    if db.session.scalar(select(Case.id).where(Case.uid == head["uid"])):
        return _problem("/case/uid", "exists", "This case is already here.")
    if db.session.scalar(select(Case.id).where(Case.reference == head["reference"])):
        return _problem("/case/reference", "exists", "A case with this reference is already here.")
    refs = [m["id"] for m in data["members"]]
    if db.session.scalar(select(Member.id).where(Member.ref.in_(refs)).limit(1)):
        return _problem("/members", "exists", "Members of this case are already here.")
    kids = [c["id"] for c in data["children"]]
    if kids and db.session.scalar(select(Child.id).where(Child.ref.in_(kids)).limit(1)):
        return _problem("/children", "exists", "Children of this case are already here.")
    uids = [a["uid"] for a in data.get("arrangedMeetings", [])]
    if uids and db.session.scalar(
        select(ArrangedMeeting.id).where(ArrangedMeeting.uid.in_(uids)).limit(1)
    ):
        return _problem("/arrangedMeetings", "exists", "This case's meetings are already here.")
    return None


def exportable_cases(user: User) -> list[int]:
    """The ids of the cases this person may export: current professional memberships."""
    import datetime as dt

    from coregroup.access import current_on, role_may

    rows = db.session.execute(
        select(Member.case_id, Member.role).where(
            Member.user_id == user.id, current_on(dt.date.today())
        )
    )
    return sorted(case_id for case_id, role in rows if role_may(role, "case.export"))


def ndjson(case_ids: list[int], user_id: int) -> Iterator[str]:
    """One exported case per line, loaded one at a time: memory stays flat however many. Each
    case's contact details as the exporting member may see them."""
    import json

    for case_id in case_ids:
        case = db.session.get(Case, case_id)
        member = next((m for m in case.members if m.user_id == user_id), None) if case else None
        if member is not None:
            body = export_case(case, Viewer.of(member))
            yield json.dumps(body, ensure_ascii=False, sort_keys=True) + "\n"
        db.session.expunge_all()


def cases_by_id(case_ids: list[int]) -> list[Case]:
    return list(
        db.session.scalars(select(Case).where(Case.id.in_(case_ids)).order_by(Case.reference))
    )
