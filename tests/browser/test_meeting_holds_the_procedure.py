"""A first and a later core group in real Chromium on a phone, on both databases, recorded by a
chair in a hurry who tries to sidestep each rule of the procedure: a minute taker not at the
meeting, an apology from someone present, no written update, the contingency plan taken out of
the plan, a late first core group, a meeting dated in the future, no evidence of change with
the plan left as it is; then a meeting abandoned with its reason.

The demo case, with its first core group not yet held (its record is removed), so the first is
recorded here."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, select
from werkzeug.serving import make_server

from coregroup import create_app
from coregroup.demo import load_demo
from coregroup.extensions import db
from coregroup.models import Case, Circulation, Meeting
from tests.browser.conftest import PHONE, sign_in

pytestmark = pytest.mark.browser

TODAY = dt.date.today()
SAM = "sam@demo.coregroup.example"


@pytest.fixture
def server(database_uri, inbox, tmp_path):
    app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=database_uri,
        WTF_CSRF_ENABLED=True,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=inbox.port,
        COREGROUP_AUDIT_CHECKPOINTS=str(tmp_path / "checkpoints"),
    )
    with app.app_context():
        db.create_all()
        credentials = load_demo()
        case = db.session.scalar(select(Case).where(Case.reference == "DEMO-0001"))
        db.session.execute(delete(Circulation))
        db.session.execute(delete(Meeting))
        case.first_core_group_on = TODAY - dt.timedelta(days=3)  # late: due 10 working days on
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", credentials, app
    server.shutdown()
    thread.join()
    with app.app_context():
        db.engine.dispose()


def go_on(page):
    page.get_by_role("button", name="Continue").click()


def errors(page) -> str:
    return page.locator(".govuk-error-summary").inner_text()


def fill_date(page, prefix: str, day: dt.date) -> None:
    page.locator(f"#{prefix}-day").fill(str(day.day))
    page.locator(f"#{prefix}-month").fill(str(day.month))
    page.locator(f"#{prefix}-year").fill(str(day.year))


def section(page, name: str) -> None:
    page.get_by_role("link", name=name, exact=True).click()


def test_a_hurried_chair_cannot_sidestep_the_procedure(browser, server, inbox):
    base, credentials, app = server
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(8000)
    sign_in(page, base, SAM, credentials[SAM])
    page.get_by_role("link", name="Amira Hassan and Yusuf Hassan").click()
    case_url = page.url
    page.get_by_role("link", name="Core group meetings").click()
    page.get_by_role("button", name="Start recording the next meeting").click()
    meeting_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Meeting 1")
    expect(page.locator("#meeting-kind")).to_contain_text("This is the first core group")
    # Only one meeting is recorded at a time: there is no second "first core group" to start.
    page.goto(f"{case_url}/meetings")
    expect(page.get_by_role("button", name="Start recording the next meeting")).to_have_count(0)
    page.get_by_role("link", name="Carry on recording meeting 1").click()

    # Who came: the minute taker left off, an apology from someone present.
    section(page, "Date, time and place")
    go_on(page)
    section(page, "Chair, minute taker and who came")
    page.get_by_label(re.compile("Priya Shah")).check()
    go_on(page)
    page.get_by_label(re.compile("Owen Le Page")).check()
    go_on(page)
    for name in ("Sam Okafor", "Priya Shah", "Layla Hassan"):
        page.get_by_label(re.compile(name)).check()
    go_on(page)
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "The minute taker must be at the meeting"
    )
    expect(page.get_by_label(re.compile("Layla Hassan"))).to_be_checked()  # nothing lost
    page.get_by_label(re.compile("Owen Le Page")).check()
    go_on(page)
    page.get_by_label(re.compile("Sam Okafor")).check()
    page.get_by_label(re.compile("Dr Ruth Mahy")).check()
    go_on(page)
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Nobody can be at the meeting and send apologies"
    )
    page.get_by_label(re.compile("Sam Okafor")).uncheck()
    go_on(page)

    # The contingency plan taken out of the plan before the meeting is completed.
    page.goto(f"{case_url}/plan/contingency/contingency")
    page.locator("textarea").fill("")
    go_on(page)
    page.goto(f"{case_url}/plan/check")
    page.get_by_role("button", name=re.compile("Save")).click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Plan saved")

    # A hurried try at completing: every gap is named, with a link to where it is put right.
    page.goto(f"{meeting_url}/check")
    page.get_by_role("button", name="Complete the meeting").click()
    said = errors(page)
    for words in (
        "Write the contingency plan",
        "Explain the causes of concern, what needs to change and the contingency plan",
        "The first core group is late: it was due by",
        "Record their written update, or why there is none",
        "Record a scaling score for Layla Hassan",
    ):
        assert words in said, words
    page.get_by_role("link", name=re.compile("Write the contingency plan")).click()
    page.locator("textarea").fill("If the children are alone at night again, a conference.")
    go_on(page)
    page.goto(f"{case_url}/plan/check")
    page.get_by_role("button", name=re.compile("Save")).click()

    page.goto(meeting_url)
    section(page, "Why the first core group is late")
    page.locator("textarea").fill("The family were away")
    go_on(page)
    section(page, "The detailed plan, explained to the parents")
    for label in ("The causes of concern", "What needs to change", "The contingency plan"):
        page.get_by_label(re.compile(label)).check()
    go_on(page)
    section(page, "Written updates from those who sent apologies")
    page.get_by_role("link", name=re.compile("Dr Ruth Mahy")).click()
    page.get_by_label("If there is no written update, why not?").fill("On leave")
    go_on(page)
    go_on(page)  # her score: not given
    section(page, "Roles, tasks and timescales")
    page.get_by_label("Yes").check()
    go_on(page)
    section(page, "Scaling scores")
    page.get_by_role("link", name=re.compile("^Sam Okafor")).click()
    for score in ("4", "5", "5", "6"):
        page.get_by_role("radio", name=score, exact=True).check()
        go_on(page)
    section(page, "Evidence of change and contingency planning")
    page.get_by_label("Yes").check()
    go_on(page)
    section(page, "The next meeting")
    nxt = TODAY + dt.timedelta(days=21)
    fill_date(page, "nextMeeting__date", nxt)
    page.get_by_label("Time of the next meeting").fill("10:00")
    page.get_by_label("Where will the next meeting be?").fill("Family centre")
    go_on(page)
    page.goto(f"{meeting_url}/check")
    page.get_by_role("button", name="Complete the meeting").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send the plan and minutes")
    page.goto(f"{case_url}/meetings")
    expect(page.locator("main")).to_contain_text("The reason given: The family were away")

    # The plan is agreed now: its contingency cannot be taken out again.
    page.goto(f"{case_url}/plan/contingency/contingency")
    page.locator("textarea").fill("")
    go_on(page)
    page.goto(f"{case_url}/plan/check")
    page.get_by_role("button", name=re.compile("Save")).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "The core group's plan must keep this: Write the contingency plan"
    )
    page.goto(f"{case_url}/plan")
    page.get_by_role("button", name="Discard unsaved changes").click()

    # The later core group: set for three weeks on, and completed now by mistake.
    page.goto(f"{case_url}/meetings")
    page.get_by_role("button", name="Start recording the next meeting").click()
    later_url = page.url
    expect(page.locator("#meeting-kind")).to_contain_text("This is a later core group")
    page.goto(f"{later_url}/check")
    page.get_by_role("button", name="Complete the meeting").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("which is in the future")
    page.goto(later_url)
    section(page, "Date, time and place")
    fill_date(page, "date", TODAY)
    go_on(page)

    # The chair reviews a need with its context on the same page.
    page.goto(later_url)
    section(page, "Review of each need")
    page.get_by_role("link", name=re.compile("^Need 1")).click()
    context_box = page.locator("#need-context")
    expect(context_box).to_contain_text("Intended outcome")
    expect(context_box).to_contain_text("Agree a plan for who looks after the children at night.")
    expect(context_box).to_contain_text("Not reviewed")

    # No evidence of change, and the plan left as it is: refused until a reason is given.
    page.goto(later_url)
    section(page, "Evidence of change and contingency planning")
    page.get_by_label("No").check()
    page.get_by_label("What contingency planning has the core group done?").fill(
        "Legal planning meeting booked"
    )
    go_on(page)
    page.goto(f"{later_url}/check")
    page.get_by_role("button", name="Complete the meeting").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Save a new version of the plan, or enter why it stays as it is"
    )

    # It will not be held after all: abandoned with its reason, kept on the list.
    page.goto(later_url)
    page.get_by_role("link", name="This meeting will not be completed").click()
    page.get_by_role("button", name="Keep the reason and stop recording").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter why the meeting will not be completed"
    )
    page.locator("textarea").fill("Recorded by mistake before the meeting")
    page.get_by_role("button", name="Keep the reason and stop recording").click()
    expect(page.locator("main")).to_contain_text("Recorded by mistake before the meeting")
    expect(page.locator("main")).to_contain_text("Not completed")
    with app.app_context():
        meeting = db.session.scalar(select(Meeting).where(Meeting.number == 2))
        assert meeting.status == "abandoned"
    context.close()
