"""The plan's own words in the family's language: beside the original, out of date when the
original changes, and carried by the export."""

import datetime as dt

from coregroup.plans import services
from tests.conftest import page, sign_in
from tests.factories import full_plan


def test_a_translation_is_shown_beside_the_original_and_marked_when_out_of_date(
    client, planned, db
):
    case, members = planned
    members["layla"].language = "ar"
    db.session.commit()
    form = page(client.get(f"/cases/{case.id}/plan/translate/ar"))
    fields = {t["id"]: t for t in form.select("textarea")}
    labels = [lab.get_text(strip=True) for lab in form.select("label.govuk-label")]
    index = labels.index("What is the core group trying to achieve?")
    url = f"/cases/{case.id}/plan/translate/ar"
    # How it was made is asked, never assumed: without an answer nothing is saved or lost.
    unsaid = client.post(url, data={f"t{index}": "أن يكون الأطفال آمنين في البيت"})
    assert unsaid.status_code == 400
    asked = page(unsaid)
    assert "Say how these translations were made" in asked.select_one(".govuk-error-summary").text
    assert asked.select_one(f"#t{index}").get_text() == "أن يكون الأطفال آمنين في البيت"
    response = client.post(
        url, data={f"t{index}": "أن يكون الأطفال آمنين في البيت", "method": "machine-checked"}
    )
    assert response.status_code == 302 and fields
    latest = services.latest_version(case)
    assert latest.document["translations"]["ar"]["/aims"] == {
        "text": "أن يكون الأطفال آمنين في البيت",
        "source": full_plan()["aims"],
        "by": members["sam"].user.name,
        "on": dt.date.today().isoformat(),
        "method": "machine-checked",
    }
    assert latest.document["schemaVersion"] == "1.2.0"
    assert client.get(f"/api/v1/cases/{case.id}/plan").get_json()["translations"]["ar"]
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    html = page(client.get(f"/cases/{case.id}/plan/read?lang=en_GB"))
    shown = html.select_one("p.app-translation")
    assert shown.get_text() == "أن يكون الأطفال آمنين في البيت" and shown["lang"] == "ar"
    by = html.select_one("p.app-translation-by").get_text()
    assert f"Translated by a computer and checked by {members['sam'].user.name} on" in by
    assert "out of date" not in html.text
    client.post("/sign-out")
    sign_in(client, members["sam"].user)
    client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": "A new aim"})
    client.post(f"/cases/{case.id}/plan/save")
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    html = page(client.get(f"/cases/{case.id}/plan/read?lang=en_GB"))
    assert "This translation is out of date: the original has changed" in html.text


def test_professional_only_words_are_not_offered_for_translation(client, planned):
    case, _ = planned
    html = page(client.get(f"/cases/{case.id}/plan/translate/ar"))
    assert "Information for professionals only" not in html.text
    assert client.get(f"/cases/{case.id}/plan/translate/xx").status_code == 404
