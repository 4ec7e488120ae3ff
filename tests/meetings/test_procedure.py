"""The meeting holds the procedure: what a hurried recorder might try, and what stops them.

Each rule is read from the plan's and the meeting's content (coregroup.rules.procedure), never
from a tick box alone."""

import datetime as dt

from coregroup import audit
from coregroup.meetings import services
from coregroup.models import ConferenceRequest, Meeting
from coregroup.plans import services as plans
from tests.conftest import make_member, make_user, page, sign_in
from tests.factories import held_first_meeting
from tests.meetings.test_views import date_fields, future, meeting_at, record_people, record_rest

TODAY = dt.date.today()


def errors_of(response) -> list[str]:
    return [a.get_text(" ", strip=True) for a in page(response).select(".govuk-error-summary a")]


def links_of(response) -> dict[str, str]:
    return {
        a.get_text(" ", strip=True): a["href"]
        for a in page(response).select(".govuk-error-summary a")
    }


def begin(client, case) -> str:
    response = client.post(f"/cases/{case.id}/meetings")
    assert response.status_code == 302
    return response.headers["Location"]


def bare_plan(case, author) -> None:
    """A plan holding only its aims, as a hurried recorder might leave it."""
    version = plans.plan_schema().version
    plans.write_version(case, author, {"schemaVersion": version, "aims": "Safe at home"})


def test_a_first_core_group_cannot_complete_on_a_plan_holding_only_its_aims(client, planned, db):
    case, members = planned
    bare_plan(case, members["sam"].user)
    db.session.commit()
    base = begin(client, case)
    record_people(client, base, present=("m-sam", "m-priya", "m-owen"))  # no parent came
    record_rest(client, base, present=("m-sam", "m-priya", "m-owen"))
    client.post(f"{base}/late/late", data={"lateReason": "Snow"})
    # A tick box from the old record is no way round it: it is not even asked now.
    assert (
        client.post(f"{base}/first-plan/parents", data={"explained": ["causes"]}).status_code == 404
    )
    response = client.post(f"{base}/complete")
    assert response.status_code == 400
    found = links_of(response)
    for words in (
        "Write the causes of concern",
        "Add at least one need",
        "Write the contingency plan",
        "Add how often professionals will see the child and the family, and why",
        "Write the role of Layla (parent)",
        "say how the plan will be explained to them",
        "say by when it will be explained to them",
    ):
        assert any(words in text for text in found), words
    concerns = next(href for text, href in found.items() if "causes of concern" in text)
    assert concerns == f"/cases/{case.id}/plan/concerns/summary"
    assert not meeting_at(db, base).is_completed
    # The task list says the same before anyone tries to complete.
    assert "Write the contingency plan" in page(client.get(base)).select_one("#plan-gaps + ul").text


def test_the_plan_explained_later_when_no_parent_came(client, planned, db):
    case, _ = planned
    base = begin(client, case)
    record_people(client, base, present=("m-sam", "m-priya", "m-owen"))
    record_rest(client, base, present=("m-sam", "m-priya", "m-owen"))
    client.post(f"{base}/late/late", data={"lateReason": "Snow"})
    client.post(
        f"{base}/first-plan-later/later",
        data={
            "explainLater__how": "Sam visits with an interpreter",
            **date_fields("explainLater__by", TODAY + dt.timedelta(days=3)),
        },
    )
    assert client.post(f"{base}/complete").status_code == 302
    meeting = meeting_at(db, base)
    assert meeting.kind == "first" and meeting.record["kind"] == "first"
    assert "Sam visits with an interpreter" in client.get(f"{base}/minutes").text


def test_required_content_cannot_be_removed_once_the_plan_is_agreed(client, planned, db):
    case, members = planned
    # Before the first core group the plan is still being written: anything can change.
    client.post(f"/cases/{case.id}/plan/contingency/contingency", data={"contingency": ""})
    assert client.post(f"/cases/{case.id}/plan/save").status_code == 302
    plans.write_version(case, members["sam"].user, plans.get_version(case, 1).document)
    held_first_meeting(case)
    client.post(f"/cases/{case.id}/plan/contingency/contingency", data={"contingency": ""})
    client.post(f"/cases/{case.id}/plan/concerns/summary", data={"concerns__summary": "  "})
    response = client.post(f"/cases/{case.id}/plan/save")
    assert response.status_code == 400
    found = links_of(response)
    assert any("must keep this: Write the contingency plan" in t for t in found)
    assert any("must keep this: Write the causes of concern" in t for t in found)
    assert plans.latest_version(case).number == 3, "nothing saved"
    assert page(response).select_one(".govuk-error-summary")
    # The API says the same, naming the field.
    tag = client.get(f"/api/v1/cases/{case.id}/plan").headers["ETag"]
    refused = client.patch(
        f"/api/v1/cases/{case.id}/plan",
        json={"contingency": None},
        headers={"Content-Type": "application/merge-patch+json", "If-Match": tag},
    )
    assert refused.status_code == 422
    assert [e["pointer"] for e in refused.get_json()["errors"]] == ["/contingency"]
    # An old version without the content cannot be restored over the agreed plan.
    bare = client.post(f"/cases/{case.id}/plan/versions/2/restore")
    assert bare.status_code == 302 and plans.latest_version(case).number == 3


def test_a_member_co_opted_later_is_flagged_but_blocks_no_unrelated_save(client, planned, db):
    case, members = planned
    held_first_meeting(case)
    make_member(case, name="Pat Police", role="police", ref="m-pat", joined_on=TODAY)
    client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": "Safe, well and happy"})
    assert client.post(f"/cases/{case.id}/plan/save").status_code == 302
    assert "Write the role of Pat Police (police)" in client.get(f"/cases/{case.id}/plan").text
    # A parent's views save too.
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    saved = client.post(
        f"/cases/{case.id}/plan/views",
        data={"views": "We are trying hard", "base": plans.latest_version(case).number},
    )
    assert saved.status_code == 302
    # And the next meeting cannot complete until Pat has a role.
    client.post("/sign-out")
    sign_in(client, members["sam"].user)
    base = begin(client, case)
    record_people(client, base)
    record_rest(client, base)
    assert "Write the role of Pat Police (police)" in " ".join(
        errors_of(client.post(f"{base}/complete"))
    )


def test_which_meeting_it_is_is_worked_out_and_there_is_one_first(client, planned, db):
    case, _ = planned
    base = begin(client, case)
    assert begin(client, case) == base, "one meeting recorded at a time"
    assert "This is the first core group" in page(client.get(base)).select_one("#meeting-kind").text
    record_people(client, base)
    record_rest(client, base)
    client.post(
        f"{base}/first-plan/parents", data={"explained": ["causes", "change", "contingency"]}
    )
    client.post(f"{base}/late/late", data={"lateReason": "Snow"})
    assert client.post(f"{base}/complete").status_code == 302
    second = begin(client, case)
    assert second != base
    assert "This is a later core group" in page(client.get(second)).select_one("#meeting-kind").text
    assert client.get(f"{second}/first-plan/parents").status_code == 404, "only one first"


def test_a_meeting_dated_in_the_future_cannot_be_completed(client, planned, db):
    case, _ = planned
    held_first_meeting(case)
    base = begin(client, case)
    record_people(client, base)
    record_rest(client, base)
    client.post(
        f"{base}/details/when",
        data={**date_fields("date", future(38)), "time": "10:00", "location": "School"},
    )
    response = client.post(f"{base}/complete")
    assert any("which is in the future" in e for e in errors_of(response))
    assert not meeting_at(db, base).is_completed


def test_a_started_meeting_can_be_abandoned_with_a_reason_kept_and_audited(client, planned, db):
    case, members = planned
    base = begin(client, case)
    refused = client.post(f"{base}/abandon", data={"reason": "  "})
    assert refused.status_code == 400
    assert (
        "Enter why the meeting will not be completed"
        in page(refused).select_one(".govuk-error-summary").text
    )
    assert client.post(f"{base}/abandon", data={"reason": "Started by mistake"}).status_code == 302
    meeting = meeting_at(db, base)
    assert meeting.status == "abandoned"
    assert meeting.record["abandoned"]["reason"] == "Started by mistake"
    assert meeting.record["abandoned"]["by"] == "m-sam"
    assert services.meeting_schema().errors(meeting.record) == []
    listing = page(client.get(f"/cases/{case.id}/meetings")).text
    assert "Not completed" in listing and "Started by mistake" in listing
    events = [e.action for e in audit.for_case(case.id)]
    assert "meeting-abandoned" in events
    again = begin(client, case)
    assert again != base, "the next meeting is started afresh"
    assert client.get(f"{base}/details/when").status_code == 404, "no longer recorded"
    assert "This is the first core group" in client.get(again).text


def test_attendance_is_consistent(client, planned, db):
    case, _ = planned
    held_first_meeting(case)
    base = begin(client, case)
    record_people(client, base)  # Priya chairs, Owen takes the minutes
    response = client.post(f"{base}/people/present", data={"present": ["m-sam", "m-layla"]})
    assert response.status_code == 400
    assert "The chair must be at the meeting: select them as present" in errors_of(response)
    checked = page(response).select("input[name=present]:checked")
    assert [i["value"] for i in checked] == ["m-sam", "m-layla"], "what was ticked is kept"
    response = client.post(f"{base}/people/apologies", data={"apologies": ["m-sam", "m-ruth"]})
    assert "Nobody can be at the meeting and send apologies: correct who came" in errors_of(
        response
    )
    client.post(f"{base}/people/apologies", data={"apologies": ["m-ruth"]})
    record_rest(client, base)
    found = errors_of(client.post(f"{base}/complete"))
    assert "Record their written update, or why there is none" in found
    # Ruth, who sent apologies, is asked for her score and recommendation in her update, and
    # the minutes say she gave none.
    client.post(
        f"{base}/people/present", data={"present": ["m-sam", "m-priya", "m-owen", "m-layla"]}
    )
    client.post(f"{base}/people/apologies", data={"apologies": ["m-ruth"]})
    client.post(
        f"{base}/updates/m-ruth/update", data={"writtenUpdates__m-ruth__noUpdate": "On leave"}
    )
    assert client.post(f"{base}/complete").status_code == 302
    minutes = page(client.get(f"{base}/minutes")).text
    assert "Ruth (GP) — Score from 0 to 10" in minutes
    assert "Not given" in minutes


def test_the_chair_reviews_each_need_with_its_context(client, planned, db):
    case, _ = planned
    first = held_first_meeting(case)
    first.record = {
        **first.record,
        "needsReview": {"need-health": {"progress": "not-on-track", "comment": "Missed twice"}},
        "scores": {"m-sam": {"score": 4}, "m-layla": {"score": 6}},
    }
    db.session.commit()
    base = begin(client, case)
    html = page(client.get(f"{base}/review/need-health/progress"))
    context = html.select_one("#need-context")
    text = context.get_text(" ", strip=True)
    need = plans.latest_version(case).document["needs"][1]
    assert need["intendedOutcome"] in text and need["howMeasured"] in text
    action = need["actions"][0]
    shown = context.select_one("#need-actions li").get_text(" ", strip=True)
    assert action["what"] in shown and "Layla (parent)" in shown
    assert any(s in shown for s in ("Not started", "In progress", "Done", "Cannot be done"))
    assert "Not on track" in text and "Missed twice" in text, "progress at the last meeting"
    assert "meeting 1: 5" in context.select_one("#scaling-trend").text
    assert html.select("input[name='needsReview__need-health__progress']"), "the question too"


def test_no_evidence_of_change_means_the_plan_changes(client, planned, db):
    case, _ = planned
    held_first_meeting(case)
    base = begin(client, case)
    record_people(client, base)
    record_rest(client, base)
    client.post(
        f"{base}/contingency/evidence",
        data={"evidenceOfChange": "no", "contingencyPlanning": "Legal planning meeting"},
    )
    found = errors_of(client.post(f"{base}/complete"))
    assert any("the plan must be updated" in e for e in found)
    client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": "Safe at night first"})
    client.post(f"/cases/{case.id}/plan/save")
    assert client.post(f"{base}/complete").status_code == 302
    meeting = meeting_at(db, base)
    assert meeting.plan_number == plans.latest_version(case).number > meeting.reviewed_plan_number


def test_no_evidence_of_change_with_a_reason_to_keep_the_plan(client, planned, db):
    case, _ = planned
    held_first_meeting(case)
    base = begin(client, case)
    record_people(client, base)
    record_rest(client, base)
    client.post(
        f"{base}/contingency/evidence",
        data={
            "evidenceOfChange": "no",
            "contingencyPlanning": "Legal planning meeting",
            "planUnchangedReason": "The plan is right; it has had two weeks only",
        },
    )
    assert client.post(f"{base}/complete").status_code == 302


def test_a_decision_stops_asking_and_the_request_is_tracked(client, planned, db, app):
    from coregroup import dashboard

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
    held_first_meeting(case)
    with app.test_request_context():
        before = [i.text for i in dashboard.items_for(case, TODAY) if i.kind == "attention"]
    assert any("cannot be done" in t for t in before)
    base = begin(client, case)
    record_people(client, base)
    record_rest(client, base)
    client.post(
        f"{base}/conference/decision",
        data={"conferenceDecision": "request-conference", "conferenceDecisionReason": "Moved"},
    )
    assert client.post(f"{base}/complete").status_code == 302
    assert meeting_at(db, base).record["decisionCovers"] == ["act-review"]
    with app.test_request_context():
        after = [i.text for i in dashboard.items_for(case, TODAY) if i.kind == "attention"]
    assert not any("cannot be done" in t for t in after), "decided"
    assert any("asked for another conference" in t.lower() or "conference" in t for t in after)
    assert db.session.query(ConferenceRequest).filter_by(case_id=case.id).count() == 1


def test_the_last_core_group_before_review_is_worked_out_from_the_next_date(client, planned, db):
    case, _ = planned
    held_first_meeting(case)
    base = begin(client, case)
    record_people(client, base)
    record_rest(client, base)
    review = services.timeline(case, services.meetings(case)).review_conference_due
    client.post(
        f"{base}/next/next",
        data={
            **date_fields("nextMeeting__date", review + dt.timedelta(days=1)),
            "nextMeeting__time": "10:00",
            "nextMeeting__location": "School",
            "nextMeeting__reasonBeyondInterval": "Holidays",
        },
    )
    html = page(client.get(base))
    assert "last core group before the review" in html.select_one("#meeting-kind").text
    assert "on or after the date the review conference is due" in html.text
    found = errors_of(client.post(f"{base}/complete"))
    assert "Record the core group's recommendation" in found


def test_professionals_see_the_familys_voice_and_confirm_receipt(client, planned, db):
    case, members = planned
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    client.post(
        f"/cases/{case.id}/plan/views",
        data={"views": "We want help at night", "base": plans.latest_version(case).number},
    )
    client.post("/sign-out")
    sign_in(client, members["priya"].user)
    voice = page(client.get(f"/cases/{case.id}/plan/read")).select_one("#family-voice").text
    assert "Layla (parent)" in voice and "We want help at night" in voice
    assert "in version 2 of the plan" in voice
    assert (
        "We want help at night"
        in page(client.get(f"/cases/{case.id}/plan")).select_one("#family-voice").text
    )
    meeting = held_first_meeting(case)
    minutes = page(client.get(f"/cases/{case.id}/meetings/{meeting.number}/minutes"))
    assert "We want help at night" in minutes.select_one("#family-voice").text
    received = client.post(
        f"/cases/{case.id}/meetings/{meeting.number}/receipt", data={"agrees": "yes"}
    )
    assert received.status_code == 302, "professionals confirm receipt too"
    # Another parent does not read Layla's words in the minutes.
    client.post("/sign-out")
    sign_in(client, members["daniel"].user)
    minutes = client.get(f"/cases/{case.id}/meetings/{meeting.number}/minutes").text
    assert "We want help at night" not in minutes


def test_the_family_plan_page_shows_current_dates_and_only_what_applies(client, planned, db):
    case, members = planned
    first = held_first_meeting(case, on=TODAY - dt.timedelta(days=3))
    first.record = {**first.record, "nextMeeting": {"date": future(10).isoformat()}}
    db.session.commit()
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    text = page(client.get(f"/cases/{case.id}/plan/read")).text
    assert "Why can it not be done?" not in text
    from flask_babel import format_date

    with client.application.test_request_context():
        shown = format_date(future(10), "d MMMM yyyy")
    assert shown in text, "the next core group as planned at the last meeting"
    assert "See all versions" not in client.get(f"/cases/{case.id}/plan").text


def test_an_apology_cannot_be_for_someone_present_on_the_page_itself(client, planned):
    case, _ = planned
    base = begin(client, case)
    record_people(client, base)
    response = client.post(f"{base}/people/apologies", data={"apologies": ["m-sam"]})
    assert response.status_code == 400
    assert "Nobody can be at the meeting and send apologies" in page(response).text


def test_a_member_who_joined_after_the_meeting_is_not_owed_its_minutes(client, planned, db):
    case, _ = planned
    meeting = held_first_meeting(case, on=TODAY - dt.timedelta(days=2))
    make_member(case, make_user(name="Newcomer"), role="police", joined_on=TODAY)
    owed = {m.name for m in services.circulation_outstanding(meeting)}
    assert "Newcomer" not in owed and "Sam" in owed
    assert (
        "Newcomer" not in client.get(f"/cases/{case.id}/meetings/{meeting.number}/circulate").text
    )
    assert isinstance(meeting, Meeting)


def test_before_review_the_core_group_recommends_for_each_child(client, planned, db):
    from coregroup.cases import childplans
    from coregroup.models import Child, ChildPlan
    from tests.factories import review_soon

    case, _ = planned
    second = Child(name="Zain Hassan", date_of_birth=dt.date(2021, 4, 4))
    second.plans = [ChildPlan.starting(1, ["neglect"], case.initial_conference)]
    case.children.append(second)
    db.session.commit()
    review_soon(case)
    held_first_meeting(case)
    base = begin(client, case)
    record_people(client, base)
    record_rest(client, base)
    for ref in ("m-sam", "m-priya", "m-owen", "m-layla"):
        client.post(
            f"{base}/recommendations/{ref}/recommendation",
            data={f"recommendations__{ref}__recommendation": "remain"},
        )
    html = page(client.get(f"{base}/child-recommendations"))
    names = [a.get_text(strip=True) for a in html.select(".govuk-task-list__link")]
    assert names == [c.name for c in case.children]
    assert client.get(f"{base}/group-recommendation/group").status_code == 404
    found = errors_of(client.post(f"{base}/complete"))
    assert f"Record the core group's recommendation for {second.name}" in found
    first_child = case.children[0]
    for child, said in ((first_child, "remain"), (second, "end")):
        client.post(
            f"{base}/child-recommendations/{child.ref}/recommendation",
            data={f"childRecommendations__{child.ref}__recommendation": said},
        )
    assert client.post(f"{base}/complete").status_code == 302
    recommended = childplans.latest_recommendation(case, TODAY)
    assert childplans.recommended_for(recommended, second.ref)["recommendation"] == "end"
    assert childplans.recommended_for(recommended, first_child.ref)["recommendation"] == "remain"
    text = page(client.get(f"/cases/{case.id}/review-conference")).select_one("#recommendation")
    assert f"recommended that {second.name}'s plan ends" in text.get_text(" ", strip=True)


def test_invisible_or_empty_words_are_not_content(client, planned, db):
    case, _ = planned
    held_first_meeting(case)
    for blank in ("\u200b", ".", " \u00a0 "):
        tag = client.get(f"/api/v1/cases/{case.id}/plan").headers["ETag"]
        refused = client.patch(
            f"/api/v1/cases/{case.id}/plan",
            json={"contingency": blank},
            headers={"Content-Type": "application/merge-patch+json", "If-Match": tag},
        )
        assert refused.status_code == 422, repr(blank)
        assert [e["pointer"] for e in refused.get_json()["errors"]] == ["/contingency"]


def test_an_action_cannot_name_someone_who_is_not_a_member(client, planned, db):
    case, _ = planned
    document = plans.latest_version(case).document
    tag = client.get(f"/api/v1/cases/{case.id}/plan").headers["ETag"]
    need = dict(document["needs"][0])
    need["actions"] = [{**need["actions"][0], "who": ["m-nobody"]}]
    refused = client.patch(
        f"/api/v1/cases/{case.id}/plan",
        json={"needs": [need] + document["needs"][1:]},
        headers={"Content-Type": "application/merge-patch+json", "If-Match": tag},
    )
    assert refused.status_code == 422
    error = refused.get_json()["errors"][0]
    assert error["pointer"] == "/needs/0/actions/0/who/0"
    assert "m-nobody is not a member of this core group" in error["detail"]


def test_a_second_press_of_complete_and_a_page_sent_after_it_lose_nothing(client, planned, db):
    case, _ = planned
    held_first_meeting(case)
    base = begin(client, case)
    record_people(client, base)
    record_rest(client, base)
    assert client.post(f"{base}/complete").status_code == 302
    again = client.post(f"{base}/complete")
    assert again.status_code == 302 and again.headers["Location"] == f"{base}/circulate"
    late = client.post(f"{base}/risk/risk", data={"riskAnalysis": "Typed after it closed"})
    assert late.status_code == 409
    html = page(late)
    assert "Someone completed this meeting" in html.text
    assert "Typed after it closed" in html.select_one("#typed-1").text


def test_an_abandoned_meeting_is_read_with_its_reason(client, planned, db):
    case, _ = planned
    base = begin(client, case)
    record_people(client, base)
    client.post(f"{base}/abandon", data={"reason": "The family moved away"})
    shown = client.get(base)
    assert shown.status_code == 302 and shown.headers["Location"] == f"{base}/minutes"
    minutes = page(client.get(f"{base}/minutes"))
    assert "The family moved away" in minutes.select_one("#abandoned").text
    assert "Priya (health visitor)" in minutes.text, "what was recorded is kept"


def test_the_task_list_says_completed_only_when_nothing_is_missing(client, planned, db):
    case, _ = planned
    held_first_meeting(case)
    base = begin(client, case)
    record_people(client, base, present=("m-sam", "m-priya", "m-owen", "m-layla"))

    def status(name):
        for item in page(client.get(base)).select(".govuk-task-list__item"):
            if item.select_one(".govuk-task-list__link").get_text(strip=True) == name:
                return item.select_one(".govuk-task-list__status").get_text(strip=True)

    assert status("Chair, minute taker and who came") == "Completed", "nobody sent apologies"
    client.post(f"{base}/people/chair", data={"chair": "m-ruth"})  # Ruth is not there
    assert status("Chair, minute taker and who came") == "In progress"
    client.post(
        f"{base}/next/next",
        data={
            **date_fields("nextMeeting__date", future(21)),
            "nextMeeting__time": "10:00",
            "nextMeeting__location": "School",
        },
    )
    assert status("The next meeting") == "Completed", "no reason needed for a date in time"


def test_the_plan_cannot_be_explained_to_the_parents_before_the_meeting(client, planned, db):
    case, _ = planned
    base = begin(client, case)
    record_people(client, base, present=("m-sam", "m-priya", "m-owen"))
    client.post(
        f"{base}/first-plan-later/later",
        data={
            "explainLater__how": "Home visit",
            **date_fields("explainLater__by", TODAY - dt.timedelta(days=2)),
        },
    )
    found = errors_of(client.post(f"{base}/complete"))
    assert "The plan is explained to the parents after the meeting, not before it" in found


def test_a_decision_about_a_need_covers_its_actions(client, planned, db, app):
    from coregroup import dashboard

    case, _ = planned
    held_first_meeting(case)
    base = begin(client, case)
    record_people(client, base)
    record_rest(client, base)
    client.post(
        f"{base}/review/need-calm-home/progress",
        data={"needsReview__need-calm-home__progress": "cannot-be-carried-out"},
    )
    client.post(f"{base}/risk/risk", data={"riskAnalysis": "Rising"})
    client.post(
        f"{base}/conference/decision",
        data={"conferenceDecision": "request-conference", "conferenceDecisionReason": "Stuck"},
    )
    assert client.post(f"{base}/complete").status_code == 302
    client.post(
        f"/cases/{case.id}/plan/needs/need-calm-home/actions/act-support/when",
        data={
            "byWhen-day": "1",
            "byWhen-month": "3",
            "byWhen-year": "2027",
            "status": "cannot-be-done",
            "reasonNotPossible": "No place on the programme",
        },
    )
    client.post(f"/cases/{case.id}/plan/save")
    with app.test_request_context():
        texts = [i.text for i in dashboard.items_for(case, TODAY) if i.kind == "attention"]
    assert not any("cannot be done" in t for t in texts), "the need's request covers it"


def test_the_familys_views_alone_are_not_the_plan_updated(client, planned, db):
    case, members = planned
    held_first_meeting(case)
    base = begin(client, case)
    record_people(client, base)
    record_rest(client, base)
    client.post(
        f"{base}/contingency/evidence",
        data={
            "evidenceOfChange": "no",
            "contingencyPlanning": "Legal planning meeting",
            "planUnchangedReason": "\u200b",  # no reason a person can read
        },
    )
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    client.post(
        f"/cases/{case.id}/plan/views",
        data={"views": "We are trying", "base": plans.latest_version(case).number},
    )
    client.post("/sign-out")
    sign_in(client, members["sam"].user)
    # An edit made and undone again is no change either.
    client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": "Changed for a moment"})
    client.post(f"/cases/{case.id}/plan/save")
    original = plans.get_version(case, 1).document["aims"]
    client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": original})
    client.post(f"/cases/{case.id}/plan/save")
    found = errors_of(client.post(f"{base}/complete"))
    assert any("the plan must be updated" in e for e in found)


def test_restoring_an_old_version_keeps_the_familys_views(client, planned, db):
    case, members = planned
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    client.post(f"/cases/{case.id}/plan/views", data={"views": "Mine to keep", "base": 1})
    client.post("/sign-out")
    sign_in(client, members["sam"].user)
    assert client.post(f"/cases/{case.id}/plan/versions/1/restore").status_code == 302
    latest = plans.latest_version(case)
    assert latest.number == 3
    assert latest.document["familyViews"]["m-layla"]["views"] == "Mine to keep"


def test_words_no_one_can_read_are_no_reason(client, planned, db):
    case, _ = planned
    base = begin(client, case)
    refused = client.post(f"{base}/abandon", data={"reason": "\u200b\u2060"})
    assert refused.status_code == 400
    from coregroup.rules import procedure

    for blank in ("\u3164", "\u115f\u1160", "\uffa0 .", "\u200b"):
        assert not procedure.has_words(blank), repr(blank)
    assert procedure.has_words("Ok") and procedure.has_words("٣")


def test_every_member_knows_their_role_only_when_the_plan_gives_each_one(client, planned, db):
    case, _ = planned
    held_first_meeting(case)
    make_member(case, name="Pat Police", role="police", ref="m-pat", joined_on=TODAY)
    base = begin(client, case)
    refused = client.post(f"{base}/roles/roles", data={"rolesConfirmed": "yes"})
    assert refused.status_code == 400
    assert (
        "Write the role of Pat Police (police)"
        in page(refused).select_one(".govuk-error-summary").text
    )


def test_an_error_on_the_receipt_form_is_said_in_the_readers_language(client, planned, db):
    case, members = planned
    meeting = held_first_meeting(case)
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    client.get("/language/ar")
    refused = client.post(
        f"/cases/{case.id}/meetings/{meeting.number}/receipt", data={"agrees": "no"}
    )
    assert refused.status_code == 400
    hidden = page(refused).select_one(".govuk-error-message .govuk-visually-hidden").text
    assert "Error" not in hidden and hidden.strip()
