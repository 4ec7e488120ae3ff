"""The plan pages through the test client: task list, pages, lists, check answers, versions."""

import pytest

from coregroup.models import PlanDraft, PlanVersion
from coregroup.plans import services
from tests.conftest import make_case, make_member, make_user, page, sign_in
from tests.factories import full_plan


def statuses(response):
    html = page(response)
    return {
        item.select_one(".govuk-task-list__name-and-hint").get_text(strip=True): item.select_one(
            ".govuk-task-list__status"
        ).get_text(strip=True)
        for item in html.select(".govuk-task-list__item")
    }


def test_the_task_list_shows_each_section_with_its_status(client, signed_in):
    case, *_ = signed_in
    found = statuses(client.get(f"/cases/{case.id}/plan"))
    assert list(found)[:3] == [
        "What the core group is trying to achieve",
        "Causes of concern",
        "Needs and actions",
    ]
    assert set(found.values()) == {"Not started"}

    client.post(f"/cases/{case.id}/plan/concerns/summary", data={"concerns__summary": "Left alone"})
    client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": "Safe at home"})
    found = statuses(client.get(f"/cases/{case.id}/plan"))
    assert found["What the core group is trying to achieve"] == "Completed"
    assert found["Causes of concern"] == "In progress"


def test_a_full_plan_shows_every_section_completed(client, planned):
    case, _ = planned
    assert set(statuses(client.get(f"/cases/{case.id}/plan")).values()) == {"Completed"}


def test_a_page_asks_one_question_with_the_label_as_heading(client, signed_in):
    case, *_ = signed_in
    html = page(client.get(f"/cases/{case.id}/plan/aims/aims"))
    assert html.select_one("h1 label").get_text(strip=True) == (
        "What is the core group trying to achieve?"
    )
    assert html.select_one("textarea[name=aims]") is not None
    assert html.select_one("input[name=csrf_token]") is not None


def test_answers_are_kept_in_a_draft_and_prefilled(client, signed_in, db):
    case, user, _ = signed_in
    response = client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": "Safe at home"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/cases/{case.id}/plan"
    draft = db.session.query(PlanDraft).one()
    assert draft.document["aims"] == "Safe at home" and draft.user_id == user.id
    html = page(client.get(f"/cases/{case.id}/plan/aims/aims"))
    assert html.select_one("textarea[name=aims]").get_text() == "Safe at home"


def test_a_page_error_is_shown_next_to_the_field_and_in_the_summary(client, planned):
    case, _ = planned
    url = f"/cases/{case.id}/plan/schedule/frequency"
    response = client.post(url, data={"schedule__coreGroupEveryWeeks": "13"})
    assert response.status_code == 400
    html = page(response)
    assert html.title.get_text().startswith("Error:")
    summary = html.select_one(".govuk-error-summary")
    link = summary.select_one("a")
    assert link["href"] == "#schedule__coreGroupEveryWeeks"
    assert link.get_text(strip=True) == "Enter a whole number from 1 to 12"
    assert "Enter a whole number from 1 to 12" in html.select_one(".govuk-error-message").text
    assert html.select_one("#schedule__coreGroupEveryWeeks")["value"] == "13", "typed text kept"


def test_a_bad_date_keeps_what_was_typed(client, planned):
    case, _ = planned
    url = f"/cases/{case.id}/plan/schedule/next"
    typed = {
        "schedule__nextCoreGroup-day": "31",
        "schedule__nextCoreGroup-month": "2",
        "schedule__nextCoreGroup-year": "2027",
        "schedule__reviewConference-day": "3",
        "schedule__reviewConference-month": "2",
        "schedule__reviewConference-year": "2027",
    }
    response = client.post(url, data=typed)
    assert response.status_code == 400
    html = page(response)
    assert html.select_one(".govuk-error-summary a")["href"] == "#schedule__nextCoreGroup-day"
    for name, value in typed.items():
        assert html.select_one(f"input[name='{name}']")["value"] == value


def test_adding_a_need_walks_its_pages_then_its_actions(client, planned, db):
    case, members = planned
    response = client.post(f"/cases/{case.id}/plan/needs/add")
    assert response.status_code == 302
    side_url = response.headers["Location"]
    need_id = side_url.split("/")[-2]
    assert side_url == f"/cases/{case.id}/plan/needs/{need_id}/side"

    response = client.post(side_url, data={"side": "world"})
    area_url = response.headers["Location"]
    assert area_url.endswith(f"/needs/{need_id}/area")
    area_choices = [i["value"] for i in page(client.get(area_url)).select("input[name=area]")]
    assert area_choices[0] == "support-from-family-and-friends" and len(area_choices) == 7

    response = client.post(area_url, data={"area": "comfortable-and-safe-housing"})
    change_url = response.headers["Location"]
    response = client.post(change_url, data={"whatMustChange": "Heating", "why": "Cold"})
    outcome_url = response.headers["Location"]
    response = client.post(outcome_url, data={"intendedOutcome": "A warm home"})
    assert response.headers["Location"] == f"/cases/{case.id}/plan/needs/{need_id}/actions"

    response = client.post(f"/cases/{case.id}/plan/needs/{need_id}/actions/add")
    what_url = response.headers["Location"]
    assert "/actions/" in what_url and what_url.endswith("/what")
    who_url = client.post(what_url, data={"what": "Ask the landlord"}).headers["Location"]
    html = page(client.get(who_url))
    assert {i["value"] for i in html.select("input[name=who]")} == {m.ref for m in members.values()}
    when_url = client.post(who_url, data={"who": ["m-sam"]}).headers["Location"]
    response = client.post(
        when_url,
        data={"byWhen-day": "1", "byWhen-month": "2", "byWhen-year": "2027", "status": "done"},
    )
    assert response.headers["Location"] == f"/cases/{case.id}/plan/needs/{need_id}/actions"

    assert client.post(f"/cases/{case.id}/plan/save").status_code == 302
    latest = services.latest_version(case)
    need = latest.document["needs"][-1]
    assert need["area"] == "comfortable-and-safe-housing"
    assert need["actions"][0] == {
        "id": need["actions"][0]["id"],
        "what": "Ask the landlord",
        "who": ["m-sam"],
        "byWhen": "2027-02-01",
        "status": "done",
    }


def test_changing_the_side_drops_an_area_from_the_other_side(client, planned):
    case, _ = planned
    url = f"/cases/{case.id}/plan/needs/need-supervision/side"
    client.post(url, data={"side": "grow"})  # its area "keeping-me-safe" is on the care side
    document, _ = services.working_document(case, planned[1]["sam"].user)
    assert "area" not in document["needs"][0]
    html = page(client.get(f"/cases/{case.id}/plan/check"))
    assert html.select_one(".govuk-summary-list") is not None
    response = client.post(f"/cases/{case.id}/plan/save")
    assert response.status_code == 400
    link = page(response).select_one(".govuk-error-summary a")
    assert link["href"].startswith(
        f"/cases/{case.id}/plan/needs/need-supervision/area?return=check"
    )


def test_a_conditional_question_is_revealed_and_required(client, planned):
    case, _ = planned
    url = f"/cases/{case.id}/plan/needs/need-health/actions/act-review/when"
    html = page(client.get(url))
    conditional = html.select_one(".govuk-radios__conditional textarea[name=reasonNotPossible]")
    assert conditional is not None, "the reason is asked inside the 'cannot be done' choice"
    date = {"byWhen-day": "1", "byWhen-month": "2", "byWhen-year": "2027"}
    response = client.post(url, data={**date, "status": "cannot-be-done"})
    assert response.status_code == 400
    assert "Enter why it cannot be done" in page(response).select_one(".govuk-error-summary").text
    response = client.post(
        url, data={**date, "status": "in-progress", "reasonNotPossible": "Typed, then changed"}
    )
    assert response.status_code == 302
    document, _ = services.working_document(case, planned[1]["sam"].user)
    assert "reasonNotPossible" not in document["needs"][1]["actions"][0]


def test_removing_an_item_asks_first(client, planned):
    case, members = planned
    url = f"/cases/{case.id}/plan/needs/need-school/remove"
    html = page(client.get(url))
    assert "Are you sure you want to remove Need 3?" in html.select_one("h1").text
    response = client.post(url)
    assert response.headers["Location"] == f"/cases/{case.id}/plan/needs"
    client.post(f"/cases/{case.id}/plan/save")
    latest = services.latest_version(case)
    assert "need-school" not in [n["id"] for n in latest.document["needs"]]
    first = services.get_version(case, 1)
    assert "need-school" in [n["id"] for n in first.document["needs"]], "old versions keep it"


def test_the_list_page_summarises_items_with_change_and_remove(client, planned):
    case, _ = planned
    html = page(client.get(f"/cases/{case.id}/plan/needs"))
    keys = [k.get_text(strip=True) for k in html.select(".govuk-summary-list__key")]
    assert keys == ["Need 1", "Need 2", "Need 3", "Need 4"]
    assert html.select_one("form[action$='/needs/add'] button").get_text(strip=True) == (
        "Add another need"
    )


def test_check_answers_lists_everything_with_change_links(client, planned):
    case, _ = planned
    html = page(client.get(f"/cases/{case.id}/plan/check"))
    assert html.select_one("h1").get_text(strip=True) == "Check your answers before saving the plan"
    links = [a["href"] for a in html.select(".govuk-summary-list__actions a")]
    assert f"/cases/{case.id}/plan/aims/aims?return=check" in links
    assert f"/cases/{case.id}/plan/needs/need-health/actions/act-review/who?return=check" in links
    values = html.get_text(" ")
    assert "Keeping me safe" in values and "What I need from people who look after me" in values


def test_a_change_from_check_answers_returns_there(client, planned):
    case, _ = planned
    response = client.post(
        f"/cases/{case.id}/plan/aims/aims?return=check", data={"aims": "Different aims"}
    )
    assert response.headers["Location"] == f"/cases/{case.id}/plan/check"


def test_saving_makes_a_new_version_with_author_and_changed_paths(client, planned, db):
    case, members = planned
    client.post(f"/cases/{case.id}/plan/contingency/contingency", data={"contingency": "New"})
    response = client.post(f"/cases/{case.id}/plan/save")
    assert response.status_code == 302
    version = services.latest_version(case)
    assert version.number == 2
    assert version.author_id == members["sam"].user_id
    assert version.changes == [{"op": "replace", "path": "/contingency"}]
    assert db.session.query(PlanDraft).count() == 0
    assert services.get_version(case, 1).document["contingency"] != "New", "versions are immutable"


def test_saving_without_changes_makes_no_version(client, planned):
    case, _ = planned
    client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": full_plan()["aims"]})
    client.post(f"/cases/{case.id}/plan/save")
    assert services.latest_version(case).number == 1


def test_a_save_merges_with_a_version_saved_meanwhile(client, planned, db):
    case, members = planned
    client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": "Mine"})
    other = full_plan()
    other["contingency"] = "Theirs"
    services.write_version(case, members["priya"].user, other)
    db.session.commit()
    client.post(f"/cases/{case.id}/plan/save")
    latest = services.latest_version(case).document
    assert (latest["aims"], latest["contingency"]) == ("Mine", "Theirs")


def test_a_clash_with_a_version_saved_meanwhile_shows_both_and_keeps_the_draft(client, planned, db):
    case, members = planned
    client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": "Mine"})
    other = full_plan()
    other["aims"] = "Theirs"
    services.write_version(case, members["priya"].user, other)
    db.session.commit()
    response = client.post(f"/cases/{case.id}/plan/save")
    assert response.status_code == 400
    cells = page(response).select("#conflicts tbody td")
    saved_by = cells[1].select_one(".govuk-caption-s").extract().get_text()
    assert saved_by.startswith("Priya (health visitor), ") and saved_by.endswith("(version 2)")
    row = [td.get_text(strip=True) for td in cells]
    assert row == ["What is the core group trying to achieve?", "Theirs", "Mine"]
    assert db.session.query(PlanDraft).one().document["aims"] == "Mine"


@pytest.mark.parametrize("keep, expected", [("mine", "Mine"), ("theirs", "Theirs")])
def test_a_clash_is_settled_by_choosing_which_answers_to_keep(client, planned, db, keep, expected):
    case, members = planned
    client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": "Mine"})
    client.post(f"/cases/{case.id}/plan/contingency/contingency", data={"contingency": "My plan"})
    other = full_plan()
    other["aims"] = "Theirs"
    other["childViews"] = "Their update"
    services.write_version(case, members["priya"].user, other)
    db.session.commit()
    client.post(f"/cases/{case.id}/plan/save")
    response = client.post(f"/cases/{case.id}/plan/resolve", data={"keep": keep})
    assert response.headers["Location"] == f"/cases/{case.id}/plan/check"
    assert client.post(f"/cases/{case.id}/plan/save").status_code == 302
    latest = services.latest_version(case)
    assert latest.number == 3
    assert latest.document["aims"] == expected
    assert latest.document["contingency"] == "My plan", "my change that did not clash is kept"
    assert latest.document["childViews"] == "Their update", "their change is kept"
    assert services.get_version(case, 2).document["aims"] == "Theirs", "history keeps theirs"


def test_discarding_a_draft(client, planned, db):
    case, _ = planned
    client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": "Mine"})
    assert client.post(f"/cases/{case.id}/plan/discard").status_code == 302
    assert db.session.query(PlanDraft).count() == 0


def test_versions_are_listed_shown_and_compared(client, planned):
    case, _ = planned
    client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": "Second aims"})
    client.post(f"/cases/{case.id}/plan/save")
    html = page(client.get(f"/cases/{case.id}/plan/versions"))
    rows = html.select("tbody tr")
    assert [r.select_one("td").get_text(strip=True) for r in rows] == ["Version 2", "Version 1"]
    html = page(client.get(f"/cases/{case.id}/plan/versions/1"))
    assert "Version 1 of the plan" in html.select_one("h1").text
    html = page(client.get(f"/cases/{case.id}/plan/compare?from=1&to=2"))
    cells = [td.get_text(strip=True) for td in html.select("tbody tr td")]
    assert cells == [
        "What is the core group trying to achieve?",
        "Changed",
        full_plan()["aims"],
        "Second aims",
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/plan/no-such-section",
        "/plan/aims/no-such-page",
        "/plan/needs/no-such-need/side",
        "/plan/needs/need-health/no-such-page",
        "/plan/needs/need-health/actions/no-such-action/what",
        "/plan/versions/99",
        "/plan/compare?from=1&to=99",
    ],
)
def test_missing_things_are_404_pages(client, planned, path):
    case, _ = planned
    response = client.get(f"/cases/{case.id}{path}")
    assert response.status_code == 404
    assert page(response).select_one("h1").get_text(strip=True) == "Page not found"


def test_an_item_address_opens_its_first_page(client, planned):
    case, _ = planned
    response = client.get(f"/cases/{case.id}/plan/needs/need-health")
    assert response.headers["Location"] == f"/cases/{case.id}/plan/needs/need-health/side"
    response = client.get(f"/cases/{case.id}/plan/aims")
    assert response.headers["Location"] == f"/cases/{case.id}/plan/aims/aims"


def test_the_start_page_leads_to_sign_in_or_the_cases(client, planned):
    case, _ = planned
    assert client.get("/").headers["Location"] == "/cases"
    html = page(client.get("/cases"))
    assert html.select_one(f"a[href='/cases/{case.id}']") is not None
    overview = page(client.get(f"/cases/{case.id}"))
    assert "Work on the plan" in overview.get_text()
    client.post("/sign-out")
    assert client.get("/").headers["Location"] == "/sign-in"


def test_save_errors_are_listed_in_the_order_of_the_plan(client, planned):
    case, _ = planned
    client.post(f"/cases/{case.id}/plan/roles/add")
    client.post(f"/cases/{case.id}/plan/needs/add")
    response = client.post(f"/cases/{case.id}/plan/save")
    texts = [a.get_text(strip=True) for a in page(response).select(".govuk-error-summary a")]
    assert texts[0].startswith("Needs and actions") and texts[-1].startswith("Roles")


def test_a_case_that_does_not_exist_is_404(client, signed_in):
    assert client.get("/cases/9999/plan").status_code == 404


@pytest.mark.parametrize("who", ["stranger", "leaver"])
@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/cases/{id}"),
        ("GET", "/cases/{id}/plan"),
        ("GET", "/cases/{id}/plan/aims/aims"),
        ("GET", "/cases/{id}/plan/check"),
        ("GET", "/cases/{id}/plan/versions"),
        ("GET", "/cases/{id}/plan/needs/need-health/side"),
        ("POST", "/cases/{id}/plan/aims/aims"),
        ("GET", "/api/v1/cases/{id}/plan"),
    ],
)
def test_someone_outside_the_core_group_gets_404_everywhere(client, planned, db, who, method, path):
    """A stranger (a member of another case only) and someone who has left: the same 404."""
    import datetime as dt

    case, members = planned
    if who == "stranger":
        person = make_user()
        make_member(make_case(), person)
    else:
        person = members["owen"].user
        members["owen"].left_on = dt.date(2026, 11, 20)
        db.session.commit()
    client.post("/sign-out")
    sign_in(client, person)
    response = client.open(path.format(id=case.id), method=method, data={"aims": "x"})
    assert response.status_code == 404


def test_signed_out_people_are_sent_to_sign_in(client, planned):
    case, _ = planned
    client.post("/sign-out")
    response = client.get(f"/cases/{case.id}/plan")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_the_family_flow_asks_only_the_family_questions_in_plain_words(client, planned):
    case, members = planned
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    found = statuses(client.get(f"/cases/{case.id}/plan"))
    assert list(found) == ["What you think about the plan", "What your child thinks"]
    url = f"/cases/{case.id}/plan/your-views/your-views"
    html = page(client.get(url))
    assert html.select_one("h1").get_text(strip=True) == "What do you think about the plan?"
    name = "familyViews__m-layla__views"
    assert html.select_one(f"textarea[name={name}]") is not None
    assert client.get(f"/cases/{case.id}/plan/aims/aims").status_code == 404
    client.post(url, data={name: "I want the children home with me."})
    check = page(client.get(f"/cases/{case.id}/plan/check"))
    assert "Causes of concern" not in check.get_text()
    assert client.post(f"/cases/{case.id}/plan/save").status_code == 302
    latest = services.latest_version(case)
    assert latest.document["familyViews"] == {
        "m-layla": {"views": "I want the children home with me."}
    }
    assert latest.author_id == members["layla"].user_id


def test_each_parent_writes_their_own_views(client, planned):
    case, members = planned
    for key, words in (("layla", "Layla's words"), ("daniel", "Daniel's words")):
        client.post("/sign-out")
        sign_in(client, members[key].user)
        name = f"familyViews__m-{key}__views"
        client.post(f"/cases/{case.id}/plan/your-views/your-views", data={name: words})
        client.post(f"/cases/{case.id}/plan/save")
    views = services.latest_version(case).document["familyViews"]
    assert views == {"m-layla": {"views": "Layla's words"}, "m-daniel": {"views": "Daniel's words"}}


def test_stored_versions_are_always_valid(db, planned):
    case, _ = planned
    bad = full_plan()
    bad["aims"] = 5
    with pytest.raises(ValueError, match="invalid"):
        services.write_version(case, None, bad)
    assert db.session.query(PlanVersion).count() == 1
