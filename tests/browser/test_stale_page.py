"""Two people, two real browsers, one page: the sequence that used to lose an edit.

Sam and Priya open the same contingency page. Sam changes the answer, continues and saves.
Priya, still on the page as it was, types and continues: the clash is shown there and then,
naming Sam, with both texts; nothing is written over, and she can keep a combination."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, sign_in

pytestmark = pytest.mark.browser

SAM = "sam@demo.coregroup.example"
PRIYA = "priya@demo.coregroup.example"
SAMS = "If the children are left alone again, Sam calls the duty team the same day."
PRIYAS = "If the children are left alone again, their grandmother looks after them."


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_a_stale_page_shows_the_clash_and_both_texts_survive(browser, live_server, javascript):
    base, credentials = live_server
    url = f"{base}/cases/1/plan/contingency/contingency"
    people = {}
    for who in (SAM, PRIYA):
        context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
        page = context.new_page()
        page.set_default_timeout(10000)
        sign_in(page, base, who, credentials[who])
        page.goto(url)
        people[who] = page
    sam, priya = people[SAM], people[PRIYA]
    label = "What will happen if things do not change?"

    sam.get_by_label(label).fill(SAMS)
    sam.get_by_role("button", name="Continue").click()
    sam.goto(f"{base}/cases/1/plan/check")
    sam.get_by_role("button", name="Save the plan").click()
    expect(sam.locator("main")).to_contain_text("Plan saved as version 2")

    # Priya's page is the one she opened before Sam saved.
    priya.get_by_label(label).fill(PRIYAS)
    priya.get_by_role("button", name="Continue").click()
    clash = priya.locator("#clash-contingency")
    expect(clash).to_contain_text("Sam Okafor (lead social worker) saved this answer on")
    expect(clash).to_contain_text("(version 2)")
    expect(clash).to_contain_text(SAMS)
    expect(priya.get_by_label(label)).to_have_value(PRIYAS)
    assert priya.url.startswith(url), "shown on the page itself, before anything else"

    # Nothing was written over: the saved plan still has Sam's words.
    sam.goto(f"{base}/api/v1/cases/1/plan")
    assert SAMS in sam.locator("body").inner_text()

    # Priya writes a combination of both and keeps it.
    priya.get_by_label(label).fill(f"{SAMS} {PRIYAS}")
    priya.get_by_label("The answer in the box below (yours, or what you change it to)").check()
    priya.get_by_role("button", name="Continue").click()
    priya.goto(f"{base}/cases/1/plan/check")
    priya.get_by_role("button", name="Save the plan").click()
    expect(priya.locator("main")).to_contain_text("Plan saved as version 3")
    sam.goto(f"{base}/api/v1/cases/1/plan")
    assert f"{SAMS} {PRIYAS}" in sam.locator("body").inner_text()
    sam.goto(f"{base}/api/v1/cases/1/plan?version=2")
    assert SAMS in sam.locator("body").inner_text()
    for page in people.values():
        page.context.close()
