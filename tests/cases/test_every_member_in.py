"""Every member in: invitations for anyone in the core group, the lead social worker handed
over, and contact details kept from those who must not see them."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest

from coregroup.models import AuditEvent, Handover, Invitation, Meeting, Member
from tests.conftest import PASSWORD, make_user, page, sign_in

NEW_PASSWORD = "lantern orchard pebble seven"
TODAY = dt.date.today()


def add(client, case, **fields):
    data = {
        "name": "Pat Constable",
        "role": "police",
        "organisation": "States of Guernsey Police",
        "email": "pat.constable@police.example",
        "phone": "01481 725111",
        "language": "en_GB",
        "joined-day": str(TODAY.day),
        "joined-month": str(TODAY.month),
        "joined-year": str(TODAY.year),
    }
    data.update(fields)
    return client.post(f"/cases/{case.id}/members", data=data)


def require_second_factor(app, client) -> None:
    """Professionals give a second factor (the tests' default is not to); the lead, already
    signed in, gave theirs."""
    app.config["COREGROUP_REQUIRE_SECOND_FACTOR"] = True
    with client.session_transaction() as session:
        session["second_factor"] = True


def record_leaving(client, case, member_id):
    """The lead records that a member leaves today."""
    today = {"left-day": TODAY.day, "left-month": TODAY.month, "left-year": TODAY.year}
    return client.post(f"/cases/{case.id}/members/{member_id}/leave", data=today)


def link_in(message) -> str:
    from tests.conftest import Inbox

    found = re.search(r"http://localhost(/\S+)", Inbox.body(message))
    assert found, Inbox.body(message)
    return found.group(1)


def actions(db, case) -> list[str]:
    return [
        e.action
        for e in db.session.query(AuditEvent)
        .filter(AuditEvent.case_id == case.id)
        .order_by(AuditEvent.id)
    ]


def member_named(case, name) -> Member:
    return next(m for m in case.members if m.name == name)


# --- Invitations -------------------------------------------------------------------------------


def test_a_professional_added_is_invited_by_email_in_their_language_and_sets_up_an_account(
    app, client, planned, db, smtp
):
    case, members = planned
    require_second_factor(app, client)
    response = add(
        client, case, name="Ana Popescu", role="gp", email="ana@surgery.example", language="ro"
    )
    assert response.status_code == 302
    [message] = smtp.to("ana@surgery.example")
    body = smtp.body(message)
    assert "Ana Popescu" in body and case.reference in body
    assert "Hello" not in body, "written in Romanian, her language"
    assert case.children[0].name not in body, "an e-mail never names the child"
    path = link_in(message)
    client.post("/sign-out")

    form = page(client.get(path + "?lang=en_GB"))
    assert form.select_one("h1").get_text(strip=True) == "Set up your account"
    weak = client.post(path, data={"passcode": "password1", "again": "password1"})
    assert weak.status_code == 400
    chosen = client.post(path, data={"passcode": NEW_PASSWORD, "again": NEW_PASSWORD})
    assert chosen.headers["Location"] == "/sign-in/set-up-code"
    assert client.get(f"/cases/{case.id}").status_code == 302, "not in before the second factor"
    html = page(client.get("/sign-in/set-up-code"))
    secret = re.search(r"[A-Z2-7]{32}", html.text).group(0)
    done = client.post("/sign-in/set-up-code", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and "recovery" in done.text.lower()
    assert client.get(f"/cases/{case.id}").status_code == 200
    assert client.get(f"/cases/{case.id}/meetings").status_code == 200
    ana = member_named(case, "Ana Popescu")
    db.session.refresh(ana)
    assert ana.user is not None and ana.user.totp_secret
    assert not ana.user.professional, "a GP invited to one core group opens no cases"
    assert client.get("/cases/new").status_code == 404
    assert actions(db, case).count("invitation-sent") == 1
    assert "invitation-accepted" in actions(db, case)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"email": "not-an-address"}, "email", "Enter an email address like name@example.com"),
        ({"email": "SAM@example.com"}, "email", "is in this core group already"),
        ({"phone": "call me"}, "phone", "Enter a phone number"),
        ({"role": "lead-social-worker"}, "role", "Not a valid choice"),
    ],
)
def test_bad_member_details_get_a_clear_error_and_keep_what_was_typed(
    client, planned, db, fields, field, message
):
    case, members = planned
    members["sam"].user.email = "sam@example.com"
    members["sam"].email = "sam@example.com"
    db.session.commit()
    before = len(case.members)
    response = add(client, case, name="Typed Name Kept", **fields)
    assert response.status_code == 400
    html = page(response)
    summary = html.select_one(".govuk-error-summary")
    assert summary is not None and message in summary.text
    assert message in html.select_one(f"#{field}-error").text
    assert html.select_one("#name")["value"] == "Typed Name Kept"
    db.session.expire_all()
    assert len(case.members) == before


def test_inviting_someone_already_in_the_core_group_is_refused(client, planned, db):
    case, members = planned
    members["priya"].user.email = "priya@health.example"
    db.session.commit()
    response = add(client, case, name="Priya Again", email="Priya@Health.example")
    assert response.status_code == 400
    assert "Priya is in this core group already" in page(response).text


def test_an_invitation_is_sent_again_withdrawn_and_each_dead_link_says_what_to_do(
    client, planned, db, smtp
):
    case, members = planned
    add(client, case)
    first = link_in(smtp.messages[-1])
    pat = member_named(case, "Pat Constable")
    again = client.post(f"/cases/{case.id}/members/{pat.id}/invite")
    assert again.status_code == 200
    second = link_in(smtp.messages[-1])
    withdrawn = client.post(f"/cases/{case.id}/members/{pat.id}/withdraw-invitation")
    assert withdrawn.status_code == 302
    third_page = client.post(f"/cases/{case.id}/members/{pat.id}/invite")
    third = link_in(smtp.messages[-1])
    assert third_page.status_code == 200
    client.post("/sign-out")

    replaced = client.get(first)
    assert replaced.status_code == 410 and "A newer invitation was sent" in replaced.text
    stopped = client.get(second)
    assert stopped.status_code == 410 and "The invitation was withdrawn" in stopped.text
    assert "Sam, the lead social worker" in stopped.text
    assert client.get(third).status_code == 200
    unknown = client.get("/invitation/not-a-real-token")
    assert unknown.status_code == 404 and "copied the whole link" in unknown.text
    invitation = db.session.query(Invitation).order_by(Invitation.id.desc()).first()
    invitation.expires_at = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=1)
    db.session.commit()
    expired = client.get(third)
    assert expired.status_code == 410 and "Ask Sam, the lead social worker" in expired.text
    assert actions(db, case).count("invitation-sent") == 3
    assert actions(db, case).count("invitation-withdrawn") == 1


def test_a_member_who_leaves_has_no_access_from_that_day_and_their_invitation_stops(
    client, planned, db, smtp
):
    case, members = planned
    owen = members["owen"]
    owen.left_on = TODAY + dt.timedelta(days=3)  # leaving at the end of the week
    db.session.commit()
    client.post("/sign-out")
    sign_in(client, owen.user)
    assert client.get(f"/cases/{case.id}").status_code == 200, "until the day they leave"
    owen.left_on = TODAY
    db.session.commit()
    assert client.get(f"/cases/{case.id}").status_code == 404
    assert client.get(f"/api/v1/cases/{case.id}").status_code == 404
    client.post("/sign-out")

    sign_in(client, members["sam"].user)
    add(client, case)
    link = link_in(smtp.messages[-1])
    pat = member_named(case, "Pat Constable")
    left = record_leaving(client, case, pat.id)
    assert left.status_code == 302
    assert "member-left" in actions(db, case)
    client.post("/sign-out")
    assert client.get(link).status_code == 410


def test_someone_joining_later_sees_the_case_from_the_day_they_join(client, planned, db):
    case, members = planned
    owen = members["owen"]
    owen.joined_on = TODAY + dt.timedelta(days=1)
    db.session.commit()
    client.post("/sign-out")
    sign_in(client, owen.user)
    assert client.get(f"/cases/{case.id}").status_code == 404
    owen.joined_on = TODAY
    db.session.commit()
    assert client.get(f"/cases/{case.id}").status_code == 200


def test_the_lead_cannot_simply_leave_they_hand_over(client, planned):
    case, members = planned
    response = record_leaving(client, case, members["sam"].id)
    assert response.status_code == 400
    assert "Hand the lead social worker role to someone else first" in response.text


def test_a_member_s_details_changed_from_a_stale_page_are_a_clash_never_overwritten(
    client, planned, db
):
    case, members = planned
    ruth = members["ruth"]
    url = f"/cases/{case.id}/members/{ruth.id}/details"
    shown = page(client.get(url))
    stale = {i["name"]: i.get("value", "") for i in shown.select("form input") if i.get("name")}
    stale.update(language="en_GB", phone="01481 700700", organisation="Queen's Road Surgery")
    newer = dict(stale, phone="01481 111222")
    assert client.post(url, data=newer).status_code == 302
    clash = client.post(url, data=stale)
    assert clash.status_code == 400
    assert "Someone else changed this" in clash.text and "01481 111222" in clash.text
    db.session.refresh(ruth)
    assert ruth.phone == "01481 111222"
    assert page(clash).select_one("#phone")["value"] == "01481 700700", "what they typed is kept"
    # Having seen the clash, saving again keeps their answer.
    resend = {
        i["name"]: i.get("value", "") for i in page(clash).select("form input") if i.get("name")
    }
    resend.update(language="en_GB", organisation="Queen's Road Surgery")
    assert client.post(url, data=resend).status_code == 302
    db.session.refresh(ruth)
    assert ruth.phone == "01481 700700"


# --- Hand-over ---------------------------------------------------------------------------------


def hand_over(client, case, to, **fields):
    data = {
        "to": to,
        "on-day": str(TODAY.day),
        "on-month": str(TODAY.month),
        "on-year": str(TODAY.year),
        "previous": "stays",
    }
    data.update(fields)
    return client.post(f"/cases/{case.id}/hand-over", data=data)


def test_the_lead_hands_over_to_an_existing_professional_at_once(client, planned, db):
    case, members = planned
    sam, priya = members["sam"], members["priya"]
    priya.role = "social-worker"
    db.session.commit()
    response = hand_over(client, case, str(priya.id))
    assert response.status_code == 302
    db.session.refresh(sam)
    db.session.refresh(priya)
    assert (priya.role, sam.role, sam.left_on) == ("lead-social-worker", "social-worker", None)
    assert client.get(f"/cases/{case.id}/members").status_code == 404, "no longer the lead"
    assert client.get(f"/cases/{case.id}/plan").status_code == 200, "still a member"
    assert "hand-over" in actions(db, case)
    client.post("/sign-out")
    sign_in(client, priya.user)
    assert client.get(f"/cases/{case.id}/members").status_code == 200
    overview = page(client.get(f"/cases/{case.id}"))
    assert "Sam handed over to Priya" in overview.select_one("#hand-overs").text


def test_a_hand_over_in_which_the_previous_lead_leaves(client, planned, db):
    case, members = planned
    response = hand_over(client, case, str(members["owen"].id), previous="leaves")
    assert response.headers["Location"] == "/cases"
    assert client.get(f"/cases/{case.id}").status_code == 404
    db.session.refresh(members["sam"])
    assert members["sam"].left_on == TODAY


def test_a_hand_over_to_someone_new_waits_for_their_invitation(client, planned, db, smtp, app):
    case, members = planned
    response = hand_over(
        client,
        case,
        "new",
        new_name="Nia Jones",
        new_organisation="Children's Services",
        new_email="nia.jones@council.example",
        new_language="cy",
        previous="leaves",
    )
    assert response.status_code == 302
    [message] = smtp.to("nia.jones@council.example")
    sam = members["sam"]
    db.session.refresh(sam)
    assert sam.is_lead and sam.left_on is None, "the lead until Nia accepts"
    assert (
        "becomes the lead social worker when they accept"
        in client.get(f"/cases/{case.id}/members").text
    )
    assert "hand-over-waiting" in actions(db, case)
    client.post("/sign-out")

    path = link_in(message)
    client.post(path, data={"passcode": NEW_PASSWORD, "again": NEW_PASSWORD})
    nia = member_named(case, "Nia Jones")
    db.session.refresh(nia)
    db.session.refresh(sam)
    assert nia.is_lead and nia.user is not None
    assert not sam.is_lead and sam.left_on == TODAY
    assert client.get(f"/cases/{case.id}/members").status_code == 200
    handover = db.session.query(Handover).one()
    assert (handover.status, handover.on) == ("done", TODAY)
    assert "hand-over" in actions(db, case)


def test_a_waiting_hand_over_can_be_cancelled(client, planned, db, smtp):
    case, members = planned
    hand_over(client, case, "new", new_name="Nia Jones", new_email="nia@council.example")
    assert client.post(f"/cases/{case.id}/hand-over/cancel").status_code == 302
    assert db.session.query(Handover).one().status == "cancelled"
    assert "hand-over-cancelled" in actions(db, case)


@pytest.mark.parametrize(
    ("to", "fields", "message"),
    [
        ("layla", {}, "not a professional. Only a professional can be the lead social worker"),
        ("sam", {}, "is the lead social worker already"),
        ("priya", {"on-year": str(TODAY.year + 1)}, "the date cannot be in the future"),
        ("priya", {"on-year": str(TODAY.year - 1)}, "on or after the initial conference"),
        ("new", {"new_name": "Nia"}, "Enter their work email address"),
        ("new", {"new_name": "Nia", "new_email": "x"}, "Enter an email address like"),
        ("nobody", {}, "Select someone who is in the core group now"),
    ],
)
def test_a_hand_over_that_cannot_be_gets_a_clear_error_and_changes_nothing(
    client, planned, db, to, fields, message
):
    case, members = planned
    target = str(members[to].id) if to in members else to
    before = len(case.members)
    response = hand_over(client, case, target, **fields)
    assert response.status_code == 400
    assert message in page(response).select_one(".govuk-error-summary").text
    db.session.expire_all()
    assert members["sam"].is_lead and len(case.members) == before
    assert db.session.query(Handover).count() == 0


def test_the_hand_over_is_in_the_minutes_of_the_next_core_group(client, planned, db):
    case, members = planned
    members["priya"].role = "social-worker"
    db.session.commit()
    hand_over(client, case, str(members["priya"].id))
    client.post("/sign-out")
    sign_in(client, members["priya"].user)
    meeting = Meeting(case_id=case.id, number=1, kind="first", record={"date": TODAY.isoformat()})
    db.session.add(meeting)
    db.session.commit()
    minutes = page(client.get(f"/cases/{case.id}/meetings/1/minutes")).text
    assert "Changes to the core group since the last meeting" in minutes
    assert "Sam handed the lead social worker role to Priya." in minutes


# --- Contact details ---------------------------------------------------------------------------


@pytest.fixture
def contacts(planned, db):
    """Contact details for everyone; Layla (a parent) is confidential; Owen chairs."""
    case, members = planned
    for key, m in members.items():
        m.email = f"{key}@contact.example"
        m.phone = f"01481 00000{len(key)}"
        m.address = f"{key.title()} House, St Peter Port"
    members["layla"].confidential = True
    db.session.add(
        Meeting(case_id=case.id, number=1, kind="first", record={"chair": members["owen"].ref})
    )
    db.session.commit()
    return case, members


def seen_on_overview(client, case) -> str:
    return page(client.get(f"/cases/{case.id}")).select_one("#core-group").find_next("dl").text


def as_member(client, member):
    client.post("/sign-out")
    sign_in(client, member.user)


@pytest.mark.parametrize(
    ("viewer", "sees", "never"),
    [
        # A parent: the professionals' work details; never the other parent's, nor her own
        # confidential ones hidden from herself.
        ("daniel", ["sam@", "priya@", "ruth@", "owen@", "daniel@"], ["layla@", "Layla House"]),
        ("layla", ["sam@", "layla@", "Layla House"], ["daniel@", "Daniel House"]),
        # A professional who is not the lead or chair: family's, but not the confidential one.
        ("priya", ["daniel@", "Daniel House", "ruth@"], ["layla@", "Layla House"]),
        # The lead and the chair see everything.
        ("sam", ["layla@", "Layla House", "daniel@"], []),
        ("owen", ["layla@", "Layla House", "daniel@"], []),
    ],
)
def test_contact_details_are_need_to_know_on_every_page_and_in_the_api(
    client, contacts, viewer, sees, never
):
    case, members = contacts
    as_member(client, members[viewer])
    shown = seen_on_overview(client, case)
    api = str(client.get(f"/api/v1/cases/{case.id}/members").get_json())
    case_json = str(client.get(f"/api/v1/cases/{case.id}").get_json())
    for text in sees:
        assert text in shown, f"{viewer} should see {text}"
        assert text in api
    for text in never:
        assert text not in shown, f"{viewer} must not see {text}"
        assert text not in api and text not in case_json
    if members[viewer].role != "parent":
        exported = str(client.get(f"/api/v1/cases/{case.id}/export").get_json())
        bulk = client.get("/api/v1/export.ndjson").get_data(as_text=True)
        for text in never:
            assert text not in exported and text not in bulk


def test_the_circulation_page_and_its_records_keep_a_confidential_address(
    client, contacts, db, smtp
):
    from coregroup.models import Circulation

    case, members = contacts
    meeting = db.session.get(Meeting, 1)
    meeting.status = "completed"
    db.session.add(
        Circulation(
            meeting_id=meeting.id,
            member_id=members["layla"].id,
            method="email",
            address="layla@contact.example",
        )
    )
    db.session.commit()
    as_member(client, members["priya"])
    html = client.get(f"/cases/{case.id}/meetings/1/circulate").text
    assert "layla@contact.example" not in html and "daniel@contact.example" in html
    exported = client.get(f"/api/v1/cases/{case.id}/export").get_json()
    assert "layla@contact.example" not in str(exported["meetings"])
    as_member(client, members["sam"])
    assert "layla@contact.example" in client.get(f"/cases/{case.id}/meetings/1/circulate").text


# --- E-mailed links ----------------------------------------------------------------------------


def test_the_plan_and_minutes_reach_a_member_without_an_account_through_an_invitation(
    client, planned, db, smtp
):
    """The link in the circulation e-mail sets up their account, then opens the minutes."""
    case, members = planned
    add(client, case, name="Gwen GP", role="gp", email="gwen@surgery.example")
    meeting = Meeting(
        case_id=case.id,
        number=1,
        kind="first",
        status="completed",
        record={"date": TODAY.isoformat()},
    )
    db.session.add(meeting)
    db.session.commit()
    sent = client.post(f"/cases/{case.id}/meetings/1/circulate", data={"method": "email"})
    assert sent.status_code == 302
    message = smtp.to("gwen@surgery.example")[-1]
    path = link_in(message)
    assert path.startswith("/invitation/")
    client.post("/sign-out")
    done = client.post(path, data={"passcode": NEW_PASSWORD, "again": NEW_PASSWORD})
    assert done.headers["Location"] == f"/cases/{case.id}/meetings/1/minutes"
    assert client.get(done.headers["Location"]).status_code == 200


def test_a_minutes_link_opens_after_signing_in_and_is_nothing_to_a_non_member(
    app, client, planned, db, smtp
):
    case, members = planned
    members["priya"].email = members["priya"].user.email
    db.session.add(
        Meeting(
            case_id=case.id,
            number=1,
            kind="first",
            status="completed",
            record={"date": TODAY.isoformat()},
        )
    )
    db.session.commit()
    client.post(f"/cases/{case.id}/meetings/1/circulate", data={"method": "email"})
    path = link_in(smtp.to(members["priya"].email)[-1])
    client.post("/sign-out")
    opened = client.get(path)
    assert opened.status_code == 302 and "/sign-in?next=" in opened.headers["Location"]
    signed = client.post(
        opened.headers["Location"],
        data={"email": members["priya"].user.email, "password": PASSWORD},
    )
    assert signed.headers["Location"] == path
    assert client.get(path).status_code == 200
    client.post("/sign-out")
    stranger = make_user(email="stranger@example.test")
    sign_in(client, stranger)
    assert client.get(path).status_code == 404


def test_someone_invited_ahead_of_joining_is_told_when_the_case_opens_to_them(
    client, planned, db, smtp
):
    case, members = planned
    later = TODAY + dt.timedelta(days=5)
    add(
        client,
        case,
        name="Jo Nurse",
        role="school-nurse",
        email="jo@school.example",
        **{
            "joined-day": str(later.day),
            "joined-month": str(later.month),
            "joined-year": str(later.year),
        },
    )
    path = link_in(smtp.to("jo@school.example")[-1])
    client.post("/sign-out")
    done = client.post(path, data={"passcode": NEW_PASSWORD, "again": NEW_PASSWORD})
    assert done.headers["Location"] == "/cases"
    assert "You can see the case from then" in client.get("/cases").text
    assert client.get(f"/cases/{case.id}").status_code == 404


# --- What a black-box review found -------------------------------------------------------------


def test_a_family_member_named_as_chair_sees_no_other_family_member_s_details(client, contacts, db):
    case, members = contacts
    meeting = db.session.get(Meeting, 1)
    meeting.record = {"chair": members["daniel"].ref}
    db.session.commit()
    as_member(client, members["daniel"])
    assert "layla@" not in seen_on_overview(client, case)
    listed = client.get(f"/api/v1/cases/{case.id}/members").get_json()["members"]
    layla = next(m for m in listed if m["id"] == members["layla"].ref)
    assert layla["confidential"] is None, "not even told that she is confidential"
    assert layla["email"] is None and layla["address"] is None


def test_a_family_account_invited_as_a_professional_sets_up_a_second_factor_first(
    app, client, planned, db, smtp
):
    from tests.conftest import make_case, make_member

    _case, members = planned
    require_second_factor(app, client)
    daniel = members["daniel"].user
    daniel.email = "daniel@home.example"
    case = make_case()  # Sam's other case, where Daniel works at the children's school
    make_member(case, members["sam"].user, role="lead-social-worker")
    add(client, case, name="Daniel at school", role="teacher", email="daniel@home.example")
    path = link_in(smtp.to("daniel@home.example")[-1])
    client.post("/sign-out")
    sign_in(client, daniel)  # his passcode alone: he is a parent
    accepted = client.post(path)
    assert accepted.headers["Location"] == "/sign-in/set-up-code"
    assert client.get(f"/cases/{case.id}/plan/versions").status_code == 302, "signed out"
    html = page(client.get("/sign-in/set-up-code"))
    secret = re.search(r"[A-Z2-7]{32}", html.text).group(0)
    client.post("/sign-in/set-up-code", data={"code": pyotp.TOTP(secret).now()})
    assert client.get(f"/cases/{case.id}/plan/versions").status_code == 200


def test_a_session_without_a_second_factor_never_uses_a_professional_membership(
    app, client, planned, db
):
    from tests.conftest import make_case, make_member

    case, members = planned
    require_second_factor(app, client)
    client.post("/sign-out")
    daniel = members["daniel"]
    sign_in(client, daniel.user)
    other = make_case()
    make_member(other, daniel.user, role="social-worker")
    refused = client.get(f"/cases/{other.id}")
    assert refused.status_code == 302 and "/sign-in?next=" in refused.headers["Location"]
    assert client.get(f"/cases/{case.id}").status_code == 302, "the session has ended"
    assert client.get("/cases/new").status_code == 302


def test_only_a_social_worker_now_opens_cases(client, planned, db):
    from tests.conftest import make_case, make_member

    case, members = planned
    client.post("/sign-out")
    daniel = members["daniel"].user
    sign_in(client, daniel)
    assert client.get("/cases/new").status_code == 404
    make_member(make_case(), daniel, role="social-worker", left_on=TODAY)
    assert client.get("/cases/new").status_code == 404, "a social worker once, not now"
    make_member(make_case(), daniel, role="social-worker")
    assert client.get("/cases/new").status_code == 200


def test_the_member_a_hand_over_waits_for_cannot_leave_nor_lose_their_invitation(
    client, planned, db, smtp
):
    case, members = planned
    hand_over(client, case, "new", new_name="Nia Jones", new_email="nia@council.example")
    nia = member_named(case, "Nia Jones")
    left = record_leaving(client, case, nia.id)
    assert left.status_code == 400 and "Cancel the hand-over first" in left.text
    client.post(f"/cases/{case.id}/members/{nia.id}/withdraw-invitation")
    assert "Cancel the hand-over first" in client.get(f"/cases/{case.id}/members").text
    assert db.session.query(Invitation).filter_by(member_id=nia.id).one().state == "waiting"


def test_a_professional_who_was_lead_for_a_while_gets_their_own_role_back(client, planned, db):
    case, members = planned
    sam, priya = members["sam"], members["priya"]
    hand_over(client, case, str(priya.id))
    client.post("/sign-out")
    sign_in(client, priya.user)
    hand_over(client, case, str(sam.id))
    db.session.refresh(priya)
    db.session.refresh(sam)
    assert (sam.role, priya.role) == ("lead-social-worker", "health-visitor")


def test_a_hand_over_completes_only_once_the_new_lead_has_their_second_factor(
    app, client, planned, db, smtp
):
    case, members = planned
    require_second_factor(app, client)
    hand_over(client, case, "new", new_name="Nia Jones", new_email="nia@council.example")
    path = link_in(smtp.to("nia@council.example")[-1])
    client.post("/sign-out")
    client.post(path, data={"passcode": NEW_PASSWORD, "again": NEW_PASSWORD})
    db.session.refresh(members["sam"])
    assert members["sam"].is_lead, "a password alone is not yet an account"
    html = page(client.get("/sign-in/set-up-code"))
    secret = re.search(r"[A-Z2-7]{32}", html.text).group(0)
    client.post("/sign-in/set-up-code", data={"code": pyotp.TOTP(secret).now()})
    db.session.expire_all()
    assert member_named(case, "Nia Jones").is_lead and not members["sam"].is_lead


def test_the_minutes_list_changes_of_one_day_in_the_order_they_happened(client, planned, db):
    case, members = planned
    members["priya"].role = "social-worker"
    db.session.commit()
    hand_over(client, case, str(members["priya"].id))
    client.post("/sign-out")
    sign_in(client, members["priya"].user)
    hand_over(client, case, str(members["sam"].id))
    client.post("/sign-out")
    sign_in(client, members["sam"].user)
    db.session.add(
        Meeting(case_id=case.id, number=1, kind="first", record={"date": TODAY.isoformat()})
    )
    db.session.commit()
    text = page(client.get(f"/cases/{case.id}/meetings/1/minutes")).text
    first = text.index("Sam handed the lead social worker role to Priya.")
    assert first < text.index("Priya handed the lead social worker role to Sam.")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"organisation": ""}, "organisation", "Enter the organisation they work for"),
        (
            {"joined-year": "2026", "joined-month": "11", "joined-day": "1"},
            "joined",
            "must be on or after the initial conference, 2 November 2026",
        ),
    ],
)
def test_a_professional_needs_an_organisation_and_nobody_joins_before_the_conference(
    client, planned, fields, field, message
):
    case, members = planned
    response = add(client, case, **fields)
    assert response.status_code == 400
    assert message in page(response).select_one(f"#{field}-error").text


def test_details_recorded_with_an_older_language_code_save_unchanged(client, planned, db):
    case, members = planned
    members["ruth"].language = "en"
    members["ruth"].organisation = "Queen's Road Surgery"
    db.session.commit()
    url = f"/cases/{case.id}/members/{members['ruth'].id}/details"
    shown = page(client.get(url))
    data = {
        i["name"]: i.get("value", "")
        for i in shown.select("form input:not([type=radio]):not([type=checkbox])")
        if i.get("name")
    }
    data.update(language=shown.select_one("input[name=language][checked]")["value"])
    saved = client.post(url, data=data)
    assert saved.status_code == 302, page(saved).select_one(".govuk-error-summary")


def test_someone_signed_in_cannot_use_another_person_s_new_account_invitation(
    client, planned, db, smtp
):
    case, members = planned
    add(client, case)
    path = link_in(smtp.messages[-1])
    shown = client.get(path)
    assert "You are signed in as someone else" in shown.text
    refused = client.post(path, data={"passcode": NEW_PASSWORD, "again": NEW_PASSWORD})
    assert refused.status_code == 400
    assert member_named(case, "Pat Constable").user_id is None
    assert client.get(f"/cases/{case.id}/members").status_code == 200, "still Sam"


def test_the_lead_reads_the_core_group_s_changes_in_the_audit_trail_by_name(client, planned):
    case, members = planned
    add(client, case)
    client.post(f"/cases/{case.id}/members/{member_named(case, 'Pat Constable').id}/invite")
    hand_over(client, case, str(members["priya"].id))
    client.post("/sign-out")
    sign_in(client, members["priya"].user)
    html = page(client.get(f"/cases/{case.id}/audit?about=members"))
    rows = [r.get_text(" ", strip=True) for r in html.select("tbody tr")]
    assert any("Lead social worker role handed over" in r and "Sam → Priya" in r for r in rows)
    assert any("Invitation sent" in r and "Pat Constable" in r for r in rows)
    assert not any("Viewed" in r for r in rows), "only the core group's changes"
    assert client.get(f"/cases/{case.id}/audit?about=nonsense").status_code == 404


# --- What the second review found --------------------------------------------------------------


def test_a_session_without_a_second_factor_does_not_even_list_professional_cases(
    app, client, planned, db
):
    from tests.conftest import make_case, make_member

    case, members = planned
    app.config["COREGROUP_REQUIRE_SECOND_FACTOR"] = True
    client.post("/sign-out")
    daniel = members["daniel"]
    sign_in(client, daniel.user)
    other = make_case(reference="POLICE-CASE")
    make_member(other, daniel.user, role="police")
    assert "POLICE-CASE" not in client.get("/cases").text
    assert "POLICE-CASE" not in client.get("/dashboard").text
    listed = client.get("/api/v1/cases").get_json()["cases"]
    assert [c["reference"] for c in listed] == [case.reference]


def test_a_hand_over_to_an_account_without_its_second_factor_waits_for_it(app, client, planned, db):
    import pyotp as otp

    case, members = planned
    require_second_factor(app, client)
    priya = members["priya"]
    priya.user.totp_secret = None
    db.session.commit()
    response = hand_over(client, case, str(priya.id))
    assert (
        "when they next sign in with their authenticator app"
        in client.get(response.headers["Location"]).text
    )
    db.session.refresh(members["sam"])
    assert members["sam"].is_lead and not priya.is_lead
    client.post("/sign-out")
    client.post("/sign-in", data={"email": priya.user.email, "password": PASSWORD})
    secret = re.search(r"[A-Z2-7]{32}", client.get("/sign-in/set-up-code").text).group(0)
    client.post("/sign-in/set-up-code", data={"code": otp.TOTP(secret).now()})
    db.session.expire_all()
    assert priya.is_lead and not members["sam"].is_lead


def test_the_member_a_hand_over_waits_for_keeps_their_email_address(client, planned, db, smtp):
    case, members = planned
    hand_over(client, case, "new", new_name="Nia Jones", new_email="nia@council.example")
    nia = member_named(case, "Nia Jones")
    url = f"/cases/{case.id}/members/{nia.id}/details"
    shown = page(client.get(url))
    data = {i["name"]: i.get("value", "") for i in shown.select("form input") if i.get("name")}
    data.update(language="en_GB", email="nia.jones@elsewhere.example")
    refused = client.post(url, data=data)
    assert refused.status_code == 400 and "Cancel the hand-over first" in refused.text
    assert db.session.query(Invitation).filter_by(member_id=nia.id).one().state == "waiting"


def test_a_professional_s_organisation_cannot_be_emptied(client, planned, db):
    case, members = planned
    members["ruth"].organisation = "Queen's Road Surgery"
    db.session.commit()
    url = f"/cases/{case.id}/members/{members['ruth'].id}/details"
    shown = page(client.get(url))
    data = {i["name"]: i.get("value", "") for i in shown.select("form input") if i.get("name")}
    data.update(language="en_GB", organisation=" ")
    refused = client.post(url, data=data)
    assert refused.status_code == 400 and "Enter the organisation they work for" in refused.text


def test_a_hand_over_cannot_be_dated_before_the_last_one(client, planned, db):
    case, members = planned
    hand_over(client, case, str(members["priya"].id))
    client.post("/sign-out")
    sign_in(client, members["priya"].user)
    yesterday = TODAY - dt.timedelta(days=1)
    refused = hand_over(
        client,
        case,
        str(members["owen"].id),
        **{
            "on-day": str(yesterday.day),
            "on-month": str(yesterday.month),
            "on-year": str(yesterday.year),
        },
    )
    assert refused.status_code == 400
    assert "The last hand-over was on" in page(refused).select_one(".govuk-error-summary").text
