"""Recording the initial conference, membership over time, and the case's due dates."""

import datetime as dt

from coregroup.models import Case, Member
from tests.conftest import make_user, page, sign_in


def conference_form(**overrides):
    data = {
        "reference": "CP-2026-0099",
        "child1": "Maya Brown",
        "child1_born-day": "3",
        "child1_born-month": "4",
        "child1_born-year": "2018",
        "child2": "Leo Brown",
        "jurisdiction": "england",
        "conference-day": "19",
        "conference-month": "12",
        "conference-year": "2025",
        "child1_categories": ["neglect", "emotional"],
        "child2_categories": ["neglect"],
        "first_core_group-day": "5",
        "first_core_group-month": "1",
        "first_core_group-year": "2026",
        "every_weeks": "4",
    }
    data.update(overrides)
    return data


def test_a_lead_social_worker_records_the_initial_conference(client, db, monkeypatch):
    user = make_user(name="Lena Lead")
    sign_in(client, user)
    response = client.post("/cases/new", data=conference_form())
    assert response.status_code == 302
    case = db.session.query(Case).one()
    assert [c.name for c in case.children] == ["Maya Brown", "Leo Brown"]
    assert case.children[0].date_of_birth == dt.date(2018, 4, 3)
    assert [c.current_plan.categories for c in case.children] == [
        ["neglect", "emotional"],
        ["neglect"],
    ], "each child's own categories"
    assert case.children[0].current_plan.started_on == dt.date(2025, 12, 19)
    assert (case.jurisdiction, case.core_group_every_weeks) == ("england", 4)
    lead = case.members[0]
    assert (lead.user_id, lead.role) == (user.id, "lead-social-worker")
    overview = page(client.get(f"/cases/{case.id}"))
    rows = {
        r.select_one("dt").get_text(strip=True): r.select_one("dd").get_text(strip=True)
        for r in overview.select(".govuk-summary-list__row")
    }
    assert rows["Next core group due by"] == "7 January 2026", "10 working days, over Christmas"
    api = client.get(f"/api/v1/cases/{case.id}").get_json()
    assert api["dueDates"]["firstCoreGroupDue"] == "2026-01-07"
    assert api["dueDates"]["reviewConferenceDue"] == "2026-03-19"
    assert api["dueDates"]["nextCoreGroupPlanned"] == "2026-01-05"


def test_conference_errors_keep_what_was_typed(client, db):
    sign_in(client, make_user())
    response = client.post(
        "/cases/new",
        data=conference_form(
            **{"child1_categories": ["exploitation"], "conference-year": "2099", "child1": ""}
        ),
    )
    assert response.status_code == 400
    html = page(response)
    errors = [a.get_text(strip=True) for a in html.select(".govuk-error-summary a")]
    assert "Enter the child's full name" in errors
    assert "The date of the conference must be today or in the past" in errors
    assert "Exploitation is not a category under these procedures" in errors
    assert html.select_one("input[name=reference]")["value"] == "CP-2026-0099"
    assert html.select_one("input[name=conference-year]")["value"] == "2099"


def test_scotland_needs_the_frequency_from_the_conference(client, db):
    sign_in(client, make_user())
    response = client.post(
        "/cases/new", data=conference_form(jurisdiction="scotland", every_weeks="")
    )
    assert response.status_code == 400
    assert "enter how often the core group will meet" in page(response).text


def test_family_members_cannot_open_cases(client, planned):
    case, members = planned
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    assert client.get("/cases/new").status_code == 404


def test_members_are_co_opted_and_leave_with_dates_kept(client, planned, db):
    case, members = planned
    case.initial_conference = dt.date(2026, 11, 2)
    db.session.commit()
    response = client.post(
        f"/cases/{case.id}/members",
        data={
            "name": "Pat Police",
            "role": "police",
            "organisation": "Police",
            "email": "pat@example.com",
            "language": "en_GB",
            "joined-day": "20",
            "joined-month": "11",
            "joined-year": "2026",
        },
    )
    assert response.status_code == 302
    pat = db.session.query(Member).filter_by(name="Pat Police").one()
    assert pat.co_opted and pat.joined_on == dt.date(2026, 11, 20)
    owen = members["owen"]
    response = client.post(
        f"/cases/{case.id}/members/{owen.id}/leave",
        data={"left-day": "1", "left-month": "10", "left-year": "2026"},
    )
    assert response.status_code == 400
    assert "on or after the date they joined" in page(response).text
    client.post(
        f"/cases/{case.id}/members/{owen.id}/leave",
        data={"left-day": "1", "left-month": "12", "left-year": "2026"},
    )
    assert owen.left_on == dt.date(2026, 12, 1)
    html = page(client.get(f"/cases/{case.id}/members"))
    assert "co-opted" in html.text and "1 December 2026" in html.text


def test_a_member_who_left_cannot_be_given_an_action(client, planned, db):
    case, members = planned
    members["ruth"].left_on = dt.date(2026, 12, 1)
    db.session.commit()
    url = f"/cases/{case.id}/plan/needs/need-health/actions/act-vaccines/who"
    html = page(client.get(url))
    ruth = html.select_one("input[value='m-ruth']")
    assert ruth is not None and ruth.has_attr("checked"), "still shown where already chosen"
    assert "left the core group" in html.select_one("label[for='" + ruth["id"] + "']").text
    response = client.post(url, data={"who": ["m-ruth", "m-layla"]})
    assert response.status_code == 400
    assert (
        "Ruth left the core group on 1 December 2026. Choose someone who is still in it"
        in page(response).select_one(".govuk-error-summary").text
    )
    assert client.post(url, data={"who": ["m-layla"]}).status_code == 302
    fresh = page(client.get(f"/cases/{case.id}/plan/needs/need-health/actions/act-review/who"))
    assert fresh.select_one("input[value='m-ruth']") is None, "not offered for new choices"


def test_the_triangle_marks_the_areas_with_needs(client, planned):
    case, _ = planned
    html = page(client.get(f"/cases/{case.id}"))
    svg = html.select_one("figure.app-triangle svg")
    assert svg["role"] == "img" and "Keeping me safe" in svg.select_one("desc").text
    bold = [s.get_text(strip=True) for s in html.select(".govuk-list strong")]
    assert bold == ["Being healthy", "Keeping me safe", "Being there for me", "School"]


def test_the_plan_offers_only_the_categories_of_the_case_procedures(client, planned, db):
    case, _ = planned
    case.jurisdiction = "england"
    db.session.commit()
    html = page(client.get(f"/cases/{case.id}/plan/concerns/categories"))
    offered = [i["value"] for i in html.select("input[name=concerns__categories]")]
    assert offered == ["physical", "emotional", "sexual", "neglect"]
    response = client.post(
        f"/cases/{case.id}/plan/concerns/categories", data={"concerns__categories": ["financial"]}
    )
    assert response.status_code == 400
