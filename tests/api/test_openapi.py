"""The OpenAPI document is generated from the API's own routes, and the API keeps to it:
schemathesis (fixed seed, bounded examples) finds no 5xx and no answer that breaks its schema."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from coregroup import tokens

# No 5xx; every status, media type and body as documented. (Not "valid-looking data is
# accepted": plans and exports are described here as objects, and validated against their own
# JSON Schemas, which are stricter; such a request is rightly refused with 422.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_every_api_route_is_in_the_document(client, app):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = {
        (path, method.upper()) for path, ops in document["paths"].items() for method in ops
    }
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint in ("api.openapi", "api.docs"):
            continue
        path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, (path, method)
    scopes = {op.get("x-scope") for ops in document["paths"].values() for op in ops.values()}
    assert scopes <= set(tokens.SCOPES) | {None}


def test_the_document_reads_as_a_page(client, planned):
    html = client.get("/api/v1/docs").text
    assert "PATCH /api/v1/cases/{case_id}/plan" in html and "read:plans" in html


def keeps_to_its_document(app, members, scopes: list[str], examples: int) -> int:
    """Every operation, called by schemathesis with a token holding `scopes`: the checks above
    hold for each answer. The number of operations called."""
    _, secret = tokens.create(members["sam"].user, "schemathesis " + ",".join(scopes), scopes)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {secret}", "Accept-Encoding": "identity"}
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=examples,
            derandomize=True,  # a fixed seed
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(operation.as_strategy())
        def call(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        call()
        checked += 1
    return checked


def test_the_api_keeps_to_its_document(app, db, client, planned):
    case, members = planned
    client.post("/sign-out")
    assert keeps_to_its_document(app, members, sorted(tokens.SCOPES), examples=15) >= 10


@pytest.mark.parametrize("scope", sorted(tokens.SCOPES))
def test_the_api_keeps_to_its_document_with_each_single_scope(app, db, client, planned, scope):
    """A token with one scope: refused elsewhere with the documented 403, never a 5xx."""
    case, members = planned
    client.post("/sign-out")
    assert keeps_to_its_document(app, members, [scope], examples=4) >= 10


def test_the_document_refs_the_published_schemas_and_both_patch_formats(client, app):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = app.extensions["coregroup.schemas"]
    carried = {s["$id"]: s for s in document["components"]["schemas"].values() if "$id" in s}
    for name in ("child-protection-plan", "core-group-meeting", "case-export"):
        for version in schemas.versions[name].values():
            assert carried[version.id] == version.served, "each released schema, as served"
    plan = document["paths"]["/api/v1/cases/{case_id}/plan"]
    answer = plan["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": schemas["child-protection-plan"].id}
    meeting = document["paths"]["/api/v1/cases/{case_id}/meetings/{number}"]["get"]
    assert meeting["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": schemas["core-group-meeting"].id
    }
    body = document["paths"]["/api/v1/cases/import"]["post"]["requestBody"]["content"]
    assert body["application/json"]["schema"] == {"$ref": schemas["case-export"].id}
    patch = plan["patch"]["requestBody"]["content"]
    assert patch["application/json-patch+json"]["schema"]["type"] == "array"
    assert patch["application/json-patch+json"]["schema"]["items"]["properties"]["op"]["enum"]
    assert "RFC 7396" in patch["application/merge-patch+json"]["schema"]["description"]
    # One error format, stated, and the only one any error answer gives.
    assert "application/problem+json" in document["info"]["description"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if int(status) >= 400:
                    assert answer["content"] == {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Error"}
                        }
                    }, (path, method, status)
