"""Editing the plan through the API: If-Match, merge by field, 409 with both values, 412."""

import pytest

from coregroup.models import PlanDraft
from coregroup.plans import services
from tests.conftest import page

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"


def patch(client, case, body, etag, kind=MERGE):
    headers = {"Content-Type": kind}
    if etag:
        headers["If-Match"] = etag
    return client.patch(f"/api/v1/cases/{case.id}/plan", json=body, headers=headers)


def etag(client, case):
    return client.get(f"/api/v1/cases/{case.id}/plan").headers["ETag"]


def test_an_edit_needs_if_match(client, planned):
    case, _ = planned
    response = patch(client, case, {"aims": "x"}, None)
    assert response.status_code == 412 and response.get_json()["field"] == "/If-Match"
    assert patch(client, case, {"aims": "x"}, '"plan-999-1"').status_code == 412


def test_edits_to_different_fields_from_the_same_version_both_stay(client, planned):
    case, _ = planned
    tag = etag(client, case)
    first = patch(client, case, {"aims": "Mine"}, tag)
    assert first.status_code == 200 and first.headers["X-Plan-Version"] == "2"
    second = patch(client, case, {"contingency": "Theirs"}, tag)
    assert second.status_code == 200
    latest = services.latest_version(case).document
    assert (latest["aims"], latest["contingency"]) == ("Mine", "Theirs")


def test_the_same_field_changed_twice_is_a_409_with_both_values_and_nothing_lost(
    client, planned, db
):
    case, members = planned
    tag = etag(client, case)
    assert patch(client, case, {"aims": "First"}, tag).status_code == 200
    response = patch(client, case, {"aims": "Second"}, tag)
    assert response.status_code == 409
    body = response.get_json()
    assert body["conflicts"] == [{"pointer": "/aims", "theirs": "First", "yours": "Second"}]
    draft = db.session.query(PlanDraft).one()
    assert draft.document["aims"] == "Second", "the losing edit is kept until resolved"
    html = page(client.post(f"/cases/{case.id}/plan/save"))
    saved_by = html.select_one("#conflicts .govuk-caption-s").extract().get_text()
    assert saved_by.startswith("Sam (lead social worker), ") and saved_by.endswith("(version 2)")
    cells = [td.get_text(strip=True) for td in html.select("#conflicts tbody td")]
    assert cells == ["What is the core group trying to achieve?", "First", "Second"]


def test_a_json_patch_against_an_item_by_index(client, planned):
    case, _ = planned
    body = [{"op": "replace", "path": "/needs/1/actions/0/status", "value": "done"}]
    response = patch(client, case, body, etag(client, case), JSON_PATCH)
    assert response.status_code == 200
    assert services.latest_version(case).document["needs"][1]["actions"][0]["status"] == "done"


@pytest.mark.parametrize(
    "body, kind, status, field",
    [
        ({"aims": 5}, MERGE, 422, "/aims"),
        ([{"op": "replace", "path": "/nope/0", "value": 1}], JSON_PATCH, 400, "/nope/0"),
        ({"aims": "x"}, "application/json", 415, "/Content-Type"),
        (["not", "a", "merge", "patch"], MERGE, 400, ""),
    ],
)
def test_bad_patches_are_4xx_naming_the_field(client, planned, body, kind, status, field):
    case, _ = planned
    response = patch(client, case, body, etag(client, case), kind)
    assert response.status_code == status
    assert response.get_json()["field"] == field


def test_family_members_cannot_patch_the_plan(client, planned):
    case, members = planned
    tag = etag(client, case)
    client.post("/sign-out")
    from tests.conftest import sign_in

    sign_in(client, members["layla"].user)
    assert patch(client, case, {"aims": "x"}, tag).status_code == 404


def test_the_etag_of_a_compressed_answer_names_the_same_version(client, planned):
    case, _ = planned
    read = client.get(f"/api/v1/cases/{case.id}/plan", headers={"Accept-Encoding": "gzip"})
    tag = read.headers["ETag"].strip('"')
    assert tag.endswith(":gzip")
    response = client.patch(
        f"/api/v1/cases/{case.id}/plan",
        json={"aims": "Safe at home, with the compressed tag."},
        headers={"If-Match": f'"{tag}"', "Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.get_json()


def test_a_patch_that_repeats_an_id_is_refused_not_lost(client, planned):
    """Items merge by id: a copied need would vanish in the merge, so it is refused, named."""
    case, _members = planned
    latest = client.get(f"/api/v1/cases/{case.id}/plan")
    needs = len(latest.get_json()["needs"])
    response = client.patch(
        f"/api/v1/cases/{case.id}/plan",
        json=[{"op": "copy", "from": "/needs/0", "path": "/needs/-"}],
        headers={"If-Match": latest.headers["ETag"], "Content-Type": "application/json-patch+json"},
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == f"/needs/{needs}/id"
