"""The app on a phone, server side: manifest, service worker, offline page, compressed and
long-cached static files, the family's plan page marked as the only page that may be kept, and
views sent later with the version they were based on."""

import json
import re

from coregroup.models import PlanDraft
from coregroup.plans import services
from tests.conftest import page, sign_in


def _as(client, members, key):
    client.post("/sign-out")
    sign_in(client, members[key].user)


def test_the_manifest_names_the_app_in_the_page_language_with_icons_that_exist(client, app):
    english = client.get("/manifest.webmanifest?lang=en_GB")
    assert english.mimetype == "application/manifest+json"
    body = english.get_json(force=True)
    assert body["name"] == "Core Group" and body["display"] == "standalone"
    assert body["start_url"] == "/" and body["lang"] == "en-GB"
    sizes = {icon["sizes"] for icon in body["icons"]}
    assert {"192x192", "512x512"} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in body["icons"])
    for icon in body["icons"]:
        assert client.get(icon["src"]).status_code == 200
    welsh = client.get("/manifest.webmanifest?lang=cy")
    assert welsh.get_json(force=True)["description"] != body["description"]


def test_the_service_worker_keeps_the_app_files_that_pages_load(client, planned):
    worker = client.get("/sw.js")
    assert worker.mimetype == "text/javascript"
    assert worker.headers["Cache-Control"] == "no-cache"
    shell = json.loads(re.search(r"const SHELL_FILES = (\[.*?\]);", worker.text)[1])
    assert "/offline" in shell
    for url in shell:
        assert client.get(url).status_code == 200, url
    case, _ = planned
    html = client.get(f"/cases/{case.id}/plan/read").text
    loaded = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert loaded and set(loaded) <= set(shell)  # a repeat visit needs no static file


def test_static_files_are_fingerprinted_cached_for_a_year_and_compressed(client, planned):
    case, _ = planned
    html = client.get(f"/cases/{case.id}/plan/read").text
    css = re.search(r'href="(/static/dist/fp/app\.[0-9a-f]{12}\.css)"', html)[1]
    response = client.get(css, headers={"Accept-Encoding": "br, gzip"})
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Encoding"] in ("br", "deflate")
    page_response = client.get(f"/cases/{case.id}/plan/read", headers={"Accept-Encoding": "gzip"})
    assert page_response.headers["Content-Encoding"] == "gzip"


def test_only_the_familys_view_of_the_plan_may_be_kept_on_a_phone(client, planned):
    case, members = planned
    professional = client.get(f"/cases/{case.id}/plan/read")
    assert professional.headers["Cache-Control"] == "no-store"
    assert "X-Offline-Copy" not in professional.headers
    assert client.get(f"/cases/{case.id}/plan").headers["Cache-Control"] == "no-store"
    _as(client, members, "layla")
    family = client.get(f"/cases/{case.id}/plan/read")
    assert family.headers["Cache-Control"] == "no-store"  # never in the browser's own cache
    assert family.headers["X-Offline-Copy"] == "family-plan"
    assert family.headers["X-Offline-User"] == str(members["layla"].user.id)
    assert "Keep the plan on this phone" in family.text


def test_a_fresh_token_for_sending_later_only_when_signed_in(client, planned):
    assert client.get("/session/token").get_json()["csrfToken"]
    client.post("/sign-out")
    response = client.get("/session/token")
    assert response.status_code == 401 and response.get_json() == {"signedIn": False}


def test_views_sent_later_are_merged_into_the_latest_plan(client, planned, db):
    case, members = planned
    base = services.latest_version(case).number
    services.write_version(
        case, members["sam"].user, {**services.latest_version(case).document, "aims": "New aim"}
    )
    db.session.commit()
    _as(client, members, "layla")
    url = f"/cases/{case.id}/plan/views"
    response = client.post(url, json={"views": "Written on the bus.", "base": base})
    assert response.status_code == 201 and response.get_json()["saved"] is True
    latest = services.latest_version(case).document
    assert latest["familyViews"]["m-layla"]["views"] == "Written on the bus."
    assert latest["aims"] == "New aim"  # the professional's change since is kept
    again = client.post(url, json={"views": "Written on the bus.", "base": base})
    assert again.status_code == 200  # sent twice (an answer lost on the way): no new version


def test_a_clash_is_kept_as_a_draft_never_dropped(client, planned, db):
    case, members = planned
    base = services.latest_version(case).number
    _as(client, members, "layla")
    url = f"/cases/{case.id}/plan/views"
    assert client.post(url, json={"views": "From my other phone.", "base": base}).status_code == 201
    response = client.post(url, json={"views": "From this phone.", "base": base})
    assert response.status_code == 409
    assert response.get_json()["check"] == f"/cases/{case.id}/plan/check"
    draft = db.session.query(PlanDraft).filter_by(user_id=members["layla"].user.id).one()
    assert draft.document["familyViews"]["m-layla"]["views"] == "From this phone."
    assert "From this phone." in client.get(f"/cases/{case.id}/plan/check").text


def test_bad_views_get_an_error_naming_the_field_and_keep_what_was_typed(client, planned):
    case, members = planned
    _as(client, members, "layla")
    url = f"/cases/{case.id}/plan/views"
    too_long = client.post(url, json={"views": "x" * 4001, "base": 1})
    assert too_long.status_code == 422
    assert too_long.get_json()["errors"][0]["pointer"] == "/views"
    assert (
        client.post(url, json={"views": "ok", "base": "one"}).get_json()["errors"][0]["pointer"]
        == "/base"
    )
    assert client.post(url, json=["not", "an", "object"]).status_code == 400
    form = client.post(url, data={"views": "   ", "base": "1"})
    assert form.status_code == 400
    html = page(form)
    assert html.select_one(".govuk-error-summary a")["href"] == "#views"
    assert "Write your views before you send them." in html.select_one("#views-error").text
    typed = client.post(url, data={"views": "y" * 4001, "base": "1"})
    assert page(typed).select_one("textarea#views").text.strip() == "y" * 4001


def test_views_from_the_plan_page_without_javascript(client, planned):
    case, members = planned
    _as(client, members, "daniel")
    response = client.post(
        f"/cases/{case.id}/plan/views", data={"views": "I agree with most of it.", "base": "1"}
    )
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).text
    assert "Your views are saved in the plan." in html and "I agree with most of it." in html


def test_only_family_members_send_views_here(client, planned):
    case, _ = planned
    response = client.post(f"/cases/{case.id}/plan/views", json={"views": "Hi", "base": 1})
    assert response.status_code == 404
