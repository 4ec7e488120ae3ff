"""The dashboard: meetings, circulation and actions due or overdue, and decisions needed."""

import datetime as dt

from coregroup import dashboard
from coregroup.meetings import services as meetings
from tests.conftest import make_case, make_member, make_user, page, sign_in
from tests.meetings.test_views import record_people, record_rest, start


def texts(items):
    return [i.text for i in items]


def test_an_overdue_first_core_group_shows(planned, db, app):
    case, _ = planned
    case.initial_conference = dt.date(2026, 11, 2)
    db.session.commit()
    with app.test_request_context():
        found = dashboard.items_for(case, dt.date(2026, 11, 20))
    assert "Core group meeting overdue since 16 November 2026" in texts(found)
    with app.test_request_context():
        found = dashboard.items_for(case, dt.date(2026, 11, 12))
    assert "Core group meeting due by 16 November 2026" in texts(found)


def test_actions_past_their_timescale_and_actions_that_cannot_be_done(planned, db, app):
    case, _ = planned
    with app.test_request_context():
        found = texts(dashboard.items_for(case, dt.date(2027, 6, 1)))
    assert any(
        t.startswith("Need 1: “Agree a plan for who looks after the children at night.” was due by")
        for t in found
    )


def test_circulation_not_done_shows_as_due_then_overdue(client, planned, db, app):
    case, _ = planned
    base = start(client, case)
    record_people(client, base)
    record_rest(client, base)
    client.post(f"{base}/complete")
    meeting = meetings.get_meeting(case, 2)
    due = meetings.timeline(case, [meeting]).circulation_due[2]
    with app.test_request_context():
        soon = texts(dashboard.items_for(case, dt.date.today()))
        late = texts(dashboard.items_for(case, due + dt.timedelta(days=1)))
    assert any("Send the plan and minutes of meeting 2 to 6 members" in t for t in soon)
    assert any("meeting 2 not sent to 6 members; overdue" in t for t in late)
    # Someone who joins the core group after the meeting is not counted as missing its minutes.
    from tests.conftest import make_member

    make_member(
        case, name="Late Joiner", role="police", joined_on=dt.date.today() + dt.timedelta(days=1)
    )
    with app.test_request_context():
        later = texts(dashboard.items_for(case, due + dt.timedelta(days=1)))
    assert any("meeting 2 not sent to 6 members; overdue" in t for t in later)


def test_due_soon_means_within_five_working_days(planned, app):
    from coregroup.rules.attention import findings

    case, _ = planned
    today = dt.date(2026, 12, 7)  # a Monday
    soon_by = dt.date(2026, 12, 14)  # five working days on

    class Timeline:
        next_core_group_due = dt.date(2027, 2, 5)
        circulation_due = {}
        review_conference_due = None

    assert not [
        f for f in findings(case, today, Timeline, [], {}, {}, (), soon_by) if f.kind == "due"
    ]
    Timeline.next_core_group_due = dt.date(2026, 12, 14)
    assert [f.code for f in findings(case, today, Timeline, [], {}, {}, (), soon_by)] == [
        "core-group-due"
    ]


def test_a_review_conference_without_a_recommendation_shows(planned, db, app):
    case, _ = planned
    case.initial_conference = dt.date(2026, 9, 1)
    db.session.commit()
    with app.test_request_context():
        found = texts(dashboard.items_for(case, dt.date(2026, 11, 25)))
    assert (
        "Review conference due by 1 December 2026 and the core group has made no recommendation yet"
    ) in found


def test_the_dashboard_lists_only_my_professional_cases(client, planned, db):
    case, members = planned
    case.initial_conference = dt.date(2026, 9, 1)
    other = make_case(reference="OTHER-1", initial_conference=dt.date(2026, 9, 1))
    make_member(other, make_user())
    db.session.commit()
    html = page(client.get("/dashboard"))
    cases = {
        td.select_one("span").get_text(strip=True) for td in html.select("tbody td:first-child")
    }
    assert cases == {case.reference}
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    assert "not a professional member" in page(client.get("/dashboard")).text


def test_due_dates_are_also_said_relatively_in_the_page_language(client, planned, db):
    case, _ = planned
    case.initial_conference = dt.date.today() - dt.timedelta(days=9)
    db.session.commit()
    html = page(client.get("/dashboard"))
    when = [td.get_text(strip=True) for td in html.select("tbody td:nth-child(3)")]
    assert any(w.startswith("in ") and "day" in w for w in when), when
    welsh = page(client.get("/dashboard?lang=cy"))
    when_cy = [td.get_text(strip=True) for td in welsh.select("tbody td:nth-child(3)")]
    assert when_cy and when_cy != when
