"""JSON API: the plan export, and each JSON Schema at the URL of its $id."""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, Response, abort, current_app, g, jsonify, request

from coregroup.access import case_route
from coregroup.plans import services

bp = Blueprint("api", __name__)


def plan_export(version) -> dict:
    """The exported form of a plan version: the document itself, valid against the schema."""
    return version.document


def etag_for(case_id: int, number: int) -> str:
    return hashlib.sha256(f"{case_id}:{number}".encode()).hexdigest()[:32]


@bp.get("/api/v1/cases/<int:case_id>/plan")
@case_route
def plan(case_id: int):
    number = request.args.get("version", type=int)
    if "version" in request.args and number is None:
        return jsonify(error="invalid", field="/version", message="version must be a number"), 400
    version = services.get_version(g.case, number) if number else services.latest_version(g.case)
    if version is None:
        return jsonify(error="not_found", message="No such plan version."), 404
    body = json.dumps(plan_export(version), ensure_ascii=False, sort_keys=True)
    response = Response(body, mimetype="application/json")
    response.set_etag(etag_for(case_id, version.number))
    response.headers["X-Plan-Version"] = str(version.number)
    response.headers["Link"] = f'<{services.plan_schema().id}>; rel="describedby"'
    return response.make_conditional(request)


@bp.get("/schemas/<path:name>")
def schema(name: str):
    found = current_app.extensions["coregroup.schemas"].by_url_path(f"/schemas/{name}")
    if found is None:
        abort(404)
    response = jsonify(found.served)
    response.mimetype = "application/schema+json"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
