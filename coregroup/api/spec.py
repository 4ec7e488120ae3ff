"""The OpenAPI document, generated from the API's routes and their marshmallow schemas.

Each API view says what it takes and gives with `@operation(...)`; `build()` walks the URL map
and writes the document with apispec. Nothing in it is written by hand: a route without
`@operation` is not in the document (and a test fails).
"""

from __future__ import annotations

import re
from functools import wraps

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, request
from marshmallow import ValidationError

from coregroup.api import schemas
from coregroup.problems import MEDIA_TYPE, problem
from coregroup.tokens import SCOPES

ERROR_CODES = {
    400: "The request is not right",
    401: "Not signed in, or the token is unknown, expired or revoked",
    403: "The token lacks the scope this needs",
    404: "No such case (or not yours to see), or no such thing in it",
    409: (
        "Someone else changed the same answers: the plan is not changed, and your edit is kept "
        "as your draft (both answers are in `conflicts`)"
    ),
    412: "If-Match is missing or names no version of this plan",
    413: "What was sent is too large",
    415: "The body is not of a type this accepts",
    422: "The body is not valid; every error is named by a JSON Pointer",
    429: "Too many requests",
    500: "A problem with the service (a reference is in the detail)",
    503: "The service, or the store of the limits, is not available for a moment; try again",
}
# Any operation may answer these.
ALWAYS = (413, 429, 500, 503)
HEADERS = {
    "If-Match": "The ETag of the version you edited: changes merge against it",
    "If-None-Match": "An ETag you have: 304 if it is still the one this would send",
}


def operation(
    scope: str | None,
    responses: dict[int, object],
    body=None,
    body_type: str = "application/json",
    query=None,
    errors: tuple[int, ...] = (401, 404),
    produces: str = "application/json",
    headers: tuple[str, ...] = (),
    etag: bool = False,
):
    """Describe an API view: the token scope it needs, its body, query and responses.

    `responses` maps a status to a marshmallow schema (or a dict, or None for no body)."""

    def decorate(view):
        view = _loading_query(view, (query or schemas.NoQuerySchema)(), passes=query is not None)
        view.api_operation = {
            "scope": scope,
            "responses": responses,
            "body": body,
            "body_type": body_type,
            "query": query,
            "errors": errors,
            "produces": produces,
            "headers": headers,
            "etag": etag,
        }
        return view

    return decorate


def _loading_query(view, schema, passes: bool):
    """The view gets its query string as `query`, loaded (checked and converted) by the same
    marshmallow schema the OpenAPI document shows; anything else is a 400 naming each
    parameter, an unknown one included."""

    @wraps(view)
    def loaded(*args, **kwargs):
        repeated = sorted(k for k in request.args if len(request.args.getlist(k)) > 1)
        if repeated:
            errors = [
                {"pointer": f"/{name}", "code": "repeated-parameter", "detail": "Give it once."}
                for name in repeated
            ]
            return problem(400, "invalid", errors=errors)
        try:
            query = schema.load(request.args)
        except ValidationError as refused:
            errors = [
                {"pointer": f"/{name}", "code": "invalid-parameter", "detail": " ".join(messages)}
                for name, messages in sorted(refused.normalized_messages().items())
            ]
            return problem(400, "invalid", errors=errors)
        return view(*args, query=query, **kwargs) if passes else view(*args, **kwargs)

    return loaded


def _path(rule: str) -> tuple[str, list[dict]]:
    parameters = []

    def replace(match):
        converter, name = match.group(1), match.group(2)
        kind = {"int": "integer"}.get(converter or "", "string")
        parameters.append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": kind, "minimum": 1, "maximum": 2**31 - 1}
                if kind == "integer"
                else {"type": "string"},
            }
        )
        return "{" + name + "}"

    return re.sub(r"<(?:(\w+):)?(\w+)>", replace, rule), parameters


def _content(schema, kind: str) -> dict:
    return {kind: {"schema": schema}}


def build() -> dict:
    spec = APISpec(
        title="Core Group API",
        version="1.0.0",
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={
            "description": (
                "Cases, members, plans (latest, versions, patches), meetings and exports of a "
                "child's core group. Plans and meeting records validate against the JSON "
                "Schemas served at their $id (/schemas/…). Sign in with a bearer token created "
                "by `flask --app app tokens create`; each operation names the scope it needs. "
                "The same per-case access rules apply as for people. "
                "Errors: every 4xx and 5xx answer has one format, application/problem+json "
                "(RFC 9457, components/schemas/Error): a stable `code`, a `title` in the "
                "caller's language, a `detail`, the JSON Pointer of the part in question "
                "(`pointer`), and `errors`, one item per problem, each with its own `pointer`, "
                "`code` and `detail`. "
                "Plans change by PATCH in either of two formats: JSON Patch (RFC 6902, "
                "application/json-patch+json) or JSON Merge Patch (RFC 7396, "
                "application/merge-patch+json), with If-Match."
            )
        },
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=schemas.ErrorSchema)
    # The published JSON Schemas, each with its $id: plans, meeting records and case exports
    # are $ref'd by that $id, and resolve here without fetching anything.
    registry = current_app.extensions["coregroup.schemas"]
    for name, versions in sorted(registry.versions.items()):
        for version, schema in sorted(versions.items()):
            key = "".join(p.title() for p in name.split("-")) + "_" + version.replace(".", "_")
            spec.components.schema(key, component=schema.served)
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        view = current_app.view_functions[rule.endpoint]
        described = getattr(view, "api_operation", None)
        if described is None:
            continue
        path, parameters = _path(rule.rule)
        operations = {}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            doc = (view.__doc__ or "").strip().split("\n\n")
            op = {
                "operationId": rule.endpoint.replace(".", "_") + "_" + method.lower(),
                "summary": " ".join(doc[0].split()),
                "description": " ".join(" ".join(doc[1:]).split())
                + (f" Token scope: `{described['scope']}`." if described["scope"] else ""),
                "parameters": list(parameters),
                "responses": {},
                "security": [{"bearer": []}] if described["scope"] else [],
            }
            if described["scope"]:
                op["x-scope"] = described["scope"]
            if described["query"] is not None:
                op["parameters"].append({"in": "query", "schema": described["query"]})
            for name in described["headers"]:
                op["parameters"].append(
                    {"name": name, "in": "header", "schema": {"type": "string"}}
                    | {"required": name == "If-Match", "description": HEADERS[name]}
                )
            if described["body"] is not None:
                kinds = described["body_type"]
                kinds = (kinds,) if isinstance(kinds, str) else kinds
                body = described["body"]
                op["requestBody"] = {
                    "required": True,
                    "content": {  # a schema per media type, or the same for each
                        kind: {"schema": body.get(kind, body)} for kind in kinds
                    },
                }
            for status, schema in described["responses"].items():
                entry = {"description": "OK" if status < 300 else ERROR_CODES.get(status, "")}
                if status == 304:
                    entry["description"] = "Not modified: your ETag is still the latest"
                if schema is not None:
                    entry["content"] = _content(schema, described["produces"])
                if described["etag"] and status in (200, 304):
                    entry["headers"] = {
                        "ETag": {
                            "description": "The version sent: give it as If-Match to edit it",
                            "schema": {"type": "string"},
                        }
                    }
                op["responses"][str(status)] = entry
            for status in (*described["errors"], *ALWAYS):
                op["responses"].setdefault(
                    str(status),
                    {
                        "description": ERROR_CODES[status],
                        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
            operations[method.lower()] = op
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    document["x-scopes"] = SCOPES
    return document
