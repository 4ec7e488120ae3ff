"""Whatever is derived from a field goes only where the field goes: a translation exists only
for a field the schema marks translatable, and a reader gets one only if they may read its
field. Tried through the API and every page a parent sees."""

import copy

import pytest

from coregroup.models import PlanVersion
from coregroup.plans import services
from tests.conftest import page, sign_in

MERGE = "application/merge-patch+json"
SECRET = "Police intelligence: do not share with the family"
OTHER_VIEWS = "Daniel's own views, for Daniel only"


def patch(client, case, body):
    tag = client.get(f"/api/v1/cases/{case.id}/plan").headers["ETag"]
    return client.patch(
        f"/api/v1/cases/{case.id}/plan",
        json=body,
        headers={"Content-Type": MERGE, "If-Match": tag},
    )


@pytest.mark.parametrize(
    ("where", "pointer"),
    [
        ("/professionalNotes", "/translations/ar/~1professionalNotes"),
        ("/familyViews/m-daniel/views", "/translations/ar/~1familyViews~1m-daniel~1views"),
        ("/needs/0/id", "/translations/ar/~1needs~10~1id"),
        ("/schemaVersion", "/translations/ar/~1schemaVersion"),
    ],
)
def test_a_translation_of_a_field_not_marked_translatable_is_refused(
    client, planned, where, pointer
):
    case, _ = planned
    response = patch(client, case, {"translations": {"ar": {where: {"text": "x", "source": "y"}}}})
    assert response.status_code == 422
    assert pointer in {e["field"] for e in response.get_json()["errors"]}


def test_a_translation_of_a_translatable_field_is_kept(client, planned):
    case, _ = planned
    body = {"translations": {"ar": {"/aims": {"text": "أهداف", "source": "Aims"}}}}
    assert patch(client, case, body).status_code == 200


@pytest.fixture
def leaky_version(planned, db):
    """A version written before this rule (straight into the table): it translates a
    professional-only field and the other parent's views, each with its original."""
    case, members = planned
    latest = services.latest_version(case)
    document = copy.deepcopy(latest.document)
    document["professionalNotes"] = SECRET
    document.setdefault("familyViews", {})["m-daniel"] = {"views": OTHER_VIEWS}
    document["translations"] = {
        "ar": {
            "/professionalNotes": {"text": "ترجمة سرية", "source": SECRET},
            "/familyViews/m-daniel/views": {"text": "آراء دانيال", "source": OTHER_VIEWS},
            "/aims": {"text": "أن يكون الأطفال آمنين", "source": document["aims"]},
        }
    }
    db.session.add(
        PlanVersion(
            case_id=case.id,
            number=latest.number + 1,
            document=document,
            schema_version=latest.schema_version,
            changes=[],
        )
    )
    db.session.commit()
    return case, members


def test_a_parent_never_receives_a_translation_of_a_field_they_may_not_read(
    client, leaky_version, db
):
    case, members = leaky_version
    layla = members["layla"]
    layla.language = "ar"
    db.session.commit()
    client.post("/sign-out")
    sign_in(client, layla.user)
    exported = client.get(f"/api/v1/cases/{case.id}/plan").get_json()
    assert set(exported["translations"]["ar"]) == {"/aims"}
    pages_a_parent_sees = [
        f"/cases/{case.id}",
        f"/cases/{case.id}/plan",
        f"/cases/{case.id}/plan/read",
        f"/cases/{case.id}/plan/read?lang=ar",
        f"/cases/{case.id}/plan/check",
        f"/cases/{case.id}/meetings",
        f"/cases/{case.id}/plan/live",
    ]
    for url in pages_a_parent_sees:
        response = client.get(url)
        assert response.status_code in (200, 302), url
        body = response.get_data(as_text=True)
        for hidden in (SECRET, OTHER_VIEWS, "ترجمة سرية", "آراء دانيال"):
            assert hidden not in body, (url, hidden)
    assert "أن يكون الأطفال آمنين" in client.get(f"/cases/{case.id}/plan/read").text
    for url in (
        f"/cases/{case.id}/plan/versions",
        f"/cases/{case.id}/plan/compare?from=1&to=2",
        f"/api/v1/cases/{case.id}/plan/versions",
        f"/api/v1/cases/{case.id}/plan/fhir",
        f"/api/v1/cases/{case.id}/export",
        f"/cases/{case.id}/plan/translate/ar",
    ):
        assert client.get(url).status_code == 404, url


def test_a_professional_still_sees_every_translation(client, leaky_version):
    case, _ = leaky_version
    exported = client.get(f"/api/v1/cases/{case.id}/plan").get_json()
    assert set(exported["translations"]["ar"]) == {
        "/professionalNotes",
        "/familyViews/m-daniel/views",
        "/aims",
    }


def test_the_translate_page_offers_only_translatable_fields(client, leaky_version):
    case, _ = leaky_version
    html = page(client.get(f"/cases/{case.id}/plan/translate/ar"))
    originals = [d.get_text() for d in html.select(".govuk-inset-text")]
    assert SECRET not in originals and OTHER_VIEWS not in originals
