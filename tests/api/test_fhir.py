"""The plan as FHIR R4: valid (fhir.resources), every reference resolving inside the Bundle,
and — field by field, as the README's table says — every child, member, need, action and date
where a health partner's system will look for it."""

import datetime as dt

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.codesystem import CodeSystem

from coregroup.api import fhir
from coregroup.extensions import db as _db
from coregroup.models import Child, ChildPlan, Meeting
from coregroup.plans import services
from tests.conftest import page
from tests.factories import full_plan


@pytest.fixture
def siblings(planned, db):
    """The planned case with a second child (Mia, on a plan for emotional abuse) whose only
    parent in the group is Layla; Yusuf has an NHS number; one need is Mia's alone, and a
    core group reviewed the needs."""
    case, members = planned
    yusuf = case.children[0]
    yusuf.nhs_number = "9434765919"
    mia = Child(name="Mia Hassan", date_of_birth=dt.date(2021, 3, 4))
    mia.plans = [ChildPlan.starting(1, ["emotional"], case.initial_conference)]
    case.children.append(mia)
    members["layla"].children = [yusuf, mia]
    members["daniel"].children = [yusuf]
    _db.session.flush()
    plan = full_plan()
    plan["needs"][0]["children"] = [mia.ref]  # this need is Mia's alone
    plan["contingency"] = "If an adult is not at home at night, a conference is called."
    plan["childViews"] = "I want to stay at home."
    plan["familyViews"] = {"m-layla": {"views": "We are trying hard."}}
    plan["contacts"] = [
        {
            "id": "visit-1",
            "member": "m-sam",
            "sees": "child-and-family",
            "howOften": "Every two weeks",
            "why": "To see the night-time plan working.",
        }
    ]
    services.write_version(case, members["sam"].user, plan)
    reviewed = plan["needs"][1]["id"]
    _db.session.add(
        Meeting(
            case_id=case.id,
            number=1,
            kind="first",
            status="completed",
            record={
                "date": "2026-11-16",
                "needsReview": {reviewed: {"progress": "not-on-track", "comment": "No change."}},
            },
        )
    )
    _db.session.commit()
    return case, members, plan


def _export(client, case) -> dict:
    response = client.get(f"/api/v1/cases/{case.id}/plan/fhir")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/fhir+json; fhirVersion=4.0"
    return response.get_json()


def _by_url(bundle):
    return {e["fullUrl"]: e["resource"] for e in bundle["entry"]}


def _all(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _follow(bundle, ref):
    return _by_url(bundle)[ref["reference"]]


def test_a_valid_bundle_whose_every_reference_resolves(client, siblings):
    case, _members, _plan = siblings
    bundle = _export(client, case)
    Bundle.model_validate(bundle)  # valid FHIR (R4B models; the same as R4 here), or it raises
    assert bundle["type"] == "collection"
    for entry in bundle["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
    assert fhir.unresolved(bundle) == []
    references = [
        node
        for entry in bundle["entry"]
        for node in _walk(entry["resource"])
        if isinstance(node, dict) and "reference" in node
    ]
    assert len(references) > 30 and all(r["reference"].startswith("urn:uuid:") for r in references)
    again = _export(client, case)
    assert [e["fullUrl"] for e in again["entry"]] == [e["fullUrl"] for e in bundle["entry"]], (
        "the same resources keep their ids from one export to the next"
    )


def test_a_reference_that_does_not_resolve_is_found():
    bundle = {
        "entry": [
            {"fullUrl": "urn:uuid:a", "resource": {"subject": {"reference": "urn:uuid:a"}}},
            {"fullUrl": "urn:uuid:b", "resource": {"goal": [{"reference": "Goal/x"}]}},
        ]
    }
    assert fhir.unresolved(bundle) == ["entry[1].goal[0]: Goal/x"]


def _walk(node):
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_round_trip_field_by_field(client, siblings):
    case, members, plan = siblings
    bundle = _export(client, case)
    yusuf, mia = case.children
    patients = {
        next(i["value"] for i in p["identifier"] if i["system"] == fhir.CHILD_ID): p
        for p in _all(bundle, "Patient")
    }
    # Children: a Patient each, with their identifiers and date of birth.
    assert set(patients) == {yusuf.ref, mia.ref}
    assert {"use": "official", "system": fhir.NHS_NUMBER, "value": "9434765919"} in patients[
        yusuf.ref
    ]["identifier"]
    assert not any(i["system"] == fhir.NHS_NUMBER for i in patients[mia.ref]["identifier"])
    assert patients[mia.ref]["birthDate"] == "2021-03-04"
    assert patients[yusuf.ref]["name"][0]["text"] == yusuf.name

    # Members: professionals as PractitionerRole (+ Practitioner), family as RelatedPerson of
    # each of their children; each carries the member's id and the dates they were a member.
    roles = {r["identifier"][0]["value"]: r for r in _all(bundle, "PractitionerRole")}
    related = {}
    for person in _all(bundle, "RelatedPerson"):
        child = _follow(bundle, person["patient"])
        related[(person["identifier"][0]["value"], child["id"])] = person
    for member in members.values():
        if member.is_family:
            children = member.children
            assert {related_key[1] for related_key in related if related_key[0] == member.ref} == {
                patients[c.ref]["id"] for c in children
            }
            person = related[(member.ref, patients[children[0].ref]["id"])]
            assert person["name"][0]["text"] == member.name
        else:
            role = roles[member.ref]
            assert role["code"][0]["coding"][0] == {
                "system": fhir.ROLE,
                "code": member.role,
                "display": role["code"][0]["coding"][0]["display"],
            }
            assert _follow(bundle, role["practitioner"])["name"][0]["text"] == member.name
            assert role["period"]["start"] == member.joined_on.isoformat()
    assert ("m-daniel", patients[mia.ref]["id"]) not in related, "Daniel is not Mia's parent"

    care_plans = {_follow(bundle, p["subject"])["id"]: p for p in _all(bundle, "CarePlan")}
    assert len(care_plans) == 2, "a CarePlan per child"
    for child in (yusuf, mia):
        care_plan = care_plans[patients[child.ref]["id"]]
        child_plan = child.current_plan
        assert care_plan["status"] == "active" and care_plan["intent"] == "plan"
        assert care_plan["identifier"][0] == {
            "system": fhir.PLAN_ID,
            "value": f"{child.ref}/{child_plan.number}",
        }
        assert care_plan["period"] == {"start": child_plan.started_on.isoformat()}
        assert [c["coding"][0]["code"] for c in care_plan["category"]] == child_plan.categories
        assert care_plan["description"] == plan["aims"]
        conditions = [_follow(bundle, r) for r in care_plan["addresses"]]
        assert [c["code"]["coding"][0]["code"] for c in conditions] == child_plan.categories
        assert all(c["code"]["coding"][0]["system"] == fhir.CONCERN for c in conditions)
        # The lead social worker: the plan's author, marked in the core group by their role.
        assert _follow(bundle, care_plan["author"])["identifier"][0]["value"] == "m-sam"
        team = _follow(bundle, care_plan["careTeam"][0])
        leads = [
            p
            for p in team["participant"]
            if any(
                c["code"] == "lead-social-worker" for r in p["role"] for c in r.get("coding", [])
            )
        ]
        assert [_follow(bundle, p["member"])["identifier"][0]["value"] for p in leads] == ["m-sam"]
        responsibilities = {r["member"]: r["responsibilities"] for r in plan["roles"]}
        for participant in team["participant"]:
            who = _follow(bundle, participant["member"])
            ref = next(
                (i["value"] for i in who.get("identifier", []) if i["system"] == fhir.MEMBER_ID),
                None,
            )
            if ref in responsibilities:
                assert {"text": responsibilities[ref]} in participant["role"]

        # Needs: a Goal each, for the children they concern; actions: activities.
        mine = [n for n in plan["needs"] if not n.get("children") or child.ref in n["children"]]
        goals = [_follow(bundle, g) for g in care_plan["goal"]]
        assert [g["description"]["text"] for g in goals] == [n["whatMustChange"] for n in mine]
        activities = [a["detail"] for a in care_plan["activity"] if "goal" in a["detail"]]
        actions = [a for n in mine for a in n.get("actions", [])]
        assert len(activities) == len(actions)
        for need, goal in zip(mine, goals, strict=True):
            assert _follow(bundle, goal["subject"]) is patients[child.ref]
            assert {"system": fhir.TRIANGLE, "code": need["area"]} == {
                k: goal["category"][1]["coding"][0][k] for k in ("system", "code")
            }
            assert goal["category"][0]["coding"][0]["code"] == need["side"]
            target = goal["target"][0]
            assert target["detailString"] == need["intendedOutcome"]
            assert target["measure"]["text"] == need["howMeasured"]
            assert target["dueDate"] == max(a["byWhen"] for a in need["actions"])
            review = None
            if need["id"] == plan["needs"][1]["id"]:
                review = {"code": "no-progress"}
            assert (goal.get("achievementStatus", {}).get("coding", [{}])[0].get("code")) == (
                review and review["code"]
            )
        for action, detail in zip(actions, activities, strict=True):
            assert detail["description"] == action["what"]
            assert detail["status"] == fhir.ACTIVITY_STATUS[action["status"]]
            assert detail["scheduledPeriod"] == {"end": action["byWhen"]}
            performers = {
                next(
                    i["value"]
                    for i in _follow(bundle, p)["identifier"]
                    if i["system"] in (fhir.MEMBER_ID,)
                )
                for p in detail["performer"]
            }
            assert performers == set(action["who"]), action["id"]
            if action.get("how"):
                assert {"url": fhir.ACTION_HOW, "valueString": action["how"]} in detail["extension"]
        visits = [a["detail"] for a in care_plan["activity"] if "goal" not in a["detail"]]
        assert visits[0]["scheduledString"] == "Every two weeks"
        assert visits[0]["reasonCode"] == [{"text": "To see the night-time plan working."}]
        notes = {n["text"]: n for n in care_plan["note"]}
        assert notes[plan["contingency"]]["authorString"] == "Contingency plan"
        # One "what the child thinks" for two children: whose words is not recorded.
        assert notes["I want to stay at home."]["authorString"] == "The children's views"
        assert "authorReference" not in notes["I want to stay at home."]
        layla = _follow(bundle, notes["We are trying hard."]["authorReference"])
        assert layla["identifier"][0]["value"] == "m-layla"
    assert plan["needs"][0]["whatMustChange"] not in [
        _follow(bundle, g)["description"]["text"]
        for g in care_plans[patients[yusuf.ref]["id"]]["goal"]
    ], "a need of Mia's alone is not on Yusuf's plan"


def test_an_ended_plan_is_completed_or_revoked_with_its_end(client, siblings):
    case, _members, _plan = siblings
    mia = case.children[1]
    mia.plans[0].ended_on = dt.date(2027, 2, 1)
    mia.plans[0].end_reason = "moved-away"
    _db.session.commit()
    bundle = _export(client, case)
    ended = [p for p in _all(bundle, "CarePlan") if p["period"].get("end")]
    assert [(p["status"], p["period"]["end"]) for p in ended] == [("revoked", "2027-02-01")]
    team = _follow(bundle, ended[0]["careTeam"][0])
    assert team["status"] == "inactive"


def test_the_code_systems_are_published_at_their_canonical_urls(client):
    response = client.get("/fhir/CodeSystem/my-world-triangle")
    assert response.status_code == 200
    triangle = CodeSystem.model_validate(response.get_json()).model_dump(mode="json")
    assert triangle["url"] == fhir.TRIANGLE
    sides = {c["code"]: [a["code"] for a in c["concept"]] for c in triangle["concept"]}
    assert set(sides) == {"grow", "care", "world"} and "keeping-me-safe" in sides["care"]
    assert sum(len(a) for a in sides.values()) == 21
    for name, url in (("category-of-concern", fhir.CONCERN), ("core-group-role", fhir.ROLE)):
        assert client.get(f"/fhir/CodeSystem/{name}").get_json()["url"] == url
    assert client.get("/fhir/CodeSystem/nothing").status_code == 404


@pytest.mark.parametrize(
    ("typed", "kept", "error"),
    [
        ("943 476 5919", "9434765919", None),
        ("943-476-5919", "9434765919", None),
        ("9434765918", None, "This is not a real NHS number"),
        ("94347659", None, "Enter an NHS number of 10 digits"),
    ],
)
def test_the_nhs_number_is_checked_by_its_check_digit(client, planned, db, typed, kept, error):
    case, _members = planned
    child = case.children[0]
    url = f"/cases/{case.id}/children/{child.id}/details"
    form = page(client.get(url))
    data = {i["name"]: i.get("value", "") for i in form.select("form input")}
    data["nhs_number"] = typed
    data["local_id"] = "ABC123"
    response = client.post(url, data=data)
    _db.session.refresh(child)
    if error:
        assert response.status_code == 400 and error in response.text
        assert f'value="{typed}"' in response.text, "what was typed is kept"
        assert child.nhs_number is None
    else:
        assert response.status_code == 302, response.text
        assert (child.nhs_number, child.local_id) == (kept, "ABC123")


def _details(client, case, child):
    url = f"/cases/{case.id}/children/{child.id}/details"
    form = page(client.get(url))
    return url, {i["name"]: i.get("value", "") for i in form.select("form input")}


def test_a_stale_details_page_never_puts_back_what_someone_else_changed(client, planned, db):
    case, _members = planned
    child = case.children[0]
    child.local_id = "YUS001"
    _db.session.commit()
    url, stale = _details(client, case, child)
    _url, fresh = _details(client, case, child)
    assert (
        client.post(
            url, data=fresh | {"local_id": "YUS002", "nhs_number": "4010232137"}
        ).status_code
        == 302
    )
    response = client.post(url, data=stale | {"nhs_number": "9434765919"})
    assert response.status_code == 400 and "Someone else changed this" in response.text
    again = {i["name"]: i.get("value", "") for i in page(response).select("form input")}
    assert again["local_id"] == "YUS002", "the field left alone shows what is saved now"
    assert again["nhs_number"] == "9434765919", "what was typed is kept"
    assert client.post(url, data=again).status_code == 302
    _db.session.refresh(child)
    assert (child.local_id, child.nhs_number) == ("YUS002", "9434765919")


def test_two_children_cannot_share_an_nhs_number(client, planned, db):
    case, _members = planned
    sister = Child(name="Mia Hassan", date_of_birth=dt.date(2021, 3, 4), nhs_number="9434765919")
    case.children.append(sister)
    _db.session.commit()
    url, data = _details(client, case, case.children[0])
    response = client.post(url, data=data | {"nhs_number": "943 476 5919"})
    assert response.status_code == 400 and "Mia Hassan has this NHS number" in response.text
    response = client.post(url, data=data | {"nhs_number": "0000000000"})
    assert response.status_code == 400 and "not a real NHS number" in response.text


def test_one_childs_views_are_theirs_and_a_confidential_parent_is_restricted(client, planned, db):
    case, members = planned
    members["layla"].confidential = True
    plan = full_plan()
    plan["childViews"] = "I want to stay at home."
    services.write_version(case, members["sam"].user, plan)
    _db.session.commit()
    bundle = _export(client, case)
    care_plan = _all(bundle, "CarePlan")[0]
    note = next(n for n in care_plan["note"] if n["text"] == "I want to stay at home.")
    assert _follow(bundle, note["authorReference"])["resourceType"] == "Patient"
    layla = next(
        r for r in _all(bundle, "RelatedPerson") if r["identifier"][0]["value"] == "m-layla"
    )
    assert layla["meta"]["security"][0]["code"] == "R"
    daniel = next(
        r for r in _all(bundle, "RelatedPerson") if r["identifier"][0]["value"] == "m-daniel"
    )
    assert "meta" not in daniel


def test_fhir_clients_may_ask_for_json_by_format(client, planned):
    case, _members = planned
    assert client.get(f"/api/v1/cases/{case.id}/plan/fhir?_format=json").status_code == 200
    assert client.get(f"/api/v1/cases/{case.id}/plan/fhir?_format=xml").status_code == 400
    missing = client.get("/fhir/CodeSystem/nothing")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
