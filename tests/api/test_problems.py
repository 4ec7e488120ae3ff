"""One error format for every 4xx: problem details (RFC 9457) with a stable code, the JSON
Pointer of what is wrong, and a title in the caller's language; inputs checked by the schemas
the OpenAPI document shows; a member becomes JSON in one place."""

import pytest

from coregroup import tokens
from tests.api.test_patch import MERGE, etag, patch

PROBLEM = "application/problem+json"


def _problem(response, status: int, code: str, pointer: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["type"] == "about:blank" and body["status"] == status and body["code"] == code
    assert body["title"] and isinstance(body["detail"], str)
    if pointer is not None:
        assert body["pointer"] == pointer
    # Earlier clients still find what they read before.
    assert (body["error"], body["field"], body["message"]) == (
        body["code"],
        body["pointer"],
        body["detail"],
    )
    return body


def test_every_kind_of_refusal_is_a_problem_with_its_code(app, client, planned):
    case, members = planned
    url = f"/api/v1/cases/{case.id}/plan"
    tag = etag(client, case)
    _problem(client.get("/api/v1/cases/999999"), 404, "not_found")
    _problem(
        client.patch(url, json={}, headers={"Content-Type": MERGE}),
        412,
        "precondition_required",
        "/If-Match",
    )
    _problem(
        patch(client, case, {"aims": "x"}, '"plan-1-99"'), 412, "precondition_failed", "/If-Match"
    )
    _problem(
        client.patch(url, data="{}", headers={"If-Match": tag, "Content-Type": "text/plain"}),
        415,
        "unsupported_media_type",
        "/Content-Type",
    )
    _problem(
        client.patch(url, data="{nope", headers={"If-Match": tag, "Content-Type": MERGE}),
        400,
        "invalid_json",
    )
    body = _problem(patch(client, case, {"aims": 7}, tag), 422, "invalid", "/aims")
    assert body["errors"][0] == body["errors"][0] | {"pointer": "/aims", "code": "type"}
    _problem(patch(client, case, {"aims": "a\u0000b"}, tag), 422, "invalid_text", "/aims")
    patch(client, case, {"aims": "Sam's words"}, tag)
    clash = _problem(patch(client, case, {"aims": "Priya's words"}, tag), 409, "conflict")
    assert clash["conflicts"] and clash["latestVersion"] == 2
    _problem(client.get(f"{url}?version=x"), 400, "invalid", "/version")
    client.post("/sign-out")
    _problem(client.get(url), 401, "unauthorised")
    _, secret = tokens.create(members["sam"].user, "reader", ["read:cases"])
    refused = client.get(url, headers={"Authorization": f"Bearer {secret}"})
    _problem(refused, 403, "insufficient_scope", "/scope")


def test_a_problems_title_is_in_the_callers_language(client, planned):
    case, _ = planned
    english = _problem(client.get("/api/v1/cases/999999"), 404, "not_found")
    client.post("/language/cy")
    welsh = _problem(client.get("/api/v1/cases/999999"), 404, "not_found")
    assert welsh["title"] != english["title"] and welsh["code"] == english["code"]


@pytest.mark.parametrize(
    "query, pointers",
    [
        ("jurisdiction=mars&conference=2026-12-18", ["/jurisdiction"]),
        ("jurisdiction=england&conference=18/12/2026", ["/conference"]),
        ("jurisdiction=england", ["/conference"]),
        ("jurisdiction=england&conference=2026-12-18&meeting=soon", ["/meeting"]),
        ("jurisdiction=england&conference=1066-10-14", ["/conference"]),
        ("jurisdiction=england&conference=2026-12-18&weeks=0", ["/weeks"]),
        ("jurisdiction=england&conference=2026-12-18&wekes=3", ["/wekes"]),
        ("conference=never&weeks=x", ["/conference", "/jurisdiction", "/weeks"]),
    ],
)
def test_a_query_is_checked_by_the_schema_the_document_shows(client, query, pointers):
    body = _problem(client.get(f"/api/v1/timescales?{query}"), 400, "invalid", pointers[0])
    assert [e["pointer"] for e in body["errors"]] == pointers


def test_the_document_lists_the_jurisdictions_the_rules_know(client):
    from coregroup import rules

    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    parameters = document["paths"]["/api/v1/timescales"]["get"]["parameters"]
    jurisdiction = next(p for p in parameters if p["name"] == "jurisdiction")
    assert jurisdiction["schema"]["enum"] == list(rules.load_profiles())
    error = document["paths"]["/api/v1/timescales"]["get"]["responses"]["400"]
    assert PROBLEM in error["content"]


def test_a_member_is_the_same_json_in_the_api_and_the_case_export(client, planned):
    case, members = planned
    listed = client.get(f"/api/v1/cases/{case.id}/members").get_json()["members"]
    exported = client.get(f"/api/v1/cases/{case.id}/export").get_json()["members"]
    by_id = {m["id"]: m for m in exported}
    for member in listed:
        assert by_id[member["id"]] | member == by_id[member["id"]]  # the same, and more there
    assert set(listed[0]) == {"id", "name", "role", "organisation", "joined", "left", "coOpted"}
