"""My tasks, and reminders by e-mail through a real SMTP server (aiosmtpd): in each member's
language, each sent once, none lost when a run is killed half way, none to who said no."""

import datetime as dt

import pytest

from coregroup import reminders, rules
from coregroup.models import Reminder
from coregroup.plans import services as plans
from tests.conftest import Inbox, page, sign_in
from tests.factories import held_first_meeting

TODAY = dt.date.today()


def set_action(case, author, need_index, action_index, **changes):
    document = plans.latest_version(case).document
    document = {**document, "needs": [dict(n) for n in document["needs"]]}
    need = document["needs"][need_index]
    need["actions"] = [dict(a) for a in need["actions"]]
    need["actions"][action_index].update(changes)
    return plans.write_version(case, author, document)


@pytest.fixture
def mailed(planned, db):
    case, members = planned
    for key, member in members.items():
        member.email = f"{key}@example.test"
    members["layla"].language = "ar"
    db.session.commit()
    return case, members


def run(app, day):
    with app.test_request_context(base_url="https://coregroup.example"):
        return reminders.run(day)


def test_my_tasks_lists_my_actions_overdue_first_with_the_dates(client, planned, db):
    case, members = planned
    set_action(case, members["sam"].user, 0, 0, byWhen=(TODAY - dt.timedelta(days=2)).isoformat())
    db.session.commit()
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    html = page(client.get("/my-tasks"))
    cards = html.select("#tasks .app-task")
    document = plans.latest_version(case).document
    mine = [a["what"] for n in document["needs"] for a in n["actions"] if "m-layla" in a["who"]]
    assert len(cards) == len(mine) and len(mine) >= 2
    first = cards[0].get_text(" ", strip=True)
    assert "Overdue" in first
    overdue = [c.select_one("h2").text for c in cards if "Overdue" in c.text]
    assert document["needs"][0]["actions"][0]["what"] in overdue
    assert cards[0].select_one("a.govuk-link")["href"] == f"/cases/{case.id}/plan/read"
    assert "Next core group meeting" in html.text and "Review conference due by" in html.text
    assert html.select_one("meta[name=viewport]"), "phone first"
    # In her language.
    client.get("/language/ar")
    assert page(client.get("/my-tasks")).select_one("h1").get_text(strip=True) != "My tasks"


def test_a_professional_has_tasks_too(client, planned):
    case, members = planned
    client.post("/sign-out")
    sign_in(client, members["owen"].user)
    text = page(client.get("/my-tasks")).select_one("#tasks").text
    assert "Share attendance with the core group every week." in text


def test_reminders_are_sent_once_in_each_language_and_none_to_who_said_no(
    app, client, mailed, smtp, db
):
    case, members = mailed
    profile = rules.profile(case.jurisdiction)
    due = rules.add_working_days(TODAY, 2, profile)
    set_action(case, members["sam"].user, 1, 0, byWhen=due.isoformat(), who=["m-layla", "m-priya"])
    db.session.commit()
    first = run(app, TODAY)
    kinds = {(r.member.ref, r.kind) for r in first.sent}
    assert ("m-layla", "action-due") in kinds and ("m-priya", "action-due") in kinds
    arabic = [m for m in smtp.to("layla@example.test")]
    assert arabic and "Reminder" not in arabic[0]["Subject"], "in Layla's language"
    assert "https://coregroup.example/my-tasks" in Inbox.body(arabic[0])
    count = len(smtp.messages)
    again = run(app, TODAY)
    assert again.sent == [] and len(smtp.messages) == count, "never twice"
    # Priya says no: she gets nothing more, even when it becomes overdue.
    client.post("/sign-out")
    sign_in(client, members["priya"].user)
    client.post("/my-tasks/reminders", data={"reminders": "no"})
    assert members["priya"].wants_reminders is False
    late = run(app, due + dt.timedelta(days=1))
    overdue = {(r.member.ref, r.kind) for r in late.sent}
    assert ("m-layla", "action-overdue") in overdue
    assert case.reference in Inbox.body(smtp.to("layla@example.test")[-1])
    assert not any(ref == "m-priya" for ref, _kind in overdue)


def test_a_run_killed_half_way_loses_none_and_repeats_at_most_one(app, mailed, smtp, db):
    case, members = mailed
    profile = rules.profile(case.jurisdiction)
    due = rules.add_working_days(TODAY, 1, profile)
    set_action(
        case,
        members["sam"].user,
        1,
        0,
        byWhen=due.isoformat(),
        who=["m-layla", "m-priya", "m-owen"],
        what="Bring the red health book",
    )
    db.session.commit()
    from coregroup import mail

    sent_before_kill = []

    def dies_on_the_second(to, subject, body, calendar=None):
        mail.send(to, subject, body, calendar)
        sent_before_kill.append(to)
        if len(sent_before_kill) == 2:
            raise KeyboardInterrupt  # killed after sending, before recording

    with (
        app.test_request_context(base_url="https://coregroup.example"),
        pytest.raises(KeyboardInterrupt),
    ):
        reminders.run(TODAY, send=dies_on_the_second)
    db.session.rollback()
    recorded = db.session.query(Reminder).count()
    assert recorded == 1, "the first was recorded as soon as it went"
    finished = run(app, TODAY)
    # Every mail that went is recorded, bar the one sent twice: the one being sent when killed.
    assert len(smtp.messages) == db.session.query(Reminder).count() + 1
    twice = [to for to in set(sent_before_kill) if sent_before_kill.count(to) > 1]
    assert twice == []
    assert smtp.messages[1]["Subject"] == smtp.messages[2]["Subject"]
    assert smtp.messages[1]["To"] == smtp.messages[2]["To"]
    with app.test_request_context():
        assert all(reminders.sent_already(d) for d in reminders.due(TODAY)), "none lost"
    wanted = {"layla@example.test", "priya@example.test", "owen@example.test"}
    action_mail = [m["To"] for m in smtp.messages if "Bring the red health book" in Inbox.body(m)]
    assert wanted <= set(action_mail)
    assert finished.failed == []


def test_a_failed_send_is_not_recorded_and_is_tried_again(app, mailed, db):
    case, members = mailed
    due = rules.add_working_days(TODAY, 1, rules.profile(case.jurisdiction))
    set_action(case, members["sam"].user, 1, 0, byWhen=due.isoformat(), who=["m-layla"])
    db.session.commit()
    app.config.update(MAIL_SERVER=None)
    with app.test_request_context():
        result = reminders.run(TODAY)
    assert result.sent == [] and result.failed
    assert db.session.query(Reminder).count() == 0


def test_every_member_gets_the_meeting_notice_with_the_latest_plan(app, mailed, smtp, db):
    case, members = mailed
    meeting = held_first_meeting(case, on=TODAY - dt.timedelta(days=20))
    planned = rules.add_working_days(TODAY, 3, rules.profile(case.jurisdiction))
    meeting.record = {**meeting.record, "nextMeeting": {"date": planned.isoformat()}}
    db.session.commit()
    result = run(app, TODAY)
    noticed = {r.member.ref for r in result.sent if r.kind == "meeting-notice"}
    assert noticed == {m.ref for m in members.values()}
    notice = [m for m in smtp.to("daniel@example.test") if "next core group" in m["Subject"]]
    body = Inbox.body(notice[0])
    assert f"https://coregroup.example/cases/{case.id}/plan/read" in body
    assert "core group is the family" in body, "the word explained"


def test_the_lead_is_reminded_of_a_meeting_and_a_circulation_falling_due(app, mailed, smtp, db):
    case, members = mailed
    held_first_meeting(case, on=TODAY - dt.timedelta(days=26))
    result = run(app, TODAY)
    lead = {r.kind for r in result.sent if r.member.ref == "m-sam"}
    assert {"meeting-due", "circulation-due"} <= lead
    others = {r.kind for r in result.sent if r.member.ref != "m-sam"}
    assert not {"meeting-due", "circulation-due"} & others


def test_the_lead_sees_who_has_opened_the_latest_plan(client, planned, db):
    case, members = planned
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    client.get(f"/cases/{case.id}/plan/read")
    client.post("/sign-out")
    sign_in(client, members["sam"].user)
    readers = page(client.get(f"/cases/{case.id}/meetings")).select_one("#readers + p + ul").text
    assert "Layla (parent): read it on" in " ".join(readers.split())
    assert "Daniel (parent): not yet" in " ".join(readers.split())


def test_the_command_line(app, mailed, smtp, db):
    case, members = mailed
    due = rules.add_working_days(TODAY, 1, rules.profile(case.jurisdiction))
    set_action(case, members["sam"].user, 1, 0, byWhen=due.isoformat(), who=["m-layla"])
    db.session.commit()
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["reminders", "--dry-run"])
    assert dry.exit_code == 0 and "action-due" in dry.output and smtp.messages == []
    done = runner.invoke(args=["reminders"])
    assert done.exit_code == 0 and "sent action-due" in done.output
    quiet = runner.invoke(args=["reminders"]).output
    assert "0 sent" in quiet and "tried again" not in quiet


def test_the_notice_says_when_and_where(app, mailed, smtp, db):
    case, members = mailed
    meeting = held_first_meeting(case, on=TODAY - dt.timedelta(days=20))
    planned = rules.add_working_days(TODAY, 2, rules.profile(case.jurisdiction))
    meeting.record = {
        **meeting.record,
        "nextMeeting": {"date": planned.isoformat(), "time": "14:30", "location": "School hall"},
    }
    db.session.commit()
    run(app, TODAY)
    notice = [m for m in smtp.to("owen@example.test") if "next core group" in m["Subject"]]
    body = Inbox.body(notice[0])
    assert "14:30 · School hall" in body and case.reference in body


def test_parents_do_not_see_each_others_activity(client, planned, db):
    from coregroup.plans import live

    case, members = planned
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    client.get(f"/cases/{case.id}/plan")
    client.post("/sign-out")
    sign_in(client, members["daniel"].user)
    with client.application.test_request_context():
        from coregroup.plans.services import flow_for

        others = live.state(case, members["daniel"].user, flow_for("family"))["others"]
    assert others == [] or all("Layla" not in o["name"] for o in others)
    assert "What needs doing" not in page(client.get("/my-tasks")).select_one("nav").text


def test_the_plans_own_words_keep_their_direction_on_a_right_to_left_page(client, planned):
    case, members = planned
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    client.get("/language/ar")
    card = page(client.get("/my-tasks")).select_one("#tasks .app-task")
    need = plans.latest_version(case).document["needs"][0]["whatMustChange"]
    assert card.find("span", attrs={"dir": "auto"}, string=need)
