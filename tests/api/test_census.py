"""The Children in Need census' child protection plans: per child, for a chosen reporting year,
in the census' XML structure and as CSV; no names; England only."""

import csv
import datetime as dt
import io
from xml.etree import ElementTree as ET

import pytest

from coregroup.extensions import db as _db
from coregroup.models import Child, ChildPlan, ReviewConference
from tests.conftest import make_case


@pytest.fixture
def census_case(planned, db, app):
    """An England case: Yusuf's first plan ended before the year 2025-26, his second started
    in it and was reviewed twice (once after the year ended); an unborn baby's plan started
    in January."""
    case, members = planned
    case.jurisdiction = "england"
    yusuf = case.children[0]
    yusuf.local_id = "LA0001"
    yusuf.plans.clear()
    _db.session.flush()
    yusuf.plans.extend(
        [
            ChildPlan(
                number=1,
                categories=["physical"],
                initial_categories=["physical"],
                started_on=dt.date(2024, 6, 3),
                ended_on=dt.date(2025, 2, 3),
                end_reason="no-longer-at-risk",
            ),
            ChildPlan(
                number=2,
                categories=["physical"],  # as the latest conference (after the year) left them
                initial_categories=["neglect"],
                started_on=dt.date(2025, 5, 6),
            ),
        ]
    )
    baby = Child(name="Baby of Layla Hassan", expected_on=dt.date(2026, 5, 1), local_id="LA0002")
    baby.plans = [ChildPlan.starting(1, ["neglect"], dt.date(2026, 1, 12))]
    case.children.append(baby)
    _db.session.flush()
    for held, categories in (
        (dt.date(2025, 8, 5), ["neglect", "emotional"]),
        (dt.date(2026, 5, 5), ["physical"]),
    ):
        case.review_conferences.append(
            ReviewConference(
                held_on=held,
                chair="Chair",
                outcomes={yusuf.ref: {"outcome": "continue", "plan": 2, "categories": categories}},
            )
        )
    app.config["COREGROUP_LA_CODE"] = "201"
    _db.session.commit()
    return case, members


def _csv(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_plans_of_the_year_per_child_as_csv(client, census_case):
    case, _members = census_case
    yusuf, baby = case.children
    rows = _csv(client, "/api/v1/cin.csv?year=2026")
    assert [(r["child_id"], r["cpp_start_date"]) for r in rows] == [
        (yusuf.ref, "2025-05-06"),  # the plan that ended before 1 April 2025 is not in it
        (baby.ref, "2026-01-12"),
    ]
    row = rows[0]
    assert row["la_child_id"] == "LA0001" and row["case_reference"] == case.reference
    assert row["initial_category_of_abuse"] == "NEG"
    assert row["latest_category_of_abuse"] == "MUL", "as it stood on 31 March 2026"
    assert row["number_of_previous_cpp"] == "1"
    assert row["cpp_review_dates"] == "2025-08-05", "only reviews within the year"
    assert row["cpp_end_date"] == ""
    assert rows[1]["expected_person_birth_date"] == "2026-05-01"
    assert rows[1]["person_birth_date"] == ""
    # The year before: the first plan, ended within it, with its own end date.
    earlier = _csv(client, "/api/v1/cin.csv?year=2025")
    assert [
        (r["cpp_start_date"], r["cpp_end_date"], r["latest_category_of_abuse"]) for r in earlier
    ] == [("2024-06-03", "2025-02-03", "PHY")]
    # The year after: the second plan's latest category is the one set in May 2026.
    later = _csv(client, "/api/v1/cin.csv?year=2027")
    assert later[0]["latest_category_of_abuse"] == "PHY"
    assert later[0]["cpp_review_dates"] == "2026-05-05"


def test_no_names_leave_in_the_census(client, census_case):
    case, members = census_case
    names = [c.name for c in case.children] + [m.name for m in members.values()]
    for url in ("/api/v1/cin.csv?year=2026", "/api/v1/cin.xml?year=2026"):
        text = client.get(url).get_data(as_text=True)
        assert not [n for n in names if n in text], url


def test_the_census_xml_structure(client, census_case):
    case, _members = census_case
    response = client.get("/api/v1/cin.xml?year=2026")
    assert response.status_code == 200, response.text
    root = ET.fromstring(response.data)
    assert root.tag == "Message"
    assert [e.tag for e in root] == ["Header", "Children"]
    details = root.find("Header/CollectionDetails")
    assert [(e.tag, e.text) for e in details] == [
        ("Collection", "CIN"),
        ("Year", "2026"),
        ("ReferenceDate", "2026-03-31"),
    ]
    source = root.find("Header/Source")
    assert [e.tag for e in source] == [
        "SourceLevel",
        "LEA",
        "SoftwareCode",
        "Release",
        "SerialNo",
        "DateTime",
    ]
    assert source.find("LEA").text == "201" and source.find("SourceLevel").text == "L"
    dt.datetime.fromisoformat(source.find("DateTime").text)
    children = root.findall("Children/Child")
    assert [c.find("ChildIdentifiers/LAchildID").text for c in children] == ["LA0001", "LA0002"]
    assert children[0].find("ChildIdentifiers/PersonBirthDate").text == "2019-05-01"
    assert children[1].find("ChildIdentifiers/ExpectedPersonBirthDate").text == "2026-05-01"
    plan = children[0].find("CINdetails/ChildProtectionPlans")
    assert [(e.tag, (e.text or "").strip() or None) for e in plan] == [
        ("CPPstartDate", "2025-05-06"),
        ("InitialCategoryOfAbuse", "NEG"),
        ("LatestCategoryOfAbuse", "MUL"),
        ("NumberOfPreviousCPP", "1"),
        ("Reviews", None),
    ]
    assert [d.text for d in plan.findall("Reviews/CPPreviewDate")] == ["2025-08-05"]


def test_the_xml_names_what_is_missing_and_sends_nothing(client, census_case, app):
    case, _members = census_case
    case.children[1].local_id = None
    _db.session.commit()
    response = client.get("/api/v1/cin.xml?year=2026")
    assert response.status_code == 422
    problem = response.get_json()
    assert (
        problem["errors"][0]["pointer"]
        == f"/cases/{case.id}/children/{case.children[1].ref}/localId"
    )
    assert "Children" not in response.get_data(as_text=True)
    app.config["COREGROUP_LA_CODE"] = ""
    response = client.get("/api/v1/cin.xml?year=2026")
    assert response.status_code == 422 and response.get_json()["pointer"] == "/LEA"


def test_the_census_is_englands_only(client, census_case, db):
    case, members = census_case
    case.jurisdiction = "wales"
    db.session.commit()
    assert _csv(client, "/api/v1/cin.csv?year=2026") == []
    response = client.get(f"/api/v1/cases/{case.id}/cin.csv?year=2026")
    assert response.status_code == 422
    assert response.get_json()["code"] == "not_applicable"
    assert "England" in response.get_json()["detail"]


def test_the_year_is_asked_for(client, census_case):
    response = client.get("/api/v1/cin.csv")
    assert response.status_code == 400 and response.get_json()["errors"][0]["pointer"] == "/year"
    assert client.get("/api/v1/cin.csv?year=26").status_code == 400


def test_only_cases_you_may_export(client, census_case, db):
    case, _members = census_case
    other = make_case(reference="NOT-MINE", jurisdiction="england")
    other.children[0].local_id = "LA9999"
    db.session.commit()
    text = client.get("/api/v1/cin.csv?year=2027").get_data(as_text=True)
    assert case.reference in text and "NOT-MINE" not in text and "LA9999" not in text


def test_census_cells_never_run_as_spreadsheet_formulas(client, census_case, db):
    case, _members = census_case
    case.reference = '=HYPERLINK("http://evil.example")'  # within the column's 40
    db.session.commit()
    rows = _csv(client, "/api/v1/cin.csv?year=2026")
    assert rows[0]["case_reference"].startswith("'=")


def test_categories_changed_with_no_conference_on_record_are_the_latest(client, census_case, db):
    """A plan imported from elsewhere whose categories changed at a conference not held here:
    the census says what the plan says now, as FHIR and the case do."""
    case, _members = census_case
    baby = case.children[1]
    baby.plans[0].categories = ["neglect", "physical"]
    db.session.commit()
    rows = _csv(client, "/api/v1/cin.csv?year=2026")
    assert [r["latest_category_of_abuse"] for r in rows if r["child_id"] == baby.ref] == ["MUL"]
