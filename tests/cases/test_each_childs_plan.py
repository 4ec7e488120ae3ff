"""Each child's plan to its end: a plan status per child, review conferences with outcomes, an
early conference asked for and answered, plans that end, cases that close (read-only, families
told, nothing more asked), a new plan on the same record, half-siblings' parents seeing their
own child's parts, retention with legal holds, and subject access with a review step."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from coregroup.models import AuditEvent, Case, ChildPlan, ConferenceRequest, Member
from tests.conftest import make_case, make_member, make_user, page, sign_in

TODAY = dt.date.today()


def _date(prefix: str, day: dt.date) -> dict:
    return {f"{prefix}-day": day.day, f"{prefix}-month": day.month, f"{prefix}-year": day.year}


@pytest.fixture
def siblings(db, client):
    """Two half-siblings on a plan since 60 days ago with different categories: Maya (mother
    Anna, father Ben) and Leo (mother Anna, father Carl). Signed in as the lead."""
    from coregroup.models import Child

    conference = TODAY - dt.timedelta(days=60)
    case = make_case(initial_conference=conference, categories=None, jurisdiction="england")
    maya = case.children[0]
    maya.name = "Maya"
    leo = Child(name="Leo", date_of_birth=dt.date(2021, 2, 3))
    case.children.append(leo)
    for child, categories in ((maya, ["neglect"]), (leo, ["physical", "emotional"])):
        child.plans.append(ChildPlan.starting(1, categories, conference))
    lead = make_user(name="Sam Lead")
    people = {"sam": make_member(case, lead, joined_on=conference, ref="m-sam")}
    for key, child_list in (("anna", [maya, leo]), ("ben", [maya]), ("carl", [leo])):
        user = make_user(name=key.title(), professional=False, email=f"{key}@example.test")
        people[key] = make_member(
            case,
            user,
            role="parent",
            joined_on=conference,
            ref=f"m-{key}",
            email=user.email,
            language="pl" if key == "ben" else None,
        )
        people[key].children = child_list
    db.session.commit()
    sign_in(client, lead)
    return case, people


def _outcomes(case, **by_name) -> dict:
    """Form data for each child: name=("continue", [categories]) or ("end", reason)."""
    data = {}
    for child in case.children:
        if child.name not in by_name:
            continue
        outcome, detail = by_name[child.name]
        data[f"outcome_{child.id}"] = outcome
        if outcome == "continue":
            data[f"categories_{child.id}"] = detail
        else:
            data[f"reason_{child.id}"] = detail
    return data


def _review(client, case, held, next_review=None, chair="Chris Chair", **by_name):
    data = {**_date("held", held), "chair": chair, **_outcomes(case, **by_name)}
    if next_review:
        data.update(_date("next_review", next_review))
    return client.post(f"/cases/{case.id}/review-conference", data=data)


def test_each_child_has_their_own_plan_and_a_review_ends_one(client, db, siblings):
    case, people = siblings
    html = page(client.get(f"/cases/{case.id}/children"))
    assert "Neglect" in html.select_one("#child-" + case.children[0].ref).find_next("dl").text
    held = TODAY - dt.timedelta(days=2)
    response = _review(
        client,
        case,
        held,
        next_review=held + dt.timedelta(days=120),
        Maya=("end", "no-longer-at-risk"),
        Leo=("continue", ["physical"]),
    )
    assert response.status_code == 302, page(response).select(".govuk-error-message")
    db.session.expire_all()
    maya, leo = case.children
    assert maya.current_plan is None and maya.plans[0].ended_on == held
    assert maya.plans[0].end_reason == "no-longer-at-risk"
    assert leo.current_plan.categories == ["physical"], "categories changed at the review"
    assert leo.current_plan.initial_categories == ["physical", "emotional"]
    assert case.status == "open"
    conference = case.review_conferences[0]
    assert conference.chair == "Chris Chair"
    assert conference.outcomes[maya.ref]["outcome"] == "end"
    due = client.get(f"/api/v1/cases/{case.id}").get_json()["dueDates"]["reviewConferenceDue"]
    assert due == (held + dt.timedelta(days=120)).isoformat(), "the date the conference set"
    case.jurisdiction = "england"  # the census is England's
    db.session.commit()
    year = held.year + 1 if held.month >= 4 else held.year
    csv_text = client.get(f"/api/v1/cin.csv?year={year}").get_data(as_text=True)
    assert f",{held.isoformat()}," in csv_text, "the census end date is filled"


def test_the_last_plan_ending_closes_the_case_and_tells_the_family(client, db, siblings, smtp):
    case, people = siblings
    held = TODAY - dt.timedelta(days=1)
    response = _review(
        client, case, held, Maya=("end", "no-longer-at-risk"), Leo=("end", "moved-away")
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert case.status == "closed" and case.closed_on == held
    polish = smtp.to("ben@example.test")
    assert len(polish) == 1 and smtp.to("anna@example.test")
    assert polish[0]["Subject"] != "The plan has ended", "Ben reads Polish"
    assert "conference" in smtp.body(smtp.to("anna@example.test")[0])
    # The dashboard asks for nothing more.
    from coregroup import dashboard as board

    with client.application.test_request_context():
        assert board.items_for(case, TODAY) == []
    # Still readable; nothing can be changed, and what was typed is shown to copy.
    assert client.get(f"/cases/{case.id}/plan/read").status_code == 200
    stale = client.post(
        f"/cases/{case.id}/members",
        data={"name": "Late Person", "role": "teacher", "organisation": "School"},
    )
    assert stale.status_code == 409
    assert "This case is closed" in stale.text and "Late Person" in stale.text
    assert db.session.query(Member).filter_by(name="Late Person").count() == 0
    api = client.patch(
        f"/api/v1/cases/{case.id}/plan",
        json={"aims": "x"},
        headers={"If-Match": '"1"'},
    )
    assert api.status_code == 409 and api.get_json()["code"] == "case_closed"


def test_a_closed_case_is_readable_for_the_configured_period_only(app, client, db, siblings):
    case, people = siblings
    case.status, case.closed_on = "closed", TODAY - dt.timedelta(days=100)
    for child in case.children:
        child.plans[0].ended_on = case.closed_on
    db.session.commit()
    app.config["COREGROUP_CLOSED_READABLE_DAYS"] = 90
    assert client.get(f"/cases/{case.id}").status_code == 200, "the lead still reads it"
    client.post("/sign-out")
    sign_in(client, people["anna"].user)
    gone = client.get(f"/cases/{case.id}")
    assert gone.status_code == 410 and "This case is closed" in gone.text
    app.config["COREGROUP_CLOSED_READABLE_DAYS"] = 365
    assert client.get(f"/cases/{case.id}").status_code == 200


def test_bad_review_input_is_named_at_its_field_and_nothing_is_saved(client, db, siblings):
    case, people = siblings
    maya, leo = case.children
    leo.plans[0].started_on = TODAY - dt.timedelta(days=5)  # Leo's plan began later
    db.session.commit()
    held = TODAY - dt.timedelta(days=10)
    response = _review(
        client,
        case,
        held,
        next_review=held + dt.timedelta(days=300),
        Maya=("continue", ["neglect"]),
        Leo=("end", "no-longer-at-risk"),
    )
    assert response.status_code == 400
    html = page(response)
    errors = [a.get_text(strip=True) for a in html.select(".govuk-error-summary a")]
    assert any("cannot end before it started" in e for e in errors), errors
    assert any("at the latest, as the procedures require" in e for e in errors), errors
    assert html.select_one("input[name=chair]")["value"] == "Chris Chair", "what was typed"
    db.session.expire_all()
    assert case.review_conferences == [] and leo.current_plan is not None
    # An outcome for a child who is not on a plan (a stale page, a crafted form).
    maya.plans[0].ended_on = TODAY - dt.timedelta(days=20)
    db.session.commit()
    data = {
        **_date("held", TODAY),
        "chair": "C",
        f"outcome_{maya.id}": "end",
        f"outcome_{leo.id}": "continue",
        f"categories_{leo.id}": ["physical"],
        **_date("next_review", TODAY + dt.timedelta(days=30)),
    }
    response = client.post(f"/cases/{case.id}/review-conference", data=data)
    assert response.status_code == 400
    assert "Maya is not on a plan" in response.text
    missing = _review(client, case, TODAY, chair="")
    assert missing.status_code == 400
    errors = page(missing).select_one(".govuk-error-summary").text
    assert "Select whether Leo's plan continues or ends" in errors
    assert "Enter the name of the person who chaired" in errors


def test_a_third_child_is_added_later_unborn_and_linked_to_a_parent(client, db, siblings):
    case, people = siblings
    due = TODAY + dt.timedelta(days=90)
    response = client.post(
        f"/cases/{case.id}/children/new",
        data={
            "name": "Baby of Anna",
            **_date("born", due),
            "family": [str(people["anna"].id)],
            "plan": "yes",
            **_date("plan_from", TODAY),
            "categories": ["neglect"],
        },
    )
    assert response.status_code == 302, page(response).select(".govuk-error-message")
    db.session.expire_all()
    baby = case.children[2]
    assert baby.unborn and baby.expected_on == due and baby.added_on == TODAY
    assert baby.current_plan.started_on == TODAY
    assert people["anna"].children[-1] == baby and baby not in people["ben"].children
    html = page(client.get(f"/cases/{case.id}/children"))
    assert "Not born yet" in html.text
    bad = client.post(
        f"/cases/{case.id}/children/new",
        data={"name": "X", **_date("born", TODAY), "plan": "yes", "categories": ["sexual"]},
    )
    assert bad.status_code == 400 and "Enter the date of the conference" in bad.text


def test_a_half_siblings_father_sees_only_his_childs_parts(client, db, siblings):
    from coregroup.plans import services
    from tests.factories import full_plan

    case, people = siblings
    maya, leo = case.children
    plan = full_plan()
    plan["needs"][0]["children"] = [maya.ref]
    plan["needs"][1]["children"] = [leo.ref]
    plan["needs"][1]["whatMustChange"] = "Only about Leo"
    services.write_version(case, people["sam"].user, plan)
    db.session.commit()
    client.post("/sign-out")
    sign_in(client, people["ben"].user)
    seen = client.get(f"/api/v1/cases/{case.id}/plan").get_json()
    assert [n["id"] for n in seen["needs"]] == [plan["needs"][0]["id"]] + [
        n["id"] for n in plan["needs"][2:]
    ]
    assert "Only about Leo" not in client.get(f"/cases/{case.id}/plan/read").text
    children_page = client.get(f"/cases/{case.id}/children").text
    assert "Maya" in children_page and "Leo" not in children_page
    client.post("/sign-out")
    sign_in(client, people["carl"].user)
    assert "Only about Leo" in client.get(f"/cases/{case.id}/plan/read").text


def test_a_translation_follows_its_need_when_another_childs_need_is_hidden(db, siblings):
    from coregroup.plans.audience import for_member
    from coregroup.plans.services import plan_schema
    from tests.factories import full_plan

    case, people = siblings
    maya, leo = case.children
    plan = full_plan()
    plan["needs"][0]["children"] = [leo.ref]
    second = plan["needs"][1]["whatMustChange"]
    plan["translations"] = {
        "pl": {
            "/needs/0/whatMustChange": {
                "source": plan["needs"][0]["whatMustChange"],
                "text": "o Leo",
            },
            "/needs/1/whatMustChange": {"source": second, "text": "dla Mai"},
        }
    }
    seen = for_member(plan_schema(), plan, people["ben"])
    assert seen["needs"][0]["whatMustChange"] == second
    assert seen["translations"]["pl"] == {
        "/needs/0/whatMustChange": {"source": second, "text": "dla Mai"}
    }


def test_a_new_plan_after_closing_goes_on_the_same_record(client, db, siblings):
    case, people = siblings
    _review(
        client,
        case,
        TODAY - dt.timedelta(days=3),
        Maya=("end", "no-longer-at-risk"),
        Leo=("end", "no-longer-at-risk"),
    )
    db.session.expire_all()
    assert case.is_closed
    response = client.post(
        f"/cases/{case.id}/plans/new",
        data={
            "child": str(case.children[1].id),
            **_date("plan_from", TODAY),
            "categories": ["sexual"],
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    leo = case.children[1]
    assert case.status == "open" and case.closed_on is None
    assert leo.current_plan.number == 2 and leo.previous_plans == 1
    assert case.initial_conference == TODAY
    api = client.get(f"/api/v1/cases/{case.id}").get_json()
    assert api["children"][1]["previousPlans"] == 1
    assert api["dueDates"]["nextCoreGroupDue"] is not None, "the first core group is due again"
    again = client.post(
        f"/cases/{case.id}/plans/new",
        data={"child": str(leo.id), **_date("plan_from", TODAY), "categories": ["sexual"]},
    )
    assert again.status_code == 400 and "on a plan already" in again.text


def test_an_early_conference_asked_for_is_tracked_until_one_answers_it(app, client, db, siblings):
    from coregroup.cases import childplans
    from coregroup.dashboard import items_for

    case, people = siblings
    request = childplans.request_conference(
        case,
        TODAY - dt.timedelta(days=4),
        people["sam"].user,
        meeting_number=None,
        reason="The move cannot happen",
    )
    db.session.commit()
    with app.test_request_context():
        texts = [i.text for i in items_for(case, TODAY)]
    assert any("asked for another child protection conference" in t for t in texts)
    _review(
        client,
        case,
        TODAY,
        next_review=TODAY + dt.timedelta(days=90),
        Maya=("continue", ["neglect"]),
        Leo=("continue", ["physical"]),
    )
    db.session.expire_all()
    assert db.session.get(ConferenceRequest, request.id).answered_by_id is not None
    with app.test_request_context():
        texts = [i.text for i in items_for(case, TODAY)]
    assert not any("asked for another" in t for t in texts)
    assert "Answered by the conference" in client.get(f"/cases/{case.id}/children").text


def test_retention_lists_then_reduces_and_never_a_held_case(app, client, db, siblings):
    from coregroup import audit

    case, people = siblings
    held_case = make_case(reference="HELD-1", categories=None, jurisdiction="england")
    for c in (case, held_case):
        c.status, c.closed_on = "closed", dt.date(2000, 1, 1)
        for child in c.children:
            child.date_of_birth = dt.date(1990, 1, 1)
    held_case.legal_hold, held_case.legal_hold_reason = True, "Care proceedings"
    db.session.commit()
    client.get(f"/cases/{case.id}")  # an audit event on the case's chain
    runner = CliRunner()
    cli = app.test_cli_runner()
    dry = cli.invoke(args=["retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"{case.reference}: closed 2000-01-01" in dry.output and "would reduce" in dry.output
    assert "HELD-1" in dry.output and "legal hold: Care proceedings" in dry.output
    db.session.expire_all()
    assert db.session.get(Case, case.id).children, "a dry run deletes nothing"
    refused = cli.invoke(args=["retention", "--case", "HELD-1"])
    assert refused.exit_code != 0 and "legal hold" in refused.output
    done = cli.invoke(args=["retention"])
    assert done.exit_code == 0, done.output
    db.session.expire_all()
    reduced = db.session.get(Case, case.id)
    assert reduced.reduced_on == TODAY and reduced.children == [] and reduced.members == []
    assert db.session.get(Case, held_case.id).children, "the held case is kept whole"
    events = db.session.query(AuditEvent).filter_by(case_id=case.id).all()
    assert all(e.action in ("erased", "retention-reduced") for e in events)
    assert audit.verify_chains().broken == [], "the chain still verifies"
    del runner


def test_subject_access_withholds_third_party_information_with_reasons(client, db, siblings):
    from coregroup.models import SubjectAccessRelease
    from coregroup.plans import services
    from tests.factories import full_plan

    case, people = siblings
    plan = full_plan()
    plan["familyViews"] = {
        "m-anna": {"views": "Anna's own words"},
        "m-carl": {"views": "Carl's own words"},
    }
    services.write_version(case, people["sam"].user, plan)
    db.session.commit()
    html = page(client.get(f"/cases/{case.id}/subject-access/m-anna"))
    cards = {c.select_one("h2").get_text(strip=True): c for c in html.select(".govuk-summary-card")}
    assert cards["Carl's views on the plan"].select_one("input[name^=withhold]").has_attr("checked")
    assert (
        not cards["Anna's views on the plan"]
        .select_one("input[name^=withhold]")
        .has_attr("checked")
    )
    shown = html.select_one("input[name=shown]")["value"]
    # Withholding without a reason is refused, at the item.
    refused = client.post(
        f"/cases/{case.id}/subject-access/m-anna",
        data={"shown": shown, "withhold-views:m-carl": "yes"},
    )
    assert refused.status_code == 400 and "is withheld" in refused.text
    assert page(refused).title.text.startswith("Error:")
    form = {
        "shown": shown,
        "withhold-views:m-carl": "yes",
        "reason-views:m-carl": "other-parent",
        "note-views:m-carl": "DPA",
    }
    # Someone added meanwhile (a refuge worker with their details) was never reviewed:
    # nothing is released, and the page shows them marked to withhold.
    make_member(case, None, name="Zed Refuge", role="other-professional", phone="07000 111222")
    db.session.commit()
    stale = client.post(f"/cases/{case.id}/subject-access/m-anna", data=form)
    assert stale.status_code == 409 and "Something was added" in stale.text
    zed = next(c for c in page(stale).select(".govuk-summary-card") if "Zed Refuge" in c.text)
    assert zed.select_one("input[name^=withhold]").has_attr("checked")
    assert db.session.query(SubjectAccessRelease).count() == 0
    form["shown"] = page(stale).select_one("input[name=shown]")["value"]
    zed_key = zed.select_one("input[name^=withhold]")["name"].removeprefix("withhold-")
    form |= {f"withhold-{zed_key}": "yes", f"reason-{zed_key}": "contact"}
    response = client.post(f"/cases/{case.id}/subject-access/m-anna", data=form)
    assert response.status_code == 302
    release = db.session.query(SubjectAccessRelease).one()
    assert release.subject == "m-anna"
    assert release.withheld[0] == {
        "item": "views:m-carl",
        "label": "Carl's views on the plan",
        "reason": "other-parent",
        "note": "DPA",
    }
    body = json.dumps(release.released)
    assert "Anna's own words" in body and "Carl's own words" not in body
    assert "07000 111222" not in body
    download = client.get(response.headers["Location"] + "?format=json").get_json()
    assert download["withheld"][0] == {
        "item": "Someone's views on the plan",
        "reason": "The other parent's or another family member's views",
    }, "said generally: no third party named, and the lead's note not sent"
    assert "Zed" not in json.dumps(download) and "DPA" not in json.dumps(download)
    # A child, who has no account, can be the subject too.
    maya = case.children[0]
    assert client.get(f"/cases/{case.id}/subject-access/{maya.ref}").status_code == 200
    assert client.get(f"/cases/{case.id}/subject-access/c-nobody").status_code == 404


def test_a_legal_hold_is_set_with_a_reason(client, db, siblings):
    case, people = siblings
    bad = client.post(f"/cases/{case.id}/legal-hold", data={"hold": "yes"})
    assert bad.status_code == 400 and "Enter why the case must be kept" in bad.text
    ok = client.post(f"/cases/{case.id}/legal-hold", data={"hold": "yes", "reason": "Court"})
    assert ok.status_code == 302
    db.session.expire_all()
    assert case.legal_hold and case.legal_hold_reason == "Court"
    assert db.session.query(AuditEvent).filter_by(action="legal-hold").count() == 1


def test_a_family_member_must_be_linked_to_a_child_when_there_are_several(client, db, siblings):
    case, people = siblings
    form = {
        "name": "Dee Carer",
        "role": "carer",
        "language": "en_GB",
        **_date("joined", TODAY),
    }
    refused = client.post(f"/cases/{case.id}/members", data=form)
    assert refused.status_code == 400 and "Select the children they are" in refused.text
    ok = client.post(
        f"/cases/{case.id}/members", data={**form, "children": [str(case.children[1].id)]}
    )
    assert ok.status_code == 302
    dee = db.session.query(Member).filter_by(name="Dee Carer").one()
    assert [c.name for c in dee.children] == ["Leo"]
    moved = client.post(
        f"/cases/{case.id}/members/{dee.id}/children",
        data={"children": [str(case.children[0].id)]},
    )
    assert moved.status_code == 302
    db.session.expire_all()
    assert [c.name for c in dee.children] == ["Maya"]


def test_a_case_past_its_reading_period_leaves_the_family_members_list(app, client, db, siblings):
    case, people = siblings
    case.status, case.closed_on = "closed", TODAY - dt.timedelta(days=100)
    db.session.commit()
    client.post("/sign-out")
    sign_in(client, people["anna"].user)
    assert case.reference not in client.get("/cases").text
    app.config["COREGROUP_CLOSED_READABLE_DAYS"] = 365
    assert case.reference in client.get("/cases").text


def test_the_minutes_review_only_a_fathers_own_childs_needs(client, db, siblings):
    from coregroup.models import Meeting
    from coregroup.plans import services
    from tests.factories import full_plan

    case, people = siblings
    maya, leo = case.children
    plan = full_plan()
    plan["needs"][0]["children"] = [maya.ref]
    plan["needs"][1]["children"] = [leo.ref]
    version = services.write_version(case, people["sam"].user, plan)
    db.session.add(
        Meeting(
            case_id=case.id,
            number=1,
            kind="subsequent",
            status="completed",
            plan_number=version.number,
            record={
                "date": TODAY.isoformat(),
                "needsReview": {
                    plan["needs"][0]["id"]: {"progress": "on-track", "comment": "Maya at school"},
                    plan["needs"][1]["id"]: {"progress": "on-track", "comment": "Leo at clinic"},
                },
            },
        )
    )
    db.session.commit()
    assert "Leo at clinic" in client.get(f"/cases/{case.id}/meetings/1/minutes").text
    client.post("/sign-out")
    sign_in(client, people["ben"].user)
    minutes = client.get(f"/cases/{case.id}/meetings/1/minutes").text
    assert "Maya at school" in minutes and "Leo at clinic" not in minutes
    record = client.get(f"/api/v1/cases/{case.id}/meetings/1").get_json()
    assert list(record["needsReview"]) == [plan["needs"][0]["id"]]


def test_the_last_minutes_are_still_circulated_after_the_case_closes(app, client, db, siblings):
    from coregroup.dashboard import items_for
    from coregroup.models import Circulation, Meeting

    case, people = siblings
    db.session.add(
        Meeting(
            case_id=case.id,
            number=1,
            kind="last-before-review",
            status="completed",
            record={"date": (TODAY - dt.timedelta(days=2)).isoformat()},
        )
    )
    db.session.commit()
    _review(client, case, TODAY, Maya=("end", "no-longer-at-risk"), Leo=("end", "moved-away"))
    db.session.expire_all()
    assert case.is_closed
    with app.test_request_context():
        texts = [i.text for i in items_for(case, TODAY)]
    assert len(texts) == 1 and "Send the plan and minutes of meeting 1" in texts[0]
    response = client.post(
        f"/cases/{case.id}/meetings/1/circulate",
        data={"method": "by-hand", "member": people["anna"].id},
    )
    assert response.status_code == 302
    assert db.session.query(Circulation).filter_by(member_id=people["anna"].id).count() == 1


def test_the_lead_is_told_who_could_not_be_emailed_when_the_case_closes(client, db, siblings):
    case, people = siblings
    people["carl"].email = None
    db.session.commit()
    response = _review(
        client, case, TODAY, Maya=("end", "no-longer-at-risk"), Leo=("end", "moved-away")
    )
    banner = page(client.get(response.headers["Location"])).select_one("main")
    assert "We could not email" in banner.text and "Carl" in banner.text and "Anna" in banner.text


def test_a_childs_details_are_corrected_and_a_stale_page_never_overwrites(client, db, siblings):
    case, people = siblings
    maya = case.children[0]
    url = f"/cases/{case.id}/children/{maya.id}/details"
    shown = page(client.get(url)).select_one("input[name=shown]")["value"]
    form = {"shown": shown, "name": "Maya Kowalska", **_date("born", dt.date(2017, 6, 1))}
    assert client.post(url, data=form).status_code == 302
    db.session.expire_all()
    assert (maya.name, maya.date_of_birth) == ("Maya Kowalska", dt.date(2017, 6, 1))
    # Someone else corrects the date meanwhile; this stale page says so and keeps both.
    stale = {"shown": shown, "name": "Maya K", **_date("born", dt.date(2017, 6, 2))}
    clash = client.post(url, data=stale)
    assert clash.status_code == 400 and "Someone else changed this" in clash.text
    assert "It is now: 1 June 2017" in page(clash).text, "the date in words"
    assert page(clash).select_one("input[name=name]")["value"] == "Maya K"
    db.session.expire_all()
    assert maya.name == "Maya Kowalska", "nothing overwritten"
    born = client.post(
        url,
        data={
            "shown": page(clash).select_one("input[name=shown]")["value"],
            "name": "Maya Kowalska",
            **_date("born", TODAY + dt.timedelta(days=400)),
        },
    )
    assert born.status_code == 400


def test_a_plan_started_the_day_the_case_closed_is_reviewed_from_its_own_conference(
    client, db, siblings
):
    from dateutil.relativedelta import relativedelta

    case, people = siblings
    _review(
        client,
        case,
        TODAY,
        next_review=TODAY + dt.timedelta(days=150),
        Maya=("end", "no-longer-at-risk"),
        Leo=("continue", ["physical"]),
    )
    _review(client, case, TODAY, Leo=("end", "moved-away"))
    client.post(
        f"/cases/{case.id}/plans/new",
        data={
            "child": str(case.children[1].id),
            **_date("plan_from", TODAY),
            "categories": ["neglect"],
        },
    )
    due = client.get(f"/api/v1/cases/{case.id}").get_json()["dueDates"]["reviewConferenceDue"]
    assert due == (TODAY + relativedelta(months=3)).isoformat(), "not the closed plans' date"


def test_a_half_siblings_category_is_not_shown_to_the_other_father(client, db, siblings):
    from coregroup.plans import services
    from tests.factories import full_plan

    case, people = siblings
    plan = full_plan()
    plan["concerns"]["categories"] = ["neglect", "physical"]  # Maya's, and Leo's
    services.write_version(case, people["sam"].user, plan)
    db.session.commit()
    client.post("/sign-out")
    sign_in(client, people["ben"].user)
    seen = client.get(f"/api/v1/cases/{case.id}/plan").get_json()
    assert seen["concerns"]["categories"] == ["neglect"]


def test_subject_access_notices_an_item_changed_during_review(client, db, siblings):
    from coregroup.models import SubjectAccessRelease
    from coregroup.plans import services
    from tests.factories import full_plan

    case, people = siblings
    plan = full_plan()
    services.write_version(case, people["sam"].user, plan)
    db.session.commit()
    url = f"/cases/{case.id}/subject-access/m-ben"
    shown = page(client.get(url)).select_one("input[name=shown]")["value"]
    services.write_version(case, people["sam"].user, plan | {"aims": "Now at 9 Secret Lane"})
    db.session.commit()
    stale = client.post(url, data={"shown": shown})
    assert stale.status_code == 409 and db.session.query(SubjectAccessRelease).count() == 0


def test_a_stale_page_keeps_what_someone_else_corrected_in_another_detail(client, db, siblings):
    case, people = siblings
    leo = case.children[1]
    url = f"/cases/{case.id}/children/{leo.id}/details"
    shown = page(client.get(url)).select_one("input[name=shown]")["value"]
    leo.name = "Leo Kowalski"  # someone else corrects the name meanwhile
    db.session.commit()
    response = client.post(
        url, data={"shown": shown, "name": "Leo", **_date("born", dt.date(2021, 2, 4))}
    )
    assert response.status_code == 302, "only the date changed here: no clash"
    db.session.expire_all()
    assert (leo.name, leo.date_of_birth) == ("Leo Kowalski", dt.date(2021, 2, 4))


def test_an_outcome_for_a_child_of_no_case_is_refused_not_ignored(client, db, siblings):
    case, people = siblings
    data = {
        **_date("held", TODAY),
        "chair": "C",
        **_outcomes(case, Maya=("continue", ["neglect"]), Leo=("continue", ["physical"])),
        **_date("next_review", TODAY + dt.timedelta(days=30)),
        "outcome_999999": "end",
    }
    response = client.post(f"/cases/{case.id}/review-conference", data=data)
    assert response.status_code == 400 and "This child is not in this case" in response.text
    db.session.expire_all()
    assert case.review_conferences == []
