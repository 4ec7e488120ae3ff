"""JSON API under /api/v1 (documented at /api/v1/openapi.json, generated from these views and
their marshmallow schemas), and each JSON Schema at the URL of its $id."""

from __future__ import annotations

import datetime as dt
import json
from importlib import metadata

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    stream_with_context,
)
from flask_login import current_user, login_required

from coregroup import audit, contacts, rules, tokens
from coregroup.access import case_route, my_cases
from coregroup.api import interchange, schemas
from coregroup.api.spec import operation
from coregroup.extensions import db
from coregroup.params import small_int
from coregroup.plans import editing, services
from coregroup.plans.audience import for_member
from coregroup.problems import problem
from coregroup.schema import message_for

bp = Blueprint("api", __name__)
MEMBER = schemas.MemberSchema()  # the one place a member becomes JSON
CONTACT = schemas.ContactSchema()


def _members_json(members, viewer) -> list[dict]:
    """Members with the contact details `viewer` may see (coregroup.contacts)."""
    return [MEMBER.dump(m) | CONTACT.dump(viewer.contact(m)) for m in members]


def plan_export(version, member=None) -> dict:
    """The exported plan version, valid against the schema; as `member` may see it."""
    if member is None:
        return version.document
    return for_member(services.plan_schema(), version.document, member)


def etag_for(case_id: int, number: int) -> str:
    """An opaque-looking, stable tag for one version of one case's plan."""
    return f"plan-{case_id}-{number}"


def number_from_etag(case_id: int, tag: str | None) -> int | None:
    prefix = f"plan-{case_id}-"
    # A compressed answer carries the same tag with its encoding (Flask-Compress: ":gzip").
    tag = tag.split(":")[0] if tag else tag
    if not tag or not tag.startswith(prefix) or not tag[len(prefix) :].isascii():
        return None
    try:
        return small_int(tag[len(prefix) :])
    except ValueError:
        return None


@bp.patch("/api/v1/cases/<int:case_id>/plan")
@case_route("plan.edit")
@operation(
    "write:plans",
    {200: schemas.PLAN},
    body=schemas.PATCH,
    body_type=("application/merge-patch+json", "application/json-patch+json"),
    errors=(400, 401, 403, 404, 409, 412, 415, 422),
    headers=("If-Match",),
    etag=True,
)
def patch_plan(case_id: int):
    """Change the plan with a patch against the version you read.

    Send a JSON Patch (application/json-patch+json) or a JSON Merge Patch
    (application/merge-patch+json), with If-Match set to the ETag of the version you edited.
    Changes merge field by field with anyone else's; a clash answers 409 with both values and
    keeps your edit as your draft. The answer is the new version, with its ETag."""
    tags = [t for t in request.if_match.as_set()] if request.if_match else []
    if not tags:
        return problem(
            412,
            "precondition_required",
            "Send If-Match with the ETag of the version you edited.",
            "/If-Match",
        )
    base_number = number_from_etag(case_id, tags[0])
    base = services.get_version(g.case, base_number) if base_number else None
    if base is None:
        return problem(
            412,
            "precondition_failed",
            "If-Match does not name a version of this plan.",
            "/If-Match",
        )
    kind = request.mimetype
    if kind not in ("application/json-patch+json", "application/merge-patch+json"):
        return problem(
            415,
            "unsupported_media_type",
            "Use application/json-patch+json or application/merge-patch+json.",
            "/Content-Type",
        )
    body = request.get_json(silent=True)
    if body is None:
        return problem(400, "invalid_json", "The body is not JSON.")
    try:
        yours = editing.apply_patch(base.document, body, kind)
    except editing.PatchError as refused:
        return problem(400, "invalid_patch", refused.message, refused.pointer)
    # Dates entered here are checked as the pages check them (not what was there before).
    dates = services.entry_problems(g.case, base.document, yours)
    if dates:
        return problem(
            422,
            "invalid",
            errors=[{"pointer": p, "code": "date-range", "detail": m} for p, m in dates],
        )
    # Your edit must make a valid plan on its own, before it is merged with anyone else's.
    problems = services.plan_errors(yours)
    if problems:
        return _invalid_plan(problems)
    outcome = editing.edit(g.case, current_user, base.number, yours)
    if outcome.conflicts:
        latest = services.latest_version(g.case)
        conflicts = [editing.conflict_json(c, latest.document, yours) for c in outcome.conflicts]
        return problem(
            409,
            "conflict",
            "Someone else changed the same answers since your version.",
            errors=[
                {"pointer": c["pointer"], "code": "conflict", "detail": "Changed by someone else."}
                for c in conflicts
            ],
            conflicts=conflicts,
            latestVersion=latest.number,
        )
    if outcome.errors:
        return _invalid_plan(outcome.errors)
    response = jsonify(outcome.version.document)
    response.set_etag(etag_for(case_id, outcome.version.number))
    response.headers["X-Plan-Version"] = str(outcome.version.number)
    return response


@bp.get("/api/v1/cases/<int:case_id>/plan")
@case_route("plan.export")
@operation(
    "read:plans",
    {200: schemas.PLAN, 304: None},
    query=schemas.PlanQuerySchema,
    errors=(400, 401, 403, 404, 412),
    headers=("If-None-Match",),
    etag=True,
)
def plan(case_id: int, query: dict):
    """The plan: the latest version, or `?version=N`.

    Valid against the plan's JSON Schema (its $id is in the Link header). A family member's
    token sees only what the family may see. Conditional with If-None-Match (ETag)."""
    number = query.get("version")
    version = services.get_version(g.case, number) if number else services.latest_version(g.case)
    if version is None:
        return problem(404, "not_found", "No such plan version.", "/version")
    body = json.dumps(plan_export(version, g.member), ensure_ascii=False, sort_keys=True)
    response = Response(body, mimetype="application/json")
    response.set_etag(etag_for(case_id, version.number))
    response.headers["X-Plan-Version"] = str(version.number)
    response.headers["Link"] = f'<{services.plan_schema().id}>; rel="describedby"'
    response = response.make_conditional(request)
    if response.status_code == 412:  # If-Match names another version: say so, send no plan
        detail = "If-Match does not name the version this would send."
        return problem(412, "precondition_failed", detail, "/If-Match")
    return response


@bp.get("/api/v1/cases/<int:case_id>")
@case_route("case.view")
@operation("read:cases", {200: schemas.CaseSchema}, errors=(401, 403, 404))
def case(case_id: int):
    """One case: children, members, meetings and the due dates the rules give it.

    So that other systems need not work the dates out for themselves."""
    from coregroup.cases.lifecycle import visible_children
    from coregroup.meetings import services as meetings

    case = g.case
    case_meetings = meetings.meetings(case)
    latest = services.latest_version(case)
    shown = visible_children(g.member, case)  # a family member: their own children only
    return jsonify(
        id=case.id,
        reference=case.reference,
        jurisdiction=case.jurisdiction,
        status=case.status,
        initialConference=case.initial_conference.isoformat() if case.initial_conference else None,
        closedOn=case.closed_on.isoformat() if case.closed_on else None,
        categories=_categories(shown),
        coreGroupEveryWeeks=case.core_group_every_weeks,
        children=[interchange.child_json(c) for c in shown],
        members=_members_json(case.members, contacts.Viewer.of(g.member)),
        meetings=[_meeting_json(m) for m in case_meetings],
        planVersion=latest.number if latest else None,
        dueDates=meetings.timeline(case, case_meetings).as_json(),
    )


@bp.get("/api/v1/cases/<int:case_id>/meetings/<int:number>")
@case_route("meeting.view")
@operation("read:meetings", {200: schemas.MEETING_RECORD}, errors=(401, 403, 404))
def meeting(case_id: int, number: int):
    """One meeting's record, valid against the meeting schema.

    Open (unfinished) meetings are seen only by those who record them."""
    from coregroup.meetings import services as meetings

    found = meetings.get_meeting(g.case, number)
    if found is None or not (found.is_completed or g.can("meeting.record")):
        return problem(404, "not_found", "No such meeting.")
    response = jsonify(meetings.record_for(found, g.member))
    response.headers["X-Meeting-Status"] = found.status
    response.headers["Link"] = f'<{meetings.meeting_schema().id}>; rel="describedby"'
    return response


@bp.get("/api/v1/cases")
@login_required
@operation("read:cases", {200: schemas.CaseListSchema}, errors=(401, 403))
def cases():
    """The cases you are a current member of."""
    if not tokens.allows("read:cases"):
        return _scope_refused("read:cases")
    found = my_cases(current_user)
    latest = services.latest_numbers([c.id for c in found])
    audit.record_each("export", tokens.audit_target(), current_user.id, [c.id for c in found])
    return jsonify(
        cases=[
            {
                "id": c.id,
                "reference": c.reference,
                "jurisdiction": c.jurisdiction,
                "status": c.status,
                "planVersion": latest.get(c.id),
            }
            for c in found
        ]
    )


@bp.get("/api/v1/cases/<int:case_id>/members")
@case_route("case.view")
@operation("read:cases", {200: schemas.MemberListSchema}, errors=(401, 403, 404))
def members(case_id: int):
    """The members of the core group, past and present, with their dates, and the contact
    details you may see: another family member's, or a confidential member's (seen only by the
    lead social worker and the chair), are null."""
    return jsonify(members=_members_json(g.case.members, contacts.Viewer.of(g.member)))


@bp.get("/api/v1/cases/<int:case_id>/plan/versions")
@case_route("plan.history")
@operation("read:plans", {200: schemas.VersionListSchema}, errors=(401, 403, 404))
def versions(case_id: int):
    """Every version of the plan: when, by whom, and which answers changed."""
    rows = services.version_history(g.case)
    return jsonify(
        versions=[
            {
                "number": r.number,
                "createdAt": r.created_at.isoformat(timespec="microseconds") + "Z",
                "author": r.author_ref,
                "schemaVersion": r.schema_version,
                "note": r.note,
                "changed": [c.get("path", "") for c in r.changes or []],
            }
            for r in rows
        ]
    )


@bp.get("/api/v1/cases/<int:case_id>/meetings")
@case_route("meeting.view")
@operation("read:meetings", {200: schemas.MeetingListSchema}, errors=(401, 403, 404))
def meetings_list(case_id: int):
    """The case's meetings: completed ones, and open ones for those who record them."""
    from coregroup.meetings import services as meetings

    return jsonify(
        meetings=[
            _meeting_json(m)
            for m in meetings.meetings(g.case)
            if m.is_completed or g.can("meeting.record")
        ]
    )


@bp.get("/api/v1/cases/<int:case_id>/export")
@case_route("case.export")
@operation("export", {200: schemas.CASE_EXPORT}, errors=(401, 403, 404))
def export_case(case_id: int):
    """The whole case, to move it to another installation without loss.

    Valid against /schemas/case-export/1.0.0.json; importing it elsewhere and exporting it
    again gives the same JSON."""
    viewer = contacts.Viewer.of(g.member)
    body = json.dumps(interchange.export_case(g.case, viewer), ensure_ascii=False, sort_keys=True)
    response = Response(body, mimetype="application/json")
    response.headers["Link"] = f'<{interchange.FORMAT}>; rel="describedby"'
    return response


@bp.post("/api/v1/cases/import")
@login_required
@operation(
    "import",
    {201: schemas.ImportedSchema},
    body=schemas.CASE_EXPORT,
    errors=(400, 401, 403, 409, 422),
)
def import_case():
    """Import a whole case exported from another installation.

    All or nothing: an invalid export answers 422 with every problem as a JSON Pointer and a
    message, and nothing is written. Members are linked to accounts here by e-mail address;
    you must be one of them."""
    if not tokens.allows("import"):
        return _scope_refused("import")
    if not request.is_json:
        return problem(415, "unsupported_media_type", "Send application/json.", "/Content-Type")
    data = request.get_json(silent=True)
    if data is None:
        return problem(400, "invalid_json", "The body is not JSON.")
    try:
        case = interchange.import_case(data, current_user)
    except interchange.ImportRefused as refused:
        db.session.rollback()
        audit.record("import-refused", tokens.audit_target(), current_user.id)
        code = {403: "forbidden", 409: "exists"}.get(refused.status, "invalid")
        return problem(refused.status, code, errors=refused.errors)
    audit.record("import", tokens.audit_target() + f" {case.reference}", current_user.id, case.id)
    invited = interchange.invite_members(case, current_user)
    return jsonify(id=case.id, reference=case.reference, invited=invited), 201


@bp.get("/api/v1/export.ndjson")
@login_required
@operation("export", {200: {"type": "string"}}, errors=(401, 403), produces="application/x-ndjson")
def export_all():
    """Every case you may export, one exported case per line (NDJSON), streamed.

    Memory stays flat however many cases there are: each is read, written and let go."""
    if not tokens.allows("export"):
        return _scope_refused("export")
    case_ids = interchange.exportable_cases(current_user)
    audit.record_each("export", tokens.audit_target(), current_user.id, case_ids)
    return Response(
        stream_with_context(interchange.ndjson(case_ids, current_user.id)),
        mimetype="application/x-ndjson",
    )


@bp.get("/api/v1/cases/<int:case_id>/plan/fhir")
@case_route("plan.history")
@operation(
    "read:plans",
    {200: schemas.FHIR_BUNDLE},
    query=schemas.FhirQuerySchema,
    errors=(400, 401, 403, 404),
    produces="application/fhir+json",
)
def plan_fhir(case_id: int, query: dict):
    """The latest plan as an HL7 FHIR R4 (4.0.1) Bundle, for health partners.

    Each child is a Patient (NHS number and this service's child id) with their own CarePlan,
    CareTeam (the core group: PractitionerRole and RelatedPerson), Goals (the needs, with their
    My World Triangle area) and Conditions (the categories of concern). Every reference resolves
    inside the Bundle (urn:uuid). The README's FHIR table maps every field."""
    from coregroup.api import fhir

    version = services.latest_version(g.case)
    found = fhir.bundle(g.case, version, contacts.Viewer.of(g.member))
    return Response(json.dumps(found, ensure_ascii=False), content_type=fhir.MEDIA_TYPE)


@bp.get("/fhir/CodeSystem/<name>")
def code_system(name: str):
    """A CodeSystem this service publishes (FHIR R4), at its canonical URL's path."""
    from coregroup.api import fhir

    found = fhir.code_systems().get(name)
    if found is None:
        return problem(404, "not_found", "No such CodeSystem here.", "/name")
    response = Response(json.dumps(found, ensure_ascii=False), content_type=fhir.MEDIA_TYPE)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/api/v1/cin.csv")
@login_required
@operation(
    "export",
    {200: {"type": "string"}},
    query=schemas.CensusQuerySchema,
    errors=(400, 401, 403),
    produces="text/csv",
)
def cin_csv(query: dict):
    """The Children in Need census' child protection plans, as CSV: one row per child per plan.

    For the reporting year ending 31 March `year`, every child of the England cases you may
    export whose plan was open in the year: start and end dates, initial and latest category of
    abuse (census codes NEG, PHY, EMO, SAB; MUL for more than one), number of previous plans and
    the review dates within the year. No names: the case reference and the child's id find the
    record. The census applies to England only: cases under other procedures are not included."""
    from coregroup.api import census

    if not tokens.allows("export"):
        return _scope_refused("export")
    cases = _census_cases()
    response = Response(census.csv_text(census.rows(cases, query["year"])), mimetype="text/csv")
    name = f"cin-census-{query['year']}-child-protection-plans.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/api/v1/cin.xml")
@login_required
@operation(
    "export",
    {200: {"type": "string"}},
    query=schemas.CensusQuerySchema,
    errors=(400, 401, 403, 422),
    produces="application/xml",
)
def cin_xml(query: dict):
    """The Children in Need census' child protection plans, in the census' XML structure.

    The same children and plans as the CSV, under the census header (collection CIN, the year,
    its reference date, the authority's LEA code from COREGROUP_LA_CODE). Each child is named
    only by their ID in the council's records (LAchildID): a child without one, or a plan with
    no category the census knows, answers 422 naming each, and nothing is sent. Items this
    service does not hold (sex, UPN, referral and assessment details) are left out: the README
    lists them."""
    from flask import current_app

    from coregroup.api import census

    if not tokens.allows("export"):
        return _scope_refused("export")
    code = current_app.config.get("COREGROUP_LA_CODE") or ""
    if not (len(code) == 3 and code.isascii() and code.isdigit()):
        detail = "Set COREGROUP_LA_CODE to the authority's three-digit LEA code first."
        return problem(422, "invalid", detail, "/LEA")
    found = census.rows(_census_cases(), query["year"])
    missing = census.missing(found)
    if missing:
        return problem(422, "invalid", missing[0]["detail"], missing[0]["pointer"], errors=missing)
    body = census.xml(
        found, query["year"], code, metadata.version("coregroup"), dt.datetime.now(dt.UTC)
    )
    response = Response(body, mimetype="application/xml")
    name = f"cin-census-{query['year']}-child-protection-plans.xml"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/api/v1/cases/<int:case_id>/cin.csv")
@case_route("case.export")
@operation(
    "export",
    {200: {"type": "string"}},
    query=schemas.CensusQuerySchema,
    errors=(400, 401, 403, 404, 422),
    produces="text/csv",
)
def case_cin_csv(case_id: int, query: dict):
    """One case's rows of the Children in Need census (as /api/v1/cin.csv).

    The census is England's: a case under other procedures answers 422 (not_applicable)."""
    from coregroup.api import census

    if g.case.jurisdiction != census.APPLIES_TO:
        name = rules.profile(g.case.jurisdiction).name
        detail = (
            f"The Children in Need census is England's. It does not apply to this case, which "
            f"follows the procedures of {name}."
        )
        return problem(422, "not_applicable", detail, "/jurisdiction")
    return Response(census.csv_text(census.rows([g.case], query["year"])), mimetype="text/csv")


def _census_cases():
    ids = interchange.exportable_cases(current_user)
    cases = interchange.cases_by_id(ids)
    audit.record_each("export", tokens.audit_target(), current_user.id, [c.id for c in cases])
    return cases


def _scope_refused(scope: str):
    return problem(403, "insufficient_scope", f"This token needs the {scope} scope.", "/scope")


def _invalid_plan(errors) -> Response:
    """422 naming each answer that would make the plan invalid, in the words the pages use."""
    schema = services.plan_schema()
    listed = []
    for e in errors:
        try:
            field_schema = schema.at(tuple(e.pointer.split("/")[1:]))
        except KeyError:
            field_schema = {}
        listed.append(
            {"pointer": e.pointer, "code": e.code, "detail": message_for(field_schema, e)}
        )
    return problem(422, "invalid", "The plan would not be valid.", errors=listed)


def _categories(children) -> list[str]:
    """Every category of concern on these children's running plans."""
    found = []
    for child in children:
        plan = child.current_plan
        found += [c for c in (plan.categories if plan else []) if c not in found]
    return found


def _meeting_json(m) -> dict:
    return {
        "number": m.number,
        "kind": m.kind,
        "status": m.status,
        "date": m.date.isoformat() if m.date else None,
        "planVersion": m.plan_number,
    }


@bp.get("/api/v1/timescales")
@operation(None, {200: schemas.TIMESCALES}, query=schemas.TimescalesQuerySchema, errors=(400,))
def timescales_api(query: dict):
    """Due dates for any dates under any place's rules.

    No case data is involved, so no token is needed."""
    profile = rules.profile(query["jurisdiction"])
    return jsonify(
        rules.timescales(profile, query["conference"], query.get("meeting"), query.get("weeks"))
    )


@bp.get("/api/v1/openapi.json")
def openapi():
    """The OpenAPI document of this API, generated from its routes and schemas."""
    from coregroup.api.spec import build

    response = jsonify(build())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/api/v1/docs")
def docs():
    """The OpenAPI document as a page to read."""
    from coregroup.api.spec import build
    from coregroup.problems import TITLES

    return render_template("api/docs.html", spec=build(), problems=TITLES)


@bp.get("/schemas/<path:name>")
def schema(name: str):
    found = current_app.extensions["coregroup.schemas"].by_url_path(f"/schemas/{name}")
    if found is None:
        abort(404)
    response = jsonify(found.served)
    response.mimetype = "application/schema+json"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
