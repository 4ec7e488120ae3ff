"""Bad input anywhere gets a clear 4xx, never a 500, and loses nothing."""

import pytest

from tests.conftest import page
from tests.meetings.test_views import record_people, record_rest, start

HUGE = "9" * 25


@pytest.mark.parametrize(
    "url",
    [
        f"/cases/{HUGE}/plan",
        "/cases/1/meetings/" + HUGE,
        "/cases/1/plan/versions/" + HUGE,
        f"/cases/1/plan/compare?from={HUGE}&to=1",
        f"/api/v1/cases/1/plan?version={HUGE}",
        f"/api/v1/timescales?jurisdiction=scotland&conference=2026-01-05&weeks={HUGE}",
        "/api/v1/timescales?jurisdiction=england&conference=9999-12-25",
        "/rules?jurisdiction=england&conference=0001-01-01&weeks=-3",
    ],
)
def test_huge_or_odd_numbers_are_never_a_500(client, planned, url):
    assert client.get(url).status_code in (400, 404)


def test_a_huge_year_in_a_date_is_a_field_error(client, planned):
    case, _ = planned
    url = f"/cases/{case.id}/plan/needs/need-supervision/actions/act-childcare/when"
    response = client.post(
        url, data={"byWhen-day": "1", "byWhen-month": "1", "byWhen-year": HUGE, "status": "done"}
    )
    assert response.status_code == 400
    assert "real date" in page(response).select_one(".govuk-error-summary").text


def test_spaces_alone_are_not_an_answer_to_a_required_question(client, planned):
    case, _ = planned
    url = f"/cases/{case.id}/plan/needs/need-health/change"
    response = client.post(url, data={"whatMustChange": "   ", "why": "x"})
    assert response.status_code == 400
    assert "Enter what needs to change" in page(response).text


def test_a_malformed_given_by_hand_post_sends_nothing(client, planned, app):
    case, _ = planned
    base = start(client, case)
    record_people(client, base)
    record_rest(client, base)
    client.post(f"{base}/complete")
    app.config["MAIL_SERVER"] = "127.0.0.1"
    app.config["MAIL_PORT"] = 9  # nothing listens: any send would be recorded as failed
    for data in (
        {"method": "by-hand", "member": "abc"},
        {"method": "by-hand"},
        {"method": "by-hand", "member": "999"},
    ):
        assert client.post(f"{base}/circulate", data=data).status_code == 400
    from coregroup.extensions import db
    from coregroup.models import Circulation

    assert db.session.query(Circulation).count() == 0


def test_an_unknown_category_on_the_case_form_is_an_error(client, db):
    from tests.cases.test_views import conference_form
    from tests.conftest import make_user, sign_in

    sign_in(client, make_user())
    response = client.post("/cases/new", data=conference_form(child1_categories=["bogus"]))
    assert response.status_code == 400
