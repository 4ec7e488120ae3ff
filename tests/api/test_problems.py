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
    assert body["type"] == f"/api/v1/docs#problem-{code}"
    assert body["status"] == status and body["code"] == code
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


def test_each_problem_type_is_described_on_the_api_page(client):
    from coregroup.problems import TITLES
    from tests.conftest import page

    html = page(client.get("/api/v1/docs"))
    for code in TITLES:
        assert html.select_one(f"#problem-{code}"), code


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
    assert set(listed[0]) == {
        "id",
        "name",
        "role",
        "organisation",
        "joined",
        "left",
        "coOpted",
        "confidential",
        "email",
        "phone",
        "address",
    }


def _raw_patch(client, case, body: str, tag: str, kind: str = MERGE):
    return client.patch(
        f"/api/v1/cases/{case.id}/plan",
        data=body.encode("utf-8", "surrogatepass"),
        headers={"If-Match": tag, "Content-Type": kind},
    )


def test_what_a_black_box_review_sent_is_refused_cleanly(client, planned):
    """Each of these was a 500 or a misleading answer before."""
    from tests.api.test_patch import JSON_PATCH

    case, _ = planned
    tag = etag(client, case)
    # A lone surrogate in a key: 422 naming it (scrubbed), not a 500 while answering.
    _problem(_raw_patch(client, case, '{"\\ud800": "x"}', tag), 422, "invalid_text", "/\ufffd")
    # A JSON Patch that would replace the whole plan with something else.
    for value in ("5", "[]"):
        body = f'[{{"op": "replace", "path": "", "value": {value}}}]'
        _problem(_raw_patch(client, case, body, tag, JSON_PATCH), 400, "invalid_patch", "")
    # The operation that fails is the one named, in words, with its plan path.
    failing = (
        '[{"op": "add", "path": "/aims", "value": "x"}, {"op": "remove", "path": "/needs/99"}]'
    )
    refused = _problem(_raw_patch(client, case, failing, tag, JSON_PATCH), 400, "invalid_patch")
    assert refused["pointer"] == "/needs/99" and "Operation 1" in refused["detail"]
    assert len(refused["detail"]) < 200  # no dump of the plan
    for path in ("5", '["a"]', '"aims"'):
        body = f'[{{"op": "replace", "path": {path}, "value": 1}}]'
        odd = _problem(_raw_patch(client, case, body, tag, JSON_PATCH), 400, "invalid_patch", "")
        assert "JSON Pointer" in odd["detail"]
    # An invalid plan says what is wrong with each answer.
    invalid = _problem(patch(client, case, {"aims": 5}, tag), 422, "invalid", "/aims")
    assert all(e["detail"] for e in invalid["errors"])
    # A clash points at the answer.
    patch(client, case, {"aims": "One"}, tag)
    _problem(patch(client, case, {"aims": "Two"}, tag), 409, "conflict", "/aims")
    # A GET whose If-Match names another version: a problem, not the plan under a 412.
    stale = client.get(f"/api/v1/cases/{case.id}/plan", headers={"If-Match": '"nope"'})
    _problem(stale, 412, "precondition_failed", "/If-Match")


@pytest.mark.parametrize(
    "query, pointer",
    [
        ("?version=1&version=2", "/version"),
        ("?version=1_0", "/version"),
        ("?version=%2B1", "/version"),
        ("?version=%EF%BC%91", "/version"),  # a full-width 1
        ("?lang=cy", "/lang"),  # the pages' parameter, not the API's
    ],
)
def test_query_strings_are_read_strictly(client, planned, query, pointer):
    case, _ = planned
    response = client.get(f"/api/v1/cases/{case.id}/plan{query}")
    _problem(response, 400, "invalid", pointer)
    assert "Set-Cookie" not in response.headers


def test_operations_without_parameters_refuse_them(client, planned):
    case, _ = planned
    _problem(client.get("/api/v1/cases?foo=1"), 400, "invalid", "/foo")
    _problem(client.get(f"/api/v1/cases/{case.id}?foo=1"), 400, "invalid", "/foo")


@pytest.mark.parametrize(
    "query, pointer",
    [
        ("jurisdiction=england&conference=20240110", "/conference"),
        ("jurisdiction=england&conference=2026-12-18&meeting=2026-12-01", "/meeting"),
        ("jurisdiction=england&conference=2026-12-18&weeks=8", "/weeks"),
        ("jurisdiction=england&jurisdiction=wales&conference=2026-12-18", "/jurisdiction"),
    ],
)
def test_timescales_refuse_what_the_procedures_would_not_allow(client, query, pointer):
    _problem(client.get(f"/api/v1/timescales?{query}"), 400, "invalid", pointer)


def test_errors_keep_their_headers_and_answer_who_asks_for_problems(client, planned):
    case, _ = planned
    wrong = client.delete(f"/api/v1/cases/{case.id}/plan")
    _problem(wrong, 405, "method_not_allowed")
    assert "GET" in wrong.headers["Allow"]
    client.post("/sign-out")
    anonymous = client.get(f"/api/v1/cases/{case.id}/plan")
    _problem(anonymous, 401, "unauthorised")
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    asked = client.get("/no-such-page", headers={"Accept": "application/problem+json"})
    _problem(asked, 404, "not_found")


def test_a_refused_change_is_recorded_as_refused_never_as_a_change(client, planned, db):
    from sqlalchemy import select

    from coregroup.models import AuditEvent

    case, _ = planned
    tag = etag(client, case)
    patch(client, case, {"aims": 5}, tag)  # 422
    patch(client, case, {"aims": "Fine"}, tag)  # 200
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.target.like("PATCH %")).order_by(AuditEvent.seq)
    ).all()
    assert actions == ["refused", "change"]


def test_a_page_that_shows_another_is_recorded_once(client, planned, db):
    from sqlalchemy import func, select

    from coregroup.models import AuditEvent

    case, _ = planned
    url = f"/cases/{case.id}/plan/needs"
    assert client.get(url).status_code == 200
    assert db.session.scalar(select(func.count()).where(AuditEvent.target == f"GET {url}")) == 1


def test_a_parents_views_sent_as_json_are_refused_naming_every_problem(client, planned):
    from tests.conftest import sign_in

    case, members = planned
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    url = f"/cases/{case.id}/plan/views"
    both = _problem(client.post(url, json={"views": "", "base": "x"}), 422, "invalid", "/views")
    assert [e["pointer"] for e in both["errors"]] == ["/views", "/base"]
    _problem(client.post(url, json={"views": "Mine", "base": 999}), 422, "invalid", "/base")
    _problem(client.post(url, json=["not", "an", "object"]), 400, "invalid_json")
