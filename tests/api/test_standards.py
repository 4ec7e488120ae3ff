"""The plan as FHIR (validated with fhir.resources) and the Children in Need census CSV."""

import csv
import datetime as dt
import io

from fhir.resources.R4B.bundle import Bundle

from tests.conftest import make_case


def test_the_plan_as_a_fhir_careplan_bundle(client, planned, db):
    case, members = planned
    response = client.get(f"/api/v1/cases/{case.id}/plan/fhir")
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    bundle = Bundle.model_validate(response.get_json())  # valid FHIR, or this raises
    resources = {}
    for entry in bundle.entry:
        resources.setdefault(entry.resource.get_resource_type(), []).append(entry.resource)
    plan = resources["CarePlan"][0]
    document = client.get(f"/api/v1/cases/{case.id}/plan").get_json()
    needs = document["needs"]
    actions = [a for n in needs for a in n.get("actions", [])]
    assert len(resources["Goal"]) == len(needs) and len(plan.goal) == len(needs)
    assert len(plan.activity) == len(actions)
    first = plan.activity[0].detail
    assert first.description == actions[0]["what"]
    assert {p.display for p in first.performer} == {
        m.name for m in members.values() if m.ref in actions[0]["who"]
    }
    assert first.scheduledPeriod.end.isoformat() == actions[0]["byWhen"]
    assert first.status in ("not-started", "in-progress", "completed", "stopped")
    team = resources["CareTeam"][0]
    assert {p.member.display for p in team.participant} == {m.name for m in members.values()}
    assert plan.careTeam[0].reference == f"CareTeam/{team.id}"
    assert plan.subject.reference.startswith("Patient/")


def test_the_cin_census_rows(client, planned, db):
    case, members = planned
    from coregroup.models import ReviewConference

    plan = case.children[0].current_plan
    plan.categories = ["neglect", "emotional"]  # changed at the review conference
    case.review_conferences.append(
        ReviewConference(
            held_on=dt.date(2027, 1, 28),
            chair="Chair",
            outcomes={case.children[0].ref: {"outcome": "continue", "plan": 1}},
        )
    )
    other = make_case(reference="NOT-MINE")
    db.session.commit()
    response = client.get("/api/v1/cin.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["case_reference"] for r in rows] == [case.reference]  # only cases you may export
    row = rows[0]
    assert row["cpp_start_date"] == case.initial_conference.isoformat()
    assert row["initial_category_of_abuse"] == "NEG", "as the plan started"
    assert row["latest_category_of_abuse"] == "MUL", "as the review conference left it"
    assert row["cpp_end_date"] == "" and row["number_of_previous_cpp"] == "0"
    assert row["cpp_review_dates"] == "2027-01-28"
    assert row["child_name"] == case.children[0].name
    assert other.reference not in response.get_data(as_text=True)


def test_census_cells_never_run_as_spreadsheet_formulas(client, planned, db):
    case, _ = planned
    case.children[0].name = '=HYPERLINK("http://evil.example","Click")'
    db.session.commit()
    rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/cin.csv").get_data(as_text=True))))
    assert rows[0]["child_name"].startswith("'=")
