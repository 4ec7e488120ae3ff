"""JSON API: the plan export, and each JSON Schema at the URL of its $id."""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, Response, abort, current_app, g, jsonify, request

from coregroup.access import case_route
from coregroup.params import small_int
from coregroup.plans import services
from coregroup.plans.audience import for_member

bp = Blueprint("api", __name__)


def plan_export(version, member=None) -> dict:
    """The exported plan version, valid against the schema; as `member` may see it."""
    if member is None:
        return version.document
    return for_member(services.plan_schema(), version.document, member)


def etag_for(case_id: int, number: int) -> str:
    return hashlib.sha256(f"{case_id}:{number}".encode()).hexdigest()[:32]


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
