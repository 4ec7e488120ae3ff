"""Dates are checked where they are entered, and the error names the range: an action due more
than 5 years after the plan began, a meeting more than a year from today, a child 18 or over
at the conference. Not schema rules: a date stored or exported before stays valid."""

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta

from coregroup.plans import services
from tests.conftest import page
from tests.meetings.test_views import start


def date_fields(name: str, day: dt.date) -> dict:
    return {f"{name}-day": day.day, f"{name}-month": day.month, f"{name}-year": day.year}


def action_url(case) -> str:
    need = services.latest_version(case).document["needs"][0]
    action = need["actions"][0]
    return f"/cases/{case.id}/plan/needs/{need['id']}/actions/{action['id']}/when"


@pytest.mark.parametrize("year", [1900, 9999, 2033])
def test_an_action_date_that_cannot_be_meant_is_refused_naming_the_range(client, planned, year):
    case, _ = planned  # initial conference 2 November 2026
    response = client.post(
        action_url(case), data={**date_fields("byWhen", dt.date(year, 1, 1)), "status": "done"}
    )
    assert response.status_code == 400
    message = page(response).select_one("#byWhen-error").get_text(strip=True)
    assert message.endswith("Enter a date from 2 November 2026 to 2 November 2031")


def test_an_action_date_within_the_plan_is_accepted(client, planned):
    case, _ = planned
    response = client.post(
        action_url(case), data={**date_fields("byWhen", dt.date(2031, 11, 2)), "status": "done"}
    )
    assert response.status_code == 302


@pytest.mark.parametrize("shift", [relativedelta(years=-2), relativedelta(years=1, days=1)])
def test_a_meeting_more_than_a_year_from_today_is_refused(client, planned, shift):
    case, _ = planned
    base = start(client, case)
    when = dt.date.today() + shift
    response = client.post(
        f"{base}/details/when",
        data={**date_fields("date", when), "time": "10:00", "location": "Family centre"},
    )
    assert response.status_code == 400
    today = dt.date.today()
    assert page(response).select_one("#date-error") is not None
    assert (
        str((today + relativedelta(years=1)).year)
        in page(response).select_one("#date-error").get_text()
    )


def test_the_plans_next_meeting_date_is_checked_too(client, planned):
    case, _ = planned
    response = client.post(
        f"/cases/{case.id}/plan/schedule/next",
        data=date_fields("schedule__nextCoreGroup", dt.date(9999, 1, 1)),
    )
    assert response.status_code == 400
    assert page(response).select_one("#schedule__nextCoreGroup-error") is not None


def conference(**overrides):
    from tests.cases.test_views import conference_form

    return conference_form(**overrides)


def test_a_child_eighteen_or_over_at_the_conference_is_refused(client, signed_in):
    data = conference(**date_fields("child1_born", dt.date(2007, 12, 19)))  # conference 19/12/2025
    response = client.post("/cases/new", data=data)
    assert response.status_code == 400
    assert "20 December 2007" in page(response).select_one("#child1_born-error").get_text()


def test_an_expected_date_of_birth_is_allowed_for_an_unborn_child(client, signed_in):
    data = conference(**date_fields("child1_born", dt.date(2026, 3, 1)))
    assert client.post("/cases/new", data=data).status_code == 302
    too_far = conference(reference="CP-2", **date_fields("child1_born", dt.date(2026, 11, 1)))
    assert client.post("/cases/new", data=too_far).status_code == 400


@pytest.mark.parametrize(
    ("pointer", "value"),
    [
        ("/needs/0/actions/0/byWhen", "9999-12-31"),
        ("/needs/0/actions/0/byWhen", "2026-10-29"),
        ("/schedule/nextCoreGroup", "1990-01-01"),
        ("/schedule/reviewConference", "2099-01-01"),
    ],
)
def test_the_api_checks_dates_it_is_sent_as_the_pages_do(client, planned, pointer, value):
    case, _ = planned
    tag = client.get(f"/api/v1/cases/{case.id}/plan").headers["ETag"]
    response = client.patch(
        f"/api/v1/cases/{case.id}/plan",
        json=[{"op": "add", "path": pointer, "value": value}],
        headers={"Content-Type": "application/json-patch+json", "If-Match": tag},
    )
    assert response.status_code == 422
    assert response.get_json()["field"] == pointer
    assert response.get_json()["message"].startswith("Enter a date from ")


def test_dates_stored_before_stay_valid(client, planned, db):
    """An old date already in the plan (or an export) is not refused when something else
    changes: the checks are on entry, not rules of the schema."""
    case, _ = planned
    from coregroup.plans.services import write_version

    document = services.latest_version(case).document
    document = {
        **document,
        "schedule": {**document.get("schedule", {}), "nextCoreGroup": "1999-01-01"},
    }
    write_version(case, None, document)
    db.session.commit()
    tag = client.get(f"/api/v1/cases/{case.id}/plan").headers["ETag"]
    response = client.patch(
        f"/api/v1/cases/{case.id}/plan",
        json={"aims": "Something else"},
        headers={"Content-Type": "application/merge-patch+json", "If-Match": tag},
    )
    assert response.status_code == 200
