"""Calendar invitations to the next core group meeting: each member's own (only they are named),
from the lead social worker's work address, in the case's time zone; an update when it moves, a
cancellation when it is cancelled; the same UID on every host and through every change."""

import datetime as dt

import icalendar
import pytest

from coregroup import reminders
from coregroup.extensions import db as _db
from coregroup.meetings import schedule, services
from tests.conftest import page, sign_in
from tests.meetings.test_views import date_fields, future, record_people, record_rest, start


@pytest.fixture
def invited(client, planned, smtp, db):
    """A meeting completed that set the next one (in 21 days, 10:00, Family centre): each
    member with an e-mail address was sent their invitation."""
    case, members = planned
    for key, member in members.items():
        member.email = f"{key}@example.test"
    db.session.commit()
    base = start(client, case)
    record_people(client, base)
    record_rest(client, base)
    response = client.post(f"{base}/complete", data={"csrf_token": ""})
    assert response.status_code == 302, response.text
    return case, members


def _calendar(message) -> tuple[str, icalendar.Calendar]:
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, "one calendar part"
    part = parts[0]
    return part.get_param("method"), icalendar.Calendar.from_ical(part.get_payload(decode=True))


def _event(calendar):
    return calendar.walk("VEVENT")[0]


def test_each_member_gets_their_own_invitation(invited, smtp):
    case, members = invited
    assert sorted(m["To"] for m in smtp.messages) == sorted(m.email for m in members.values())
    uids = set()
    for message in smtp.messages:
        method, calendar = _calendar(message)
        assert method == "REQUEST" and str(calendar["METHOD"]) == "REQUEST"
        event = _event(calendar)
        uids.add(str(event["UID"]))
        assert event["SEQUENCE"] == 0
        attendees = event.get("ATTENDEE")
        attendees = attendees if isinstance(attendees, list) else [attendees]
        assert [str(a) for a in attendees] == [f"mailto:{message['To']}"], "only themselves"
        assert str(event["ORGANIZER"]) == "mailto:sam@example.test"
        assert event["ORGANIZER"].params["CN"] == members["sam"].name
        start_at = event.decoded("DTSTART")
        assert start_at.tzinfo is not None and str(start_at.tzinfo) == "Europe/Guernsey"
        assert (start_at.date(), start_at.time()) == (future(21), dt.time(10, 0))
        assert event["DTSTART"].params["TZID"] == "Europe/Guernsey"
        assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Guernsey"]
        assert str(event["LOCATION"]) == "Family centre"
        text = calendar.to_ical().decode()
        assert not [c.name for c in case.children if c.name in text], "no child is named"
        raw = message.as_string()
        others = [m.email for m in members.values() if m.email != message["To"]]
        assert not [a for a in others if a in raw and a != "sam@example.test"], (
            "no other member's address"
        )
    assert len(uids) == 1, "one event"


def test_england_cases_invite_in_london_time(client, planned, smtp, db):
    case, members = planned
    case.jurisdiction = "england"
    members["layla"].email = "layla@example.test"
    db.session.commit()
    found = schedule.arranged(case)
    assert found is None or found.start is None  # no time set yet
    base = start(client, case)
    record_people(client, base)
    record_rest(client, base)
    client.post(f"{base}/complete")
    _method, calendar = _calendar(smtp.to("layla@example.test")[0])
    assert _event(calendar)["DTSTART"].params["TZID"] == "Europe/London"


def test_the_uid_is_the_same_on_every_host(app, invited):
    case, _members = invited
    with app.test_request_context(base_url="https://one.example"):
        one = schedule.arranged(case).uid
    with app.test_request_context(base_url="http://other.example:8080"):
        other = schedule.arranged(case).uid
    assert one == other


def _arrange(client, case, day, time="14:30", place="School", reason=""):
    url = f"/cases/{case.id}/meetings/next"
    form = page(client.get(url))
    sequence = form.select_one("input[name=sequence]")["value"]
    return client.post(
        url,
        data={
            **date_fields("date", day),
            "time": time,
            "location": place,
            "reason": reason,
            "sequence": sequence,
        },
    )


def test_a_moved_meeting_sends_an_update_and_a_cancelled_one_a_cancellation(client, invited, smtp):
    case, members = invited
    first = {m["To"]: _event(_calendar(m)[1]) for m in smtp.messages}
    uid = str(first["layla@example.test"]["UID"])
    smtp.messages.clear()
    response = _arrange(client, case, future(20), reason="The room is not free.")
    assert response.status_code == 302, response.text
    assert sorted(m["To"] for m in smtp.messages) == sorted(first)
    update = smtp.to("layla@example.test")[0]
    assert "changed" in update["Subject"]
    assert "Why: The room is not free." in smtp.body(update), "the reason is told"
    method, calendar = _calendar(update)
    event = _event(calendar)
    assert method == "REQUEST" and str(event["UID"]) == uid and event["SEQUENCE"] == 1
    assert event.decoded("DTSTART").time() == dt.time(14, 30)
    assert event.decoded("DTSTART").date() == future(20)
    assert str(event["LOCATION"]) == "School"
    # What the meetings read now: the moved date, time and place.
    assert services.timeline(case, services.meetings(case)).next_core_group_planned == future(20)
    smtp.messages.clear()
    url = f"/cases/{case.id}/meetings/next/cancel"
    sequence = page(client.get(url)).select_one("input[name=sequence]")["value"]
    response = client.post(url, data={"reason": "Half term.", "sequence": sequence})
    assert response.status_code == 302, response.text
    assert sorted(m["To"] for m in smtp.messages) == sorted(first)
    method, calendar = _calendar(smtp.to("layla@example.test")[0])
    event = _event(calendar)
    assert method == "CANCEL" and str(calendar["METHOD"]) == "CANCEL"
    assert (str(event["UID"]), event["SEQUENCE"], str(event["STATUS"])) == (uid, 2, "CANCELLED")
    assert "Half term." in smtp.body(smtp.to("layla@example.test")[0])
    assert services.timeline(case, services.meetings(case)).next_core_group_planned is None
    # Arranged again: a new event, to everyone.
    smtp.messages.clear()
    assert _arrange(client, case, future(27)).status_code == 302
    event = _event(_calendar(smtp.to("layla@example.test")[0])[1])
    assert str(event["UID"]) != uid and event["SEQUENCE"] == 0
    assert "changed" not in smtp.to("layla@example.test")[0]["Subject"]


def test_nobody_gets_the_same_invitation_twice(app, client, invited, smtp):
    smtp.messages.clear()
    with app.test_request_context(base_url="https://coregroup.example"):
        reminders.run(dt.date.today())
    assert not [m for m in smtp.messages if m.get_content_type() != "text/plain" and _has_ics(m)]


def _has_ics(message) -> bool:
    return any(p.get_content_type() == "text/calendar" for p in message.walk())


def test_a_member_who_joins_is_invited_by_the_next_run(app, client, invited, smtp, db):
    case, members = invited
    from tests.conftest import make_member

    newcomer = make_member(case, None, name="Nadia", role="teacher", email="nadia@example.test")
    smtp.messages.clear()
    with app.test_request_context(base_url="https://coregroup.example"):
        reminders.run(dt.date.today())
    mine = [m for m in smtp.to(newcomer.email) if _has_ics(m)]
    assert len(mine) == 1
    assert _calendar(mine[0])[0] == "REQUEST"


def test_a_change_from_a_stale_page_is_shown_not_lost(client, invited, smtp):
    case, _members = invited
    url = f"/cases/{case.id}/meetings/next"
    stale = page(client.get(url)).select_one("input[name=sequence]")["value"]
    assert _arrange(client, case, future(19), place="Library").status_code == 302
    response = client.post(
        url,
        data={
            **date_fields("date", future(18)),
            "time": "09:00",
            "location": "Town hall",
            "sequence": stale,
        },
    )
    assert response.status_code == 400
    assert "Someone else changed this meeting" in response.text and "Library" in response.text
    assert 'value="Town hall"' in response.text, "what was typed is kept"
    assert schedule.arranged(case).location == "Library"


def test_a_later_date_than_the_procedures_allow_needs_a_reason(client, invited):
    case, _members = invited
    due = services.timeline(case, services.meetings(case)).next_core_group_due
    response = _arrange(client, case, due + dt.timedelta(days=3))
    assert response.status_code == 400 and "Say why the meeting is later" in response.text
    assert _arrange(client, case, due + dt.timedelta(days=3), reason="Holidays.").status_code == 302


def test_bad_times_and_past_dates_are_refused_with_what_was_typed(client, invited):
    case, _members = invited
    response = _arrange(client, case, future(20), time="2pm")
    assert response.status_code == 400 and "Enter a time like 14:30" in response.text
    assert 'value="2pm"' in response.text
    response = _arrange(client, case, dt.date.today() - dt.timedelta(days=1))
    assert response.status_code == 400 and "today or in the future" in response.text


def test_the_notice_before_the_meeting_carries_the_invitation_once(app, client, invited, smtp, db):
    """The notice carries the invitation to whoever does not have it yet (Layla's did not go),
    and nobody gets the same invitation twice."""
    from coregroup.models import Reminder

    case, members = invited
    db.session.query(Reminder).filter_by(
        member_id=members["layla"].id, kind=schedule.INVITATION
    ).delete()
    db.session.commit()
    smtp.messages.clear()
    day = future(21) - dt.timedelta(days=3)
    with app.test_request_context(base_url="https://coregroup.example"):
        reminders.run(day)
    notices = [m for m in smtp.to("layla@example.test") if "next core group" in m["Subject"]]
    assert notices, [m["Subject"] for m in smtp.messages]
    method, calendar = _calendar(notices[0])
    assert method == "REQUEST" and str(_event(calendar)["UID"]) == schedule.arranged(case).uid
    assert [m for m in smtp.messages if _has_ics(m)] == [notices[0]], "only Layla's, once"
    assert smtp.to("daniel@example.test"), "Daniel's notice went, without a second invitation"


def test_a_family_member_downloads_their_own_invitation(client, invited):
    case, members = invited
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    response = client.get(f"/cases/{case.id}/meetings/next.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    event = _event(icalendar.Calendar.from_ical(response.data))
    assert str(event["ATTENDEE"]) == f"mailto:{members['layla'].user.email}"
    for other in ("priya@example.test", "daniel@example.test", "owen@example.test"):
        assert other not in response.text
    # Only those who record meetings may change it.
    assert client.get(f"/cases/{case.id}/meetings/next").status_code == 404
    assert client.post(f"/cases/{case.id}/meetings/next/cancel").status_code == 404


def test_the_next_meeting_starts_from_the_moved_date(client, invited, db):
    case, _members = invited
    assert _arrange(client, case, future(20), time="15:00", place="Clinic").status_code == 302
    client.post(f"/cases/{case.id}/meetings")
    opened = services.open_meeting_of(case)
    assert (opened.record["date"], opened.record["time"], opened.record["location"]) == (
        future(20).isoformat(),
        "15:00",
        "Clinic",
    )
    _db.session.rollback()


def test_a_moved_meeting_moves_with_the_case(client, invited, db):
    """Exported and imported elsewhere, the meeting keeps its uid, sequence and new date."""
    from coregroup.api import interchange
    from coregroup.contacts import Viewer

    case, members = invited
    assert _arrange(client, case, future(20), place="Clinic").status_code == 302
    exported = interchange.export_case(case, Viewer.of(members["sam"]))
    assert [(a["sequence"], a["location"], a["status"]) for a in exported["arrangedMeetings"]] == [
        (1, "Clinic", "planned")
    ]
    assert interchange.check(exported) == []
    assert exported["arrangedMeetings"][0]["changedBy"] == "m-sam"


def test_when_the_case_closes_the_invited_are_sent_the_cancellation(client, invited, smtp, db):
    from tests.cases.test_each_childs_plan import _review

    case, members = invited
    uid = schedule.arranged(case).uid
    smtp.messages.clear()
    child = case.children[0]
    response = _review(client, case, dt.date.today(), **{child.name: ("end", "no-longer-at-risk")})
    assert response.status_code == 302, page(response).select(".govuk-error-message")
    db.session.expire_all()
    assert case.is_closed
    cancellations = [m for m in smtp.messages if _has_ics(m)]
    assert sorted(m["To"] for m in cancellations) == sorted(m.email for m in members.values())
    method, calendar = _calendar(cancellations[0])
    assert method == "CANCEL" and str(_event(calendar)["UID"]) == uid


def test_a_time_already_past_today_is_refused(client, invited):
    case, _members = invited
    response = _arrange(client, case, dt.date.today(), time="00:00")
    assert response.status_code == 400 and "That time has passed" in response.text


def test_professionals_and_families_are_written_to_in_their_own_words(invited, smtp):
    _case, _members = invited
    assert "your family" in smtp.body(smtp.to("layla@example.test")[0])
    assert "your family" not in smtp.body(smtp.to("priya@example.test")[0])


def test_a_stale_change_shows_what_is_saved_for_what_was_left_alone(client, invited):
    case, _members = invited
    url = f"/cases/{case.id}/meetings/next"
    stale = {i["name"]: i.get("value", "") for i in page(client.get(url)).select("form input")}
    assert (
        _arrange(client, case, future(21), time="15:00", place="Family centre").status_code == 302
    )
    response = client.post(url, data=stale | {"location": "Library"})
    assert response.status_code == 400
    again = {i["name"]: i.get("value", "") for i in page(response).select("form input")}
    assert (again["time"], again["location"]) == ("15:00", "Library")


def test_a_late_date_explained_once_is_not_asked_again_nor_told_again(client, invited, smtp):
    case, _members = invited
    due = services.timeline(case, services.meetings(case)).next_core_group_due
    late = due + dt.timedelta(days=3)
    assert _arrange(client, case, late, reason="Holidays.").status_code == 302
    smtp.messages.clear()
    response = _arrange(client, case, late, time="15:00")  # only the time changes
    assert response.status_code == 302, response.text
    assert "Why:" not in smtp.body(smtp.to("layla@example.test")[0])
    assert schedule.arranged(case).reason == "Holidays.", "the reason stays on record"


def test_an_import_refuses_a_shared_or_impossible_nhs_number(app, client, invited, db):
    from coregroup.api import interchange
    from coregroup.contacts import Viewer
    from coregroup.models import Child

    case, members = invited
    case.children.append(Child(name="Mia", date_of_birth=dt.date(2021, 3, 4)))
    db.session.commit()
    exported = interchange.export_case(case, Viewer.of(members["sam"]))
    exported["children"][0]["nhsNumber"] = exported["children"][1]["nhsNumber"] = "9434765919"
    pointers = {p["pointer"] for p in interchange.check(exported)}
    assert "/children/1/nhsNumber" in pointers
    exported["children"][1]["nhsNumber"] = "0000000000"
    pointers = {p["pointer"] for p in interchange.check(exported)}
    assert "/children/1/nhsNumber" in pointers
