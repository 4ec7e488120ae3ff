"""A whole case as JSON, out and in again without loss; and the standard formats built on it
(NDJSON in bulk, HL7 FHIR R4 CarePlan bundles, Children in Need census CSV rows)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coregroup import textpolicy
from coregroup.api.schemas import ContactSchema, MemberSchema
from coregroup.contacts import Viewer
from coregroup.extensions import db
from coregroup.models import Case, Child, Circulation, Meeting, Member, PlanVersion, User
from coregroup.plans import translations
from coregroup.schema import SchemaError, pointer

FORMAT = "https://coregroup.example/schemas/case-export/1.0.0.json"


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="microseconds") if value else None


def _parse_date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _parse_time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


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
    return {
        "format": FORMAT,
        "case": {
            "reference": case.reference,
            "jurisdiction": case.jurisdiction,
            "status": case.status,
            "initialConference": _date(case.initial_conference),
            "categories": list(case.categories or []),
            "firstCoreGroupOn": _date(case.first_core_group_on),
            "coreGroupEveryWeeks": case.core_group_every_weeks,
            "ruleOverrides": case.rule_overrides,
            "lastReviewConference": _date(case.last_review_conference),
            "createdAt": _time(case.created_at),
        },
        "children": [
            {"name": c.name, "dateOfBirth": _date(c.date_of_birth)}
            for c in sorted(case.children, key=lambda c: c.id)
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


def _schema_problems(errors: list[SchemaError], prefix: str = "") -> list[dict]:
    return [_problem(prefix + e.pointer, e.code, f"Not valid here ({e.code}).") for e in errors]


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
    for key in ("initialConference", "firstCoreGroupOn", "lastReviewConference"):
        real(f"/case/{key}", head.get(key), dt.date.fromisoformat)
    real("/case/createdAt", head.get("createdAt"), dt.datetime.fromisoformat)
    for n, child in enumerate(data["children"]):
        real(f"/children/{n}/dateOfBirth", child.get("dateOfBirth"), dt.date.fromisoformat)
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


def check(data) -> list[dict]:
    """Every reason `data` cannot be imported (empty when it can), as JSON Pointers."""
    schemas = current_app.extensions["coregroup.schemas"]
    if not isinstance(data, dict):
        return [_problem("", "type", "An export is a JSON object.")]
    problems = _schema_problems(schemas["case-export"].errors(data))
    problems += _text_problems(data, [])
    if problems:
        return problems
    problems += _time_problems(data)
    if problems:
        return problems
    meeting_schema = schemas["core-group-meeting"]
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
        else:
            problems += _schema_problems(
                written_under.errors(version["document"]), f"{where}/document"
            )
            if written_under is schemas["child-protection-plan"]:
                problems += _schema_problems(
                    translations.errors(written_under, version["document"]), f"{where}/document"
                )
        if version.get("author") and version["author"] not in known:
            problems.append(_problem(f"{where}/author", "member", "Not a member of this case."))
    meeting_numbers = [m["number"] for m in data["meetings"]]
    if len(set(meeting_numbers)) != len(meeting_numbers):
        problems.append(_problem("/meetings", "unique", "Each meeting number must be different."))
    for n, meeting in enumerate(data["meetings"]):
        where = f"/meetings/{n}"
        problems += _schema_problems(meeting_schema.errors(meeting["record"]), f"{where}/record")
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
    if not can_open_cases(importer):
        raise ImportRefused([_problem("", "forbidden", "Only professionals import cases.")], 403)
    mine = [
        n
        for n, m in enumerate(data.get("members", []) if not problems else [])
        if (m.get("email") or "").strip().lower() == importer.email
        and role_may(m["role"], "case.export")
        and not m.get("left")
    ]
    if not problems and not mine:
        problems.append(
            _problem(
                "/members",
                "importer",
                "You must be a current professional member of the case you import.",
            )
        )
    if problems:
        raise ImportRefused(problems)
    taken = db.session.scalar(select(Case.id).where(Case.reference == data["case"]["reference"]))
    refs = [m["id"] for m in data["members"]]
    if taken or db.session.scalar(select(Member.id).where(Member.ref.in_(refs)).limit(1)):
        raise ImportRefused(
            [_problem("/case/reference", "exists", "This case is already here.")], status=409
        )
    importer_ref = data["members"][mine[0]]["id"]
    head = data["case"]
    case = Case(
        reference=head["reference"],
        jurisdiction=head["jurisdiction"],
        status=head["status"],
        initial_conference=_parse_date(head.get("initialConference")),
        categories=list(head["categories"]),
        first_core_group_on=_parse_date(head.get("firstCoreGroupOn")),
        core_group_every_weeks=head.get("coreGroupEveryWeeks"),
        rule_overrides=head.get("ruleOverrides"),
        last_review_conference=_parse_date(head.get("lastReviewConference")),
        created_at=_parse_time(head["createdAt"]),
    )
    case.children = [
        Child(name=c["name"], date_of_birth=_parse_date(c.get("dateOfBirth")))
        for c in data["children"]
    ]
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
    db.session.add(case)
    db.session.flush()

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
