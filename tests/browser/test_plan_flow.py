"""A professional completes a section on a phone, checks the answers and saves: JS on and off."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_add_a_need_with_an_action_check_and_save(browser, live_server, javascript, tmp_path):
    base, credentials = live_server
    context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(5000)
    sign_in(page, base, "sam@demo.coregroup.example", credentials["sam@demo.coregroup.example"])

    page.get_by_role("link", name="Amira Hassan and Yusuf Hassan").click()
    page.get_by_role("link", name="Work on the plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Child protection plan")
    page.get_by_role("link", name="Needs and actions").click()
    page.get_by_role("button", name="Add another need").click()

    page.get_by_label("My wider world").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Comfortable and safe housing").check()
    page.get_by_role("button", name="Continue").click()

    # A required answer left empty: the error is next to the field and in the summary.
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter what needs to change for the child")
    if javascript:
        expect(summary).to_be_focused()
    page.get_by_label("What needs to change for the child?").fill("The flat is warm and dry.")
    page.get_by_label("Why does it need to change?").fill("Mould in the children's room.")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("What will be different when this need is met?").fill("No mould.")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Actions")
    page.get_by_role("button", name="Add another action").click()
    page.get_by_label("What will be done?").fill("Ask the landlord to fix the damp.")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label(re.compile("Sam Okafor")).check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Day").fill("15")
    page.get_by_label("Month").fill("1")
    page.get_by_label("Year").fill("2027")
    page.get_by_label("In progress").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.locator(".govuk-summary-list__value").first).to_contain_text("Ask the landlord")
    page.get_by_role("link", name="Continue").click()
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Child protection plan")
    page.get_by_role("link", name="Check your answers and save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before saving the plan"
    )
    need = page.locator(".govuk-summary-card", has_text="The flat is warm and dry.").first
    expect(need).to_contain_text("Comfortable and safe housing")
    expect(need).to_contain_text("15 January 2027")
    page.get_by_role("button", name="Save the plan").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("version 2")
    page.screenshot(path=str(tmp_path / "saved.png"), full_page=True)

    page.get_by_role("link", name="See all versions").click()
    expect(page.locator("tbody tr")).to_have_count(2)
    context.close()
