"""A page answered after someone else saved: a clash is shown at once and nothing is lost;
different answers merge silently; a draft is never replaced, only merged or set aside."""

import pytest

from coregroup.models import PlanDraft, SetAside
from coregroup.plans import services
from tests.conftest import page, sign_in

CONTINGENCY = "contingency/contingency"


def page_form(response) -> dict:
    """The form's own fields as the page would send them back (what it showed)."""
    html = page(response)
    form = html.select_one("main form[method=post]")
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    for area in form.select("textarea"):
        data[area["name"]] = area.get_text()
    return data


def other_client(app, user):
    other = app.test_client()
    sign_in(other, user)
    return other


def latest(case) -> dict:
    return services.latest_version(case).document


def test_a_stale_page_shows_the_clash_naming_who_saved_and_both_texts_survive(app, client, planned):
    """The sequence seen: Sam and Priya open the same page; Sam saves; Priya, still on the
    old page, types and continues. Her Continue shows the clash before anything is written
    over; Sam's text stays in the plan, hers in her draft, and she chooses."""
    case, members = planned
    url = f"/cases/{case.id}/plan/{CONTINGENCY}"
    priya = other_client(app, members["priya"].user)
    priyas_page = page_form(priya.get(url))  # opened before Sam saves

    sams = page_form(client.get(url))
    sams["contingency"] = "Sam: call the duty team first."
    assert client.post(url, data=sams).status_code == 302
    assert client.post(f"/cases/{case.id}/plan/save").status_code == 302
    saved_by_sam = services.latest_version(case).number

    priyas_page["contingency"] = "Priya: the grandmother takes the children."
    answered = priya.post(url, data=priyas_page)
    assert answered.status_code == 409
    html = page(answered)
    panel = html.select_one("#clash-contingency")
    assert "Sam" in panel.get_text() and f"version {saved_by_sam}" in panel.get_text()
    assert "Sam: call the duty team first." in panel.get_text()
    assert html.select_one("textarea[name=contingency]").get_text() == priyas_page["contingency"]
    # Nothing was written over: Sam's text is the plan's, Priya's is kept in her draft.
    assert latest(case)["contingency"] == "Sam: call the duty team first."
    draft = PlanDraft.query.filter_by(user_id=members["priya"].user.id).one()
    assert draft.document["contingency"] == priyas_page["contingency"]

    # She writes a combination of both and keeps it.
    again = page_form(answered)
    again["contingency"] = "Call the duty team first; then the grandmother takes the children."
    again["keep__contingency"] = "mine"
    assert priya.post(url, data=again).status_code == 302
    assert priya.post(f"/cases/{case.id}/plan/save").status_code == 302
    assert latest(case)["contingency"] == again["contingency"]


def test_keeping_the_other_answer_sets_yours_aside(app, client, planned, db):
    case, members = planned
    url = f"/cases/{case.id}/plan/{CONTINGENCY}"
    priya = other_client(app, members["priya"].user)
    stale = page_form(priya.get(url))
    mine = page_form(client.get(url))
    mine["contingency"] = "Saved first"
    client.post(url, data=mine)
    client.post(f"/cases/{case.id}/plan/save")
    stale["contingency"] = "Typed on an old page"
    answered = priya.post(url, data=stale)
    unchosen = page_form(answered)
    refused = priya.post(url, data=unchosen)
    assert refused.status_code == 409
    assert page(refused).select_one(".govuk-error-summary a")["href"] == "#keep__contingency"
    unchosen["keep__contingency"] = "theirs"
    assert priya.post(url, data=unchosen).status_code == 302
    assert priya.post(f"/cases/{case.id}/plan/save").status_code == 302
    assert latest(case)["contingency"] == "Saved first"
    kept = db.session.query(SetAside).filter_by(user_id=members["priya"].user.id).all()
    assert [a.value["value"] for a in kept] == ["Typed on an old page"]


def test_a_stale_page_of_another_field_merges_silently(app, client, planned):
    case, members = planned
    priya = other_client(app, members["priya"].user)
    aims_url = f"/cases/{case.id}/plan/aims/aims"
    stale = page_form(priya.get(aims_url))
    url = f"/cases/{case.id}/plan/{CONTINGENCY}"
    mine = page_form(client.get(url))
    mine["contingency"] = "Sam's contingency"
    client.post(url, data=mine)
    client.post(f"/cases/{case.id}/plan/save")
    stale["aims"] = "Priya's aims"
    assert priya.post(aims_url, data=stale).status_code == 302
    assert priya.post(f"/cases/{case.id}/plan/save").status_code == 302
    assert latest(case)["aims"] == "Priya's aims"
    assert latest(case)["contingency"] == "Sam's contingency"


def test_an_unchanged_answer_on_a_stale_page_does_not_undo_a_save(app, client, planned):
    """Pressing Continue on an old page without touching a field keeps the newer answer."""
    case, members = planned
    url = f"/cases/{case.id}/plan/{CONTINGENCY}"
    priya = other_client(app, members["priya"].user)
    stale = page_form(priya.get(url))
    mine = page_form(client.get(url))
    mine["contingency"] = "Newer"
    client.post(url, data=mine)
    client.post(f"/cases/{case.id}/plan/save")
    assert priya.post(url, data=stale).status_code == 302
    priya.post(f"/cases/{case.id}/plan/save")
    assert latest(case)["contingency"] == "Newer"


def test_two_windows_of_one_person_never_lose_the_first_answer(client, planned, db):
    case, members = planned
    url = f"/cases/{case.id}/plan/{CONTINGENCY}"
    first, second = page_form(client.get(url)), page_form(client.get(url))
    first["contingency"] = "Typed in the first window"
    client.post(url, data=first)
    second["contingency"] = "Typed in the second window"
    response = client.post(url, data=second)
    assert response.status_code == 302
    shown = page(client.get(response.headers["Location"])).select("main .govuk-notification-banner")
    assert any("another window" in banner.get_text() for banner in shown)
    kept = db.session.query(SetAside).filter_by(user_id=members["sam"].user.id).all()
    assert [a.value["value"] for a in kept] == ["Typed in the first window"]


@pytest.mark.parametrize("page_id", ["change", "outcome"])
def test_answers_for_an_item_removed_meanwhile_are_kept_as_a_clash(app, client, planned, page_id):
    """Priya is answering a need Sam removes and saves: her Continue shows the clash (the
    need removed, who and when), and the need comes back whole in her draft if she keeps it."""
    case, members = planned
    need = latest(case)["needs"][2]
    url = f"/cases/{case.id}/plan/needs/{need['id']}/{page_id}"
    priya = other_client(app, members["priya"].user)
    form = page_form(priya.get(url))
    assert client.post(f"/cases/{case.id}/plan/needs/{need['id']}/remove").status_code == 302
    assert client.post(f"/cases/{case.id}/plan/save").status_code == 302
    removed_in = services.latest_version(case).number
    assert all(n["id"] != need["id"] for n in latest(case).get("needs", []))
    field = next(k for k in form if k not in ("csrf_token", "page_state"))
    form[field] = "Priya's answer, typed before she knew"
    answered = priya.post(url, data=form)
    assert answered.status_code == 409
    panel = page(answered).select_one(f"#clash-{field}").get_text()
    assert "Sam (lead social worker) removed this from the plan on" in panel
    assert f"version {removed_in}" in panel and "(removed)" in panel
    draft = PlanDraft.query.filter_by(user_id=members["priya"].user.id).one()
    kept = next(n for n in draft.document["needs"] if n["id"] == need["id"])
    assert kept[field] == form[field] and kept["side"] == need["side"], "the whole need, kept"
    # She keeps her answer: the need is back, whole, with it.
    again = page_form(answered)
    again[field], again[f"keep__{field}"] = form[field], "mine"
    assert priya.post(url, data=again).status_code == 302
    assert priya.post(f"/cases/{case.id}/plan/save").status_code == 302
    back = next(n for n in latest(case)["needs"] if n["id"] == need["id"])
    assert back[field] == form[field] and back["area"] == need["area"]


def _token_patch(app, case, secret, body, tag):
    return app.test_client().patch(
        f"/api/v1/cases/{case.id}/plan",
        json=body,
        headers={
            "Authorization": f"Bearer {secret}",
            "If-Match": tag,
            "Content-Type": "application/merge-patch+json",
        },
    )


def test_an_api_clash_merges_into_the_same_persons_web_draft(app, client, planned, db):
    """Sam types on the web (not saved); his token then sends a patch that clashes with a save
    by Priya. Neither his typed answers nor his patch are lost: both are in his draft, and
    his earlier typed answer to the same question is set aside where he is shown it."""
    from coregroup import tokens

    case, members = planned
    sam = members["sam"].user
    _token, secret = tokens.create(sam, "Case system", ["read:plans", "write:plans"])
    db.session.commit()
    tag = client.get(f"/api/v1/cases/{case.id}/plan").headers["ETag"]
    # Typed on the web, not saved: two answers.
    client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": "Typed on the web"})
    url = f"/cases/{case.id}/plan/{CONTINGENCY}"
    typed = page_form(client.get(url))
    typed["contingency"] = "Web contingency"
    client.post(url, data=typed)
    # Priya saves a different aim.
    priya = other_client(app, members["priya"].user)
    priya.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": "Priya's aim"})
    assert priya.post(f"/cases/{case.id}/plan/save").status_code == 302
    # Sam's system patches the aims from the version it read: a clash.
    clash = _token_patch(app, case, secret, {"aims": "From the case system"}, tag)
    assert clash.status_code == 409
    draft = db.session.query(PlanDraft).filter_by(user_id=sam.id).one()
    assert draft.document["aims"] == "From the case system"
    assert draft.document["contingency"] == "Web contingency", "the typed answer is still there"
    kept = db.session.query(SetAside).filter_by(user_id=sam.id).all()
    assert [a.value["value"] for a in kept] == ["Typed on the web"]
    check = page(client.get(f"/cases/{case.id}/plan/check"))
    assert "Typed on the web" in check.select_one("#set-aside").get_text()
    assert "Priya's aim" in check.select_one("#conflicts").get_text()


def test_family_views_that_clash_merge_into_the_draft(app, client, planned, db):
    case, members = planned
    layla = other_client(app, members["layla"].user)
    base = services.latest_version(case).number
    url = f"/cases/{case.id}/plan/views"
    assert layla.post(url, data={"views": "From my phone", "base": base}).status_code == 302
    # The same words typed on another phone, from the same old version, differently.
    response = layla.post(url, data={"views": "From my laptop", "base": base})
    assert response.status_code == 302 and response.headers["Location"].endswith("/plan/check")
    draft = db.session.query(PlanDraft).filter_by(user_id=members["layla"].user.id).one()
    assert draft.document["familyViews"]["m-layla"]["views"] == "From my laptop"
    assert latest(case)["familyViews"]["m-layla"]["views"] == "From my phone"


def test_the_translate_page_records_against_the_version_it_showed(app, client, planned, db):
    case, members = planned
    members["layla"].language = "ar"
    db.session.commit()
    form = page(client.get(f"/cases/{case.id}/plan/translate/ar"))
    labels = [lab.get_text(strip=True) for lab in form.select("label.govuk-label")]
    index = labels.index("What is the core group trying to achieve?")
    base = form.select_one("input[name=base]")["value"]
    original = latest(case)["aims"]
    # Meanwhile the aims change.
    priya = other_client(app, members["priya"].user)
    priya.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": "New aims"})
    priya.post(f"/cases/{case.id}/plan/save")
    response = client.post(
        f"/cases/{case.id}/plan/translate/ar",
        data={f"t{index}": "ترجمة", "base": base, "method": "person"},
    )
    assert response.status_code == 302
    saved = latest(case)
    assert saved["aims"] == "New aims"
    # Recorded against the original it translated: shown as out of date, not as current.
    recorded = saved["translations"]["ar"]["/aims"]
    assert {k: recorded[k] for k in ("text", "source")} == {"text": "ترجمة", "source": original}


def test_removing_an_item_someone_changed_since_asks_again(app, client, planned):
    case, members = planned
    need = latest(case)["needs"][0]
    remove_url = f"/cases/{case.id}/plan/needs/{need['id']}/remove"
    priya = other_client(app, members["priya"].user)
    confirm = page_form(priya.get(remove_url))
    change_url = f"/cases/{case.id}/plan/needs/{need['id']}/change"
    sams = page_form(client.get(change_url))
    sams["why"] = "Sam's new reason"
    client.post(change_url, data=sams)
    client.post(f"/cases/{case.id}/plan/save")
    asked = priya.post(remove_url, data=confirm)
    assert asked.status_code == 409
    assert page(asked).select_one("#changed") is not None
    priya.post(f"/cases/{case.id}/plan/save")
    assert any(n["id"] == need["id"] for n in latest(case)["needs"]), "not removed unasked"
    again = priya.post(remove_url, data=page_form(asked))
    assert again.status_code == 302
    assert priya.post(f"/cases/{case.id}/plan/save").status_code == 302
    assert all(n["id"] != need["id"] for n in latest(case)["needs"])


def test_translations_stay_with_their_originals_when_an_item_is_removed_meanwhile(
    app, client, planned, db
):
    """Translations are keyed by JSON Pointer (list positions): a need removed while the
    translator worked must not slide each later translation onto the wrong text."""
    case, members = planned
    members["layla"].language = "ar"
    db.session.commit()
    url = f"/cases/{case.id}/plan/translate/ar"
    form = page(client.get(url))
    base = form.select_one("input[name=base]")["value"]
    originals = [d.get_text() for d in form.select(".govuk-inset-text")]
    typed = {f"t{n}": f"ترجمة {n}: {original[:20]}" for n, original in enumerate(originals)}
    first_need = latest(case)["needs"][0]
    priya = other_client(app, members["priya"].user)
    assert priya.post(f"/cases/{case.id}/plan/needs/{first_need['id']}/remove").status_code == 302
    assert priya.post(f"/cases/{case.id}/plan/save").status_code == 302
    saved = client.post(url, data={**typed, "base": base, "method": "person"})
    assert saved.status_code == 302
    document = latest(case)
    table = document["translations"]["ar"]
    from coregroup.plans.diff import flatten, to_pointer

    texts = {to_pointer(document, k): v for k, v in flatten(document).items() if isinstance(v, str)}
    for where, entry in table.items():
        # Each translation sits beside the very words it translates.
        assert entry["source"] == texts[where], where
        assert entry["text"].split(": ", 1)[1] == entry["source"][:20].strip()
    # Those of the removed need are kept for the translator, not silently dropped.
    kept = db.session.query(SetAside).filter_by(user_id=members["sam"].user.id).all()
    assert kept and all(a.value["value"].startswith("ترجمة") for a in kept)
    assert any(first_need["whatMustChange"][:20].strip() in a.value["value"] for a in kept)


def test_a_clash_between_translators_names_the_question_in_words(app, client, planned, db):
    case, members = planned
    members["layla"].language = "ar"
    db.session.commit()
    url = f"/cases/{case.id}/plan/translate/ar"
    form = page(client.get(url))
    labels = [lab.get_text(strip=True) for lab in form.select("label.govuk-label")]
    index = labels.index("What is the core group trying to achieve?")
    base = form.select_one("input[name=base]")["value"]
    priya = other_client(app, members["priya"].user)
    assert (
        priya.post(
            url, data={f"t{index}": "ترجمة بريا", "base": base, "method": "person"}
        ).status_code
        == 302
    )
    response = client.post(
        url, data={f"t{index}": "ترجمة سام", "base": base, "method": "machine-checked"}
    )
    assert response.headers["Location"].endswith("/plan/check")
    rows = page(client.get(f"/cases/{case.id}/plan/check")).select("#conflicts tbody tr")
    row = next(r for r in rows if "ترجمة بريا" in r.get_text())
    assert (
        "Translation into العربية of: What is the core group trying to achieve?" in row.get_text()
    )
    assert "Priya" in row.get_text() and "ترجمة بريا" in row.get_text()
    # How each was made clashes too: said in words, never as the schema's codes.
    how = next(r for r in rows if "How it was translated" in r.get_text()).get_text()
    assert "By a person" in how and "By a computer, checked by a person" in how
    assert "machine-checked" not in how


def translate_everything(client, case) -> None:
    """Sam translates every translatable answer into Arabic (each translation names its words)."""
    url = f"/cases/{case.id}/plan/translate/ar"
    form = page(client.get(url))
    base = form.select_one("input[name=base]")["value"]
    originals = [d.get_text() for d in form.select(".govuk-inset-text")]
    typed = {f"t{n}": f"ترجمة: {original.strip()}" for n, original in enumerate(originals)}
    assert client.post(url, data={**typed, "base": base, "method": "person"}).status_code == 302


def assert_translations_beside_their_words(case) -> dict:
    """Every translation sits beside the very words it was made of (its pointer names them)."""
    from coregroup.plans.diff import flatten, to_pointer

    document = latest(case)
    texts = {to_pointer(document, k): v for k, v in flatten(document).items() if isinstance(v, str)}
    table = document.get("translations", {}).get("ar", {})
    for where, entry in table.items():
        assert where in texts, f"{where} names nothing"
        assert entry["source"] == texts[where], where
        assert entry["text"] == f"ترجمة: {entry['source'].strip()}", where
    return table


@pytest.fixture
def translated(client, planned, db):
    case, members = planned
    members["layla"].language = "ar"
    db.session.commit()
    translate_everything(client, case)
    assert_translations_beside_their_words(case)
    return case, members


def test_removing_an_action_on_its_page_keeps_every_translation_with_its_words(
    app, client, translated
):
    case, members = translated
    need = latest(case)["needs"][1]
    action = need["actions"][0]
    priya = other_client(app, members["priya"].user)
    url = f"/cases/{case.id}/plan/needs/{need['id']}/actions/{action['id']}/remove"
    assert priya.post(url).status_code == 302
    assert priya.post(f"/cases/{case.id}/plan/save").status_code == 302
    table = assert_translations_beside_their_words(case)
    assert not any(e["source"] == action["what"] for e in table.values())


@pytest.mark.parametrize("kind", ["merge", "json-patch"])
def test_reordering_or_removing_items_through_the_api_moves_translations_with_them(
    client, translated, kind
):
    case, _ = translated
    document = latest(case)
    tag = client.get(f"/api/v1/cases/{case.id}/plan").headers["ETag"]
    if kind == "merge":
        body, content = {"roles": list(reversed(document["roles"]))}, "application/merge-patch+json"
    else:
        body, content = [{"op": "remove", "path": "/needs/0"}], "application/json-patch+json"
    response = client.patch(
        f"/api/v1/cases/{case.id}/plan",
        json=body,
        headers={"Content-Type": content, "If-Match": tag},
    )
    assert response.status_code == 200, response.get_json()
    assert_translations_beside_their_words(case)


def test_a_translation_kept_against_a_removal_is_set_aside_not_lost(app, client, translated, db):
    case, members = translated
    url = f"/cases/{case.id}/plan/translate/ar"
    form = page(client.get(url))
    base = form.select_one("input[name=base]")["value"]
    labels = [lab.get_text(strip=True) for lab in form.select("label.govuk-label")]
    need = latest(case)["needs"][2]
    index = [d.get_text() for d in form.select(".govuk-inset-text")].index(need["whatMustChange"])
    assert labels[index]
    priya = other_client(app, members["priya"].user)
    assert priya.post(f"/cases/{case.id}/plan/needs/{need['id']}/remove").status_code == 302
    assert priya.post(f"/cases/{case.id}/plan/save").status_code == 302
    revised = "ترجمة جديدة"
    typed = {a["id"]: a.get_text() for a in form.select("textarea")}
    response = client.post(
        url, data={**typed, f"t{index}": revised, "base": base, "method": "person"}
    )
    if response.headers["Location"].endswith("/plan/check"):  # a clash with the removal
        client.post(f"/cases/{case.id}/plan/resolve", data={"keep": "mine"})
        assert client.post(f"/cases/{case.id}/plan/save").status_code == 302
    kept = db.session.query(SetAside).filter_by(user_id=members["sam"].user.id).all()
    assert revised in [a.value["value"] for a in kept]
    check = page(client.get(f"/cases/{case.id}/plan/check")).select_one("#set-aside").get_text()
    assert "Translation into العربية of: What needs to change for the child?" in check
    assert_translations_beside_their_words(case)
