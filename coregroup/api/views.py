"""JSON API: the plan export, and each JSON Schema at the URL of its $id."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, g, jsonify, request
from flask_login import current_user

from coregroup.access import case_route
from coregroup.params import small_int
from coregroup.plans import editing, services
from coregroup.plans.audience import for_member

bp = Blueprint("api", __name__)


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
    if not tag or not tag.startswith(prefix) or not tag[len(prefix) :].isascii():
        return None
    try:
        return small_int(tag[len(prefix) :])
    except ValueError:
        return None


@bp.patch("/api/v1/cases/<int:case_id>/plan")
@case_route("plan.edit")
def patch_plan(case_id: int):
    """Change the plan: a JSON Patch or merge patch against the version named by If-Match."""
    tags = [t for t in request.if_match.as_set()] if request.if_match else []
    if not tags:
        return jsonify(
            error="precondition_required",
            field="/If-Match",
            message="Send If-Match with the ETag of the version you edited.",
        ), 412
    base_number = number_from_etag(case_id, tags[0])
    base = services.get_version(g.case, base_number) if base_number else None
    if base is None:
        return jsonify(
            error="precondition_failed",
            field="/If-Match",
            message="If-Match does not name a version of this plan.",
        ), 412
    kind = request.mimetype
    if kind not in ("application/json-patch+json", "application/merge-patch+json"):
        return jsonify(
            error="unsupported_media_type",
            field="/Content-Type",
            message="Use application/json-patch+json or application/merge-patch+json.",
        ), 415
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
    if body is None:
        return jsonify(error="invalid_json", field="", message="The body is not JSON."), 400
    try:
        yours = editing.apply_patch(base.document, body, kind)
    except editing.PatchError as problem:
        return jsonify(error="invalid_patch", field=problem.pointer, message=problem.message), 400
    # Your edit must make a valid plan on its own, before it is merged with anyone else's.
    problems = services.plan_schema().errors(yours)
    if problems:
        return jsonify(
            error="invalid",
            field=problems[0].pointer,
            message="The plan would not be valid.",
            errors=[{"field": e.pointer, "code": e.code} for e in problems],
        ), 422
    outcome = editing.edit(g.case, current_user, base.number, yours)
    if outcome.conflicts:
        latest = services.latest_version(g.case)
        return jsonify(
            error="conflict",
            message="Someone else changed the same answers since your version.",
            conflicts=[editing.conflict_json(c, latest.document, yours) for c in outcome.conflicts],
            latestVersion=latest.number,
        ), 409
    if outcome.errors:
        return jsonify(
            error="invalid",
            field=outcome.errors[0].pointer,
            message="The plan would not be valid.",
            errors=[{"field": e.pointer, "code": e.code} for e in outcome.errors],
        ), 422
    response = jsonify(outcome.version.document)
    response.set_etag(etag_for(case_id, outcome.version.number))
    response.headers["X-Plan-Version"] = str(outcome.version.number)
    return response


@bp.get("/api/v1/cases/<int:case_id>/plan")
@case_route("plan.export")
def plan(case_id: int):
    number = request.args.get("version", type=small_int)
    if "version" in request.args and number is None:
        return jsonify(error="invalid", field="/version", message="version must be a number"), 400
    version = services.get_version(g.case, number) if number else services.latest_version(g.case)
    if version is None:
        return jsonify(error="not_found", message="No such plan version."), 404
    body = json.dumps(plan_export(version, g.member), ensure_ascii=False, sort_keys=True)
    response = Response(body, mimetype="application/json")
    response.set_etag(etag_for(case_id, version.number))
    response.headers["X-Plan-Version"] = str(version.number)
    response.headers["Link"] = f'<{services.plan_schema().id}>; rel="describedby"'
    return response.make_conditional(request)


@bp.get("/api/v1/cases/<int:case_id>")
@case_route("case.view")
def case(case_id: int):
    """The case with the due dates the rules give it, so other systems need not work them out."""
    from coregroup.meetings import services as meetings

    case = g.case
    case_meetings = meetings.meetings(case)
    latest = services.latest_version(case)
    return jsonify(
        id=case.id,
        reference=case.reference,
        jurisdiction=case.jurisdiction,
        status=case.status,
        initialConference=case.initial_conference.isoformat() if case.initial_conference else None,
        categories=case.categories,
        coreGroupEveryWeeks=case.core_group_every_weeks,
        children=[
            {
                "name": c.name,
                "dateOfBirth": c.date_of_birth.isoformat() if c.date_of_birth else None,
            }
            for c in case.children
        ],
        members=[
            {
                "id": m.ref,
                "name": m.name,
                "role": m.role,
                "organisation": m.organisation,
                "joined": m.joined_on.isoformat() if m.joined_on else None,
                "left": m.left_on.isoformat() if m.left_on else None,
                "coOpted": m.co_opted,
            }
            for m in case.members
        ],
        meetings=[
            {
                "number": m.number,
                "kind": m.kind,
                "status": m.status,
                "date": m.date.isoformat() if m.date else None,
                "planVersion": m.plan_number,
            }
            for m in case_meetings
        ],
        planVersion=latest.number if latest else None,
        dueDates=meetings.timeline(case, case_meetings).as_json(),
    )


@bp.get("/api/v1/cases/<int:case_id>/meetings/<int:number>")
@case_route("meeting.view")
def meeting(case_id: int, number: int):
    """One meeting's record, valid against the meeting schema."""
    from coregroup.meetings import services as meetings

    found = meetings.get_meeting(g.case, number)
    if found is None or not (found.is_completed or g.can("meeting.record")):
        return jsonify(error="not_found", message="No such meeting."), 404
    response = jsonify(found.record)
    response.headers["X-Meeting-Status"] = found.status
    response.headers["Link"] = f'<{meetings.meeting_schema().id}>; rel="describedby"'
    return response


@bp.get("/schemas/<path:name>")
def schema(name: str):
    found = current_app.extensions["coregroup.schemas"].by_url_path(f"/schemas/{name}")
    if found is None:
        abort(404)
    response = jsonify(found.served)
    response.mimetype = "application/schema+json"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
