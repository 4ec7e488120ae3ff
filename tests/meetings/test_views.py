"""Recording core group meetings through their guided flow, completing and circulating them."""

import datetime as dt

import pytest

from coregroup.meetings import services
from coregroup.models import Circulation, Meeting
from coregroup.plans import services as plans
from tests.conftest import page, sign_in
from tests.factories import held_first_meeting, review_soon

NEEDS = ["need-supervision", "need-health", "need-school", "need-calm-home"]


def start(client, case, kind="subsequent"):
    """Start recording a meeting that will turn out to be `kind`: a first core group is held
    already for a later one, and the review brought near for the last before review."""
    if kind == "last-before-review":
        review_soon(case)
    if kind != "first":
        held_first_meeting(case)
    response = client.post(f"/cases/{case.id}/meetings")
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def meeting_at(db, base: str) -> Meeting:
    """The meeting recorded at `base` (/cases/<id>/meetings/<number>)."""
    number = int(base.rstrip("/").split("/")[-1])
    case_id = int(base.split("/")[2])
    return db.session.query(Meeting).filter_by(case_id=case_id, number=number).one()


def future(days=7) -> dt.date:
    return dt.date.today() + dt.timedelta(days=days)


def date_fields(name, day: dt.date) -> dict:
    return {f"{name}-day": day.day, f"{name}-month": day.month, f"{name}-year": day.year}


def record_people(client, base, present=("m-sam", "m-priya", "m-owen", "m-layla"), apologies=()):
    client.post(
        f"{base}/details/when",
        data={**date_fields("date", dt.date.today()), "time": "10:00", "location": "Family centre"},
    )
    client.post(f"{base}/people/chair", data={"chair": "m-priya"})
    client.post(f"{base}/people/minute-taker", data={"minuteTaker": "m-owen"})
    client.post(f"{base}/people/present", data={"present": list(present)})
    client.post(f"{base}/people/apologies", data={"apologies": list(apologies)})


def record_rest(
    client, base, present=("m-sam", "m-priya", "m-owen", "m-layla"), progress="on-track"
):
    for need in NEEDS:
        client.post(
            f"{base}/review/{need}/progress", data={f"needsReview__{need}__progress": progress}
        )
    for ref in present:
        client.post(
            f"{base}/scaling/{ref}/score",
            data={f"scores__{ref}__score": "6", f"scores__{ref}__reason": "Better"},
        )
    client.post(f"{base}/contingency/evidence", data={"evidenceOfChange": "yes"})
    client.post(f"{base}/roles/roles", data={"rolesConfirmed": "yes"})
    client.post(
        f"{base}/next/next",
        data={
            **date_fields("nextMeeting__date", future(21)),
            "nextMeeting__time": "10:00",
            "nextMeeting__location": "Family centre",
        },
    )


def test_a_meeting_is_started_and_shows_its_sections(client, planned):
    case, _ = planned
    base = start(client, case)
    assert base == f"/cases/{case.id}/meetings/2", "the first core group was held already"
    html = page(client.get(base))
    titles = [a.get_text(strip=True) for a in html.select(".govuk-task-list__link")]
    assert titles[:3] == [
        "Date, time and place",
        "Chair, minute taker and who came",
        "Roles, tasks and timescales",
    ]
    assert "The core group's recommendation" not in titles
    assert "The detailed plan, explained to the parents" not in titles
    assert "Roles, tasks and timescales" in titles, "asked at every meeting"


def test_the_chair_need_not_be_the_lead_social_worker(client, planned, db):
    case, _ = planned
    base = start(client, case)
    record_people(client, base)
    meeting = meeting_at(db, base)
    assert meeting.record["chair"] == "m-priya" and meeting.record["minuteTaker"] == "m-owen"


def test_the_review_goes_need_by_need(client, planned):
    case, _ = planned
    base = start(client, case)
    html = page(client.get(f"{base}/review"))
    labels = [a.get_text(strip=True) for a in html.select(".govuk-task-list__link")]
    assert labels[0].startswith("Need 1: An adult is always at home")
    response = client.post(
        f"{base}/review/need-supervision/progress",
        data={"needsReview__need-supervision__progress": "achieved"},
    )
    assert response.headers["Location"] == f"{base}/review/need-health/progress"
    response = client.post(
        f"{base}/review/need-calm-home/progress",
        data={"needsReview__need-calm-home__progress": "on-track"},
    )
    assert response.headers["Location"] == base
    assert client.get(f"{base}/review/no-such-need/progress").status_code == 404


def test_every_member_present_scores_from_0_to_10(client, planned):
    case, _ = planned
    base = start(client, case)
    record_people(client, base)
    html = page(client.get(f"{base}/scaling"))
    people = [a.get_text(strip=True) for a in html.select(".govuk-task-list__link")]
    assert people == [
        "Sam (lead social worker)",
        "Priya (health visitor)",
        "Owen (teacher)",
        "Layla (parent)",
    ]
    score_page = page(client.get(f"{base}/scaling/m-layla/score"))
    assert [i["value"] for i in score_page.select("input[type=radio]")] == [
        str(n) for n in range(11)
    ]
    hint = score_page.select_one(".govuk-hint").get_text()
    assert "0 means: the child is not safe" in hint and "10 means:" in hint
    response = client.post(f"{base}/scaling/m-layla/score", data={"scores__m-layla__score": "11"})
    assert response.status_code == 400
    assert page(response).select_one(".govuk-error-summary")
    response = client.post(
        f"{base}/scaling/m-layla/score",
        data={"scores__m-layla__score": "7", "scores__m-layla__reason": "The children are calmer"},
    )
    assert response.status_code == 302
    assert client.get(f"{base}/scaling/m-ruth/score").status_code == 404, "only those present"


def test_a_meeting_cannot_be_completed_until_everything_is_recorded(client, planned):
    case, _ = planned
    base = start(client, case)
    response = client.post(f"{base}/complete")
    assert response.status_code == 400
    errors = [a.get_text(strip=True) for a in page(response).select(".govuk-error-summary a")]
    assert "Select who is chairing the meeting" in errors
    assert any(e.startswith("Review Need 1") for e in errors)
    assert "Enter the date of the next meeting" in errors
    record_people(client, base)
    record_rest(client, base)
    response = client.post(f"{base}/complete")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{base}/circulate"


def test_no_evidence_of_change_requires_contingency_planning(client, planned, db):
    case, _ = planned
    base = start(client, case)
    response = client.post(f"{base}/contingency/evidence", data={"evidenceOfChange": "no"})
    assert response.status_code == 400
    assert "Enter the contingency planning" in page(response).text
    client.post(
        f"{base}/contingency/evidence",
        data={"evidenceOfChange": "no", "contingencyPlanning": "Legal advice"},
    )
    assert meeting_at(db, base).record["contingencyPlanning"] == "Legal advice"


def test_a_need_that_cannot_be_carried_out_requires_a_conference_decision(client, planned, db):
    case, _ = planned
    base = start(client, case)
    record_people(client, base)
    record_rest(client, base, progress="cannot-be-carried-out")
    html = page(client.get(base))
    titles = [a.get_text(strip=True) for a in html.select(".govuk-task-list__link")]
    assert "Whether another conference is needed" in titles
    errors = page(client.post(f"{base}/complete")).text
    assert "record the decision on whether another conference is needed" in errors
    assert "record the analysis of risk" in errors
    client.post(
        f"{base}/conference/decision",
        data={
            "conferenceDecision": "request-conference",
            "conferenceDecisionReason": "No progress",
        },
    )
    client.post(f"{base}/risk/risk", data={"riskAnalysis": "Risk is rising"})
    assert client.post(f"{base}/complete").status_code == 302
    # The request is tracked until a conference answers it (tests/cases/test_each_childs_plan).
    from coregroup.models import ConferenceRequest

    asked = db.session.query(ConferenceRequest).one()
    assert (asked.meeting_number, asked.reason, asked.answered_by_id) == (2, "No progress", None)
    assert "Waiting for a conference" in client.get(f"/cases/{case.id}/children").text


def test_the_last_meeting_before_review_requires_every_recommendation(client, planned):
    case, _ = planned
    base = start(client, case, kind="last-before-review")
    record_people(client, base)
    record_rest(client, base)
    errors = page(client.post(f"{base}/complete")).text
    assert "Record the recommendation of Layla (parent)" in errors
    assert "Record the core group's recommendation" in errors
    for ref in ("m-sam", "m-priya", "m-owen", "m-layla"):
        client.post(
            f"{base}/recommendations/{ref}/recommendation",
            data={f"recommendations__{ref}__recommendation": "remain"},
        )
    client.post(
        f"{base}/group-recommendation/group", data={"groupRecommendation__recommendation": "remain"}
    )
    assert client.post(f"{base}/complete").status_code == 302


@pytest.mark.parametrize(
    "next_date, reason, error",
    [
        (dt.date.today() - dt.timedelta(days=1), "", "The next meeting must be after this meeting"),
        (future(40), "", "Enter why it is later"),
        (future(40), "The family are away", None),
        (future(20), "", None),
    ],
)
def test_the_next_meeting_date_is_checked_against_the_rules(
    client, planned, next_date, reason, error
):
    case, _ = planned
    base = start(client, case)
    record_people(client, base)
    response = client.post(
        f"{base}/next/next",
        data={
            **date_fields("nextMeeting__date", next_date),
            "nextMeeting__time": "10:00",
            "nextMeeting__location": "School",
            "nextMeeting__reasonBeyondInterval": reason,
        },
    )
    if error:
        assert response.status_code == 400
        assert error in page(response).select_one(".govuk-error-summary").text
        html = page(response)
        assert html.select_one("input[name='nextMeeting__location']")["value"] == "School"
    else:
        assert response.status_code == 302


def test_members_who_sent_apologies_are_asked_for_a_written_update(client, planned, db):
    case, _ = planned
    base = start(client, case)
    record_people(client, base, apologies=("m-ruth",))
    html = page(client.get(base))
    assert "Written updates from those who sent apologies" in html.text
    client.post(
        f"{base}/updates/m-ruth/update",
        data={"writtenUpdates__m-ruth__update": "Vaccinations booked."},
    )
    assert meeting_at(db, base).record["writtenUpdates"] == {
        "m-ruth": {"update": "Vaccinations booked."}
    }


def test_completing_links_the_plan_and_the_record_is_then_fixed(client, planned, db):
    case, _ = planned
    base = start(client, case)
    record_people(client, base)
    client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": "Updated at the meeting"})
    client.post(f"/cases/{case.id}/plan/save")
    record_rest(client, base)
    client.post(f"{base}/complete")
    meeting = meeting_at(db, base)
    assert meeting.is_completed and meeting.reviewed_plan_number == 1 and meeting.plan_number == 2
    assert client.post(f"{base}/risk/risk", data={"riskAnalysis": "x"}).status_code == 409
    assert client.get(f"{base}/risk/risk").status_code == 404
    minutes = page(client.get(f"{base}/minutes"))
    assert "Priya (health visitor)" in minutes.text
    changed = minutes.text
    assert "What changed in the plan since the last core group" in changed
    assert "Updated at the meeting" in changed


def test_the_next_meeting_starts_from_the_date_set_at_the_last(client, planned, db):
    case, _ = planned
    base = start(client, case)
    record_people(client, base)
    record_rest(client, base)
    client.post(f"{base}/complete")
    client.post(f"/cases/{case.id}/meetings")
    second = services.open_meeting_of(case)
    assert second.number == 3
    assert second.record["date"] == future(21).isoformat()
    assert second.record["location"] == "Family centre"


def test_family_members_cannot_record_meetings(client, planned):
    case, members = planned
    base = start(client, case)
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    assert client.get(f"{base}/details/when").status_code == 404
    assert client.post(f"/cases/{case.id}/meetings").status_code == 404
    # A meeting still being recorded is not shown to the family, by any channel.
    for url in (
        base,
        f"{base}/minutes",
        f"/api/v1/cases/{case.id}/meetings/2",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"{base}/receipt", data={"agrees": "yes"}).status_code == 404


def test_the_meeting_timeline_shows_the_due_dates(client, planned, db):
    case, _ = planned
    case.initial_conference = dt.date(2026, 12, 18)
    case.jurisdiction = "scotland"
    db.session.commit()
    html = page(client.get(f"/cases/{case.id}/meetings"))
    rows = {
        r.select_one("dt").get_text(strip=True): r.select_one("dd").get_text(strip=True)
        for r in html.select(".govuk-summary-list__row")
    }
    assert rows["First core group due by"] == "14 January 2027"
    assert rows["Review conference due by"] == "18 March 2027"


def test_the_first_core_group_confirms_roles_and_explains_to_parents(client, planned):
    case, _ = planned
    base = start(client, case, kind="first")
    titles = [
        a.get_text(strip=True) for a in page(client.get(base)).select(".govuk-task-list__link")
    ]
    assert "Explaining the plan to the parents, who are not here" in titles, "nobody present yet"
    assert "Review of each need" not in titles
    record_people(client, base)  # Layla, a parent, is there
    titles = [
        a.get_text(strip=True) for a in page(client.get(base)).select(".govuk-task-list__link")
    ]
    assert "The detailed plan, explained to the parents" in titles
    record_rest(client, base)
    errors = page(client.post(f"{base}/complete")).text
    assert "Explain the causes of concern, what needs to change and the contingency plan" in errors
    assert "The first core group is late: it was due by" in errors, "within 10 working days"
    client.post(f"{base}/first-plan/parents", data={"explained": ["causes", "change"]})
    errors = page(client.post(f"{base}/complete")).text
    assert "Explain the causes of concern" in errors, "every one of the three"
    client.post(
        f"{base}/first-plan/parents", data={"explained": ["causes", "change", "contingency"]}
    )
    client.post(f"{base}/late/late", data={"lateReason": "The family were abroad"})
    assert client.post(f"{base}/complete").status_code == 302
    listing = page(client.get(f"/cases/{case.id}/meetings")).text
    assert "later than the procedures allow. The reason given: The family were abroad" in listing


def test_services_store_a_valid_record(planned, db, app):
    case, _ = planned
    with app.test_request_context():
        meeting = services.open_meeting(case)
    assert services.meeting_schema().errors(meeting.record) == []
    assert plans.latest_version(case).number == meeting.reviewed_plan_number
    assert db.session.query(Circulation).count() == 0


def test_scaling_scores_over_time_are_a_chart_with_a_text_alternative(client, planned):
    case, _ = planned
    base = start(client, case)
    record_people(client, base)
    record_rest(client, base)
    client.post(f"{base}/scaling/m-layla/score", data={"scores__m-layla__score": "3"})
    client.post(f"{base}/complete")
    html = page(client.get(f"/cases/{case.id}/meetings"))
    svg = html.select_one("figure.app-chart svg")
    assert svg["role"] == "img"
    assert "Meeting 2: average 5.2 out of 10." in svg.select_one("desc").get_text()
    cells = [td.get_text(strip=True) for td in html.select(".govuk-table tbody td")]
    assert cells[1] == "5.2" and "Layla: 3" in cells[2]
    sizes = [float(t["font-size"]) for t in svg.select("text")]
    # 640 units drawn 330 px wide on a phone: 24 units is 12 px, never the 6 px it was.
    assert min(sizes) >= 24
    left = [float(c["cx"]) for c in svg.select("circle[r='7']")]
    arabic = page(client.get(f"/cases/{case.id}/meetings?lang=ar")).select_one("figure svg")
    right = [float(c["cx"]) for c in arabic.select("circle[r='7']")]
    # Right to left, time runs from right to left: each meeting is mirrored.
    assert right == [640 - x for x in left]
    assert float(arabic.select_one("text[text-anchor=end]")["x"]) > 600


def test_minutes_and_plan_print_on_a4():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "coregroup/static/dist/app.css").read_text()
    assert "@page{size:A4" in css.replace(" ", "")
    assert "@media print" in css


def test_a_meeting_record_is_exported_valid_against_its_schema(client, planned, app):
    case, _ = planned
    base = start(client, case)
    record_people(client, base)
    record_rest(client, base)
    client.post(f"{base}/complete")
    response = client.get(f"/api/v1/cases/{case.id}/meetings/2")
    assert response.status_code == 200
    schema = app.extensions["coregroup.schemas"]["core-group-meeting"]
    assert schema.errors(response.get_json()) == []
    assert schema.id in response.headers["Link"]
    assert client.get(f"/api/v1/cases/{case.id}/meetings/9").status_code == 404


def test_a_later_next_meeting_shows_as_a_warning_with_its_reason(client, planned):
    case, _ = planned
    base = start(client, case)
    record_people(client, base)
    client.post(
        f"{base}/next/next",
        data={
            **date_fields("nextMeeting__date", future(40)),
            "nextMeeting__time": "10:00",
            "nextMeeting__location": "School",
            "nextMeeting__reasonBeyondInterval": "Holidays",
        },
    )
    warning = page(client.get(f"/cases/{case.id}/meetings")).select_one(".govuk-warning-text")
    assert "later than the procedures allow" in warning.text and "Holidays" in warning.text


def test_a_time_in_the_wrong_form_is_refused_on_its_page(client, planned):
    case, _ = planned
    base = start(client, case)
    response = client.post(
        f"{base}/details/when",
        data={**date_fields("date", dt.date.today()), "time": "9am", "location": "School"},
    )
    assert response.status_code == 400
    assert "Enter a time like 14:30" in page(response).select_one(".govuk-error-summary").text
    assert page(response).select_one("input[name=time]")["value"] == "9am"


def test_a_plan_action_that_cannot_be_done_needs_the_conference_decision(client, planned):
    case, _ = planned
    client.post(
        f"/cases/{case.id}/plan/needs/need-health/actions/act-review/when",
        data={
            "byWhen-day": "1",
            "byWhen-month": "2",
            "byWhen-year": "2027",
            "status": "cannot-be-done",
            "reasonNotPossible": "The family moved away",
        },
    )
    client.post(f"/cases/{case.id}/plan/save")
    base = start(client, case)
    record_people(client, base)
    record_rest(client, base)
    assert "Whether another conference is needed" in page(client.get(base)).text
    errors = page(client.post(f"{base}/complete")).text
    assert "record the decision on whether another conference is needed" in errors


def test_members_who_sent_apologies_also_make_a_recommendation(client, planned):
    case, _ = planned
    base = start(client, case, kind="last-before-review")
    record_people(client, base, apologies=("m-ruth",))
    html = page(client.get(f"{base}/recommendations"))
    people = [a.get_text(strip=True) for a in html.select(".govuk-task-list__link")]
    assert "Ruth (GP)" not in people, "asked in their written update, not as if present"
    html = page(client.get(f"{base}/update-recommendations"))
    people = [a.get_text(strip=True) for a in html.select(".govuk-task-list__link")]
    assert people == ["Ruth (GP)"]
