"""The rules in public: the timescales API and the page with each profile's sources."""

import pytest

from tests.conftest import page


def test_the_timescales_api_needs_no_case_and_no_sign_in(client):
    response = client.get(
        "/api/v1/timescales?jurisdiction=scotland&conference=2026-12-18&meeting=2026-12-23&weeks=3"
    )
    assert response.status_code == 200
    assert response.get_json() == {
        "jurisdiction": "scotland",
        "conference": "2026-12-18",
        "firstCoreGroupDue": "2027-01-14",
        "coreGroupEveryWeeks": 3,
        "reviewConferenceDue": "2027-03-18",
        "meeting": "2026-12-23",
        "circulationDue": "2027-01-12",
        "nextCoreGroupDue": "2027-01-13",
    }


@pytest.mark.parametrize(
    "query, field",
    [
        ("jurisdiction=mars&conference=2026-12-18", "/jurisdiction"),
        ("jurisdiction=england&conference=18/12/2026", "/conference"),
        ("jurisdiction=england", "/conference"),
        ("jurisdiction=england&conference=2026-12-18&meeting=soon", "/meeting"),
    ],
)
def test_bad_timescale_queries_are_400_naming_the_field(client, query, field):
    response = client.get(f"/api/v1/timescales?{query}")
    assert response.status_code == 400
    assert response.get_json()["field"] == field


def test_the_rules_page_shows_each_profile_with_its_sources_and_a_calculator(client):
    html = page(client.get("/rules"))
    headings = [h.get_text(strip=True) for h in html.select("h2[id^=profile-]")]
    assert headings == [
        "Guernsey and Alderney (Islands Safeguarding Children Partnership)",
        "England",
        "Wales",
        "Scotland",
        "Northern Ireland",
    ]
    assert "Working Together to Safeguard Children 2023" in html.text
    # Each source is a hint under its rule, not markup shown as text (found in review).
    assert "<span" not in html.text and html.select("dd .govuk-hint")
    result = page(client.get("/rules?jurisdiction=guernsey&conference=2028-05-01"))
    rows = {
        r.select_one("dt").get_text(strip=True): r.select_one("dd").get_text(strip=True)
        for r in result.select("#result .govuk-summary-list__row")
    }
    assert rows["First core group due by"] == "2028-05-16"
    assert client.get("/rules?lang=cy").status_code == 200, "choosing a language is not a query"
    bad = client.get("/rules?jurisdiction=guernsey&conference=never")
    assert bad.status_code == 400 and page(bad).select_one(".govuk-error-summary")
