"""A later core group on a phone, from starting the record to sending the plan and minutes."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, sign_in

pytestmark = pytest.mark.browser


def test_a_subsequent_core_group_from_start_to_circulation(browser, live_server, inbox):
    base, credentials = live_server
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(5000)
    sign_in(page, base, "sam@demo.coregroup.example", credentials["sam@demo.coregroup.example"])
    page.get_by_role("link", name="Amira Hassan and Yusuf Hassan").click()
    page.get_by_role("link", name="Core group meetings").click()
    expect(page.locator("figure.app-chart svg")).to_be_visible()
    page.get_by_role("button", name="Start recording the next meeting").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meeting 2")
    expect(page.locator("#meeting-kind")).to_contain_text("This is a later core group")

    page.get_by_role("link", name="Date, time and place").click()
    meeting_day = dt.date.fromisoformat(
        "-".join(
            page.locator(f"#date-{p}").input_value().zfill(2) for p in ("year", "month", "day")
        )
    )
    page.get_by_role("button", name="Continue").click()

    page.get_by_role("link", name="Chair, minute taker and who came").click()
    page.get_by_label(re.compile("Priya Shah")).check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label(re.compile("Owen Le Page")).check()
    page.get_by_role("button", name="Continue").click()
    for name in ("Sam Okafor", "Priya Shah", "Owen Le Page", "Layla Hassan"):
        page.get_by_label(re.compile(name)).check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()  # nobody sent apologies

    page.get_by_role("link", name="Review of each need").click()
    page.get_by_role("link", name=re.compile("^Need 1")).click()
    for _need in range(4):
        expect(page.get_by_role("heading", level=1)).to_have_text("How is this need going?")
        page.get_by_label("On track", exact=True).check()
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meeting 2")

    page.get_by_role("link", name="Scaling scores").click()
    page.get_by_role("link", name=re.compile("^Sam Okafor")).click()
    for score in ("5", "6", "7", "8"):
        page.get_by_role("radio", name=score, exact=True).check()
        page.get_by_role("button", name="Continue").click()

    page.get_by_role("link", name="Evidence of change and contingency planning").click()
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Continue").click()

    page.get_by_role("link", name="Roles, tasks and timescales").click()
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Continue").click()

    page.get_by_role("link", name="The next meeting").click()
    nxt = meeting_day + dt.timedelta(days=21)
    page.locator("#nextMeeting__date-day").fill(str(nxt.day))
    page.locator("#nextMeeting__date-month").fill(str(nxt.month))
    page.locator("#nextMeeting__date-year").fill(str(nxt.year))
    page.get_by_label("Time of the next meeting").fill("14:30")
    page.get_by_label("Where will the next meeting be?").fill("School")
    page.get_by_role("button", name="Continue").click()

    page.get_by_role("link", name="Check and complete the meeting").click()
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    page.get_by_role("button", name="Complete the meeting").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send the plan and minutes")
    page.get_by_role("button", name="Send by email to everyone not sent yet").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Sent to 6 members")
    invitations = [
        m for m in inbox.messages if any(p.get_content_type() == "text/calendar" for p in m.walk())
    ]
    # Each member: their invitation to the next meeting (sent on completing), then the plan
    # and minutes.
    assert len(invitations) == 6 and len({m["To"] for m in invitations}) == 6
    assert len(inbox.messages) - len(invitations) == 6
    context.close()
