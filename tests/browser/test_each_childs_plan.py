"""Each child's plan to its end, in real Chromium on both databases: two half-siblings on a plan
with different categories, a third child (unborn) added later, a first review conference that
ends one child's plan while the others continue, a second that ends the rest and closes the
case; a half-sibling's father sees only his child's parts throughout, and a parent confirms
receipt of the plan and minutes at each circulation.

Shortcuts, each covered by its own tests elsewhere: the parents' accounts are linked to their
memberships in the database (accepting an invitation: tests/browser/test_every_member_in.py),
and each meeting's record and the plan's needs are written to the database (the meeting flow:
tests/browser/test_meeting_flow.py; the plan flow: tests/browser/test_plan_flow.py)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from coregroup import create_app
from coregroup.auth import hash_password
from coregroup.extensions import db
from coregroup.models import Case, Meeting, Member, User
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

TODAY = dt.date.today()
CONFERENCE = TODAY - dt.timedelta(days=70)
PASSWORD = "river lantern copper mountain"
LEAD = ("Sam Okafor", "sam@council.example")
# (key, name, email, language, the children they are a parent of)
PARENTS = [
    ("anna", "Anna Kowalska", "anna@family.example", "en_GB", ["Maya Kowalska", "Leo Kowalski"]),
    ("ben", "Ben Hart", "ben@family.example", "pl", ["Maya Kowalska"]),
    ("carl", "Carl Kowalski", "carl@family.example", "en_GB", ["Leo Kowalski"]),
]


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
        db.session.add(
            User(
                name=LEAD[0],
                email=LEAD[1],
                password_hash=hash_password(PASSWORD),
                professional=True,
            )
        )
        for _key, name, email, _language, _children in PARENTS:
            # Their pages in English here; the e-mails in the language the lead records.
            db.session.add(User(name=name, email=email, password_hash=hash_password(PASSWORD)))
        db.session.commit()
    served = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{served.server_port}", app
    served.shutdown()
    thread.join()
    with app.app_context():
        db.engine.dispose()


def _fill_date(page, prefix: str, day: dt.date) -> None:
    page.locator(f"#{prefix}-day").fill(str(day.day))
    page.locator(f"#{prefix}-month").fill(str(day.month))
    page.locator(f"#{prefix}-year").fill(str(day.year))


def _browser_of(browser, base: str, email: str, phone: bool = False):
    context = browser.new_context(viewport=PHONE) if phone else browser.new_context()
    page = context.new_page()
    page.set_default_timeout(8000)
    page.goto(f"{base}/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/cases")
    return context, page


def _meeting(app, number: int, day: dt.date, recommendation: str | None = None) -> None:
    """A completed core group, as the meeting flow leaves it (a shortcut, see above)."""
    with app.app_context():
        case = db.session.query(Case).one()
        record = {"date": day.isoformat(), "kind": "subsequent"}
        if recommendation:
            record["groupRecommendation"] = {"recommendation": recommendation, "reason": "Why"}
        db.session.add(
            Meeting(
                case_id=case.id,
                number=number,
                kind="last-before-review" if recommendation else "subsequent",
                status="completed",
                record=record,
                plan_number=1,
            )
        )
        db.session.commit()


def _circulate_and_confirm(lead, parent, case_url: str, number: int) -> None:
    lead.goto(f"{case_url}/meetings/{number}/circulate")
    lead.get_by_role("button", name="Send by email to everyone not sent yet").click()
    expect(lead.locator(".govuk-notification-banner--success")).to_contain_text("Sent to")
    parent.goto(f"{case_url}/meetings/{number}/minutes")
    parent.locator("input[name=agrees][value=yes]").check()
    parent.locator("form[action$='/receipt'] button").click()
    expect(parent.locator(".govuk-notification-banner--success")).to_be_visible()


def _review(page, case_url: str, held: dt.date, outcomes: dict, next_review=None) -> None:
    page.goto(f"{case_url}/review-conference")
    _fill_date(page, "held", held)
    page.get_by_label("Who chaired the conference?").fill("Chris Chair")
    for name, (outcome, detail) in outcomes.items():
        group = page.locator("fieldset", has_text=f"{name}: what did the conference decide?")
        group.locator(f"input[value={outcome}]").first.check()
        if outcome == "continue":
            boxes = group.locator("input[name^=categories_]")
            for n in range(boxes.count()):
                box = boxes.nth(n)
                if box.get_attribute("value") in detail:
                    box.check()
                else:
                    box.uncheck()
        else:
            group.locator(f"input[name^=reason_][value={detail}]").check()
    if next_review:
        _fill_date(page, "next_review", next_review)
    page.get_by_role("button", name="Record the review conference").click()
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_have_text("Children and their plans")


def test_each_childs_plan_from_the_conference_to_the_case_closing(browser, server, inbox):
    base, app = server
    lead_context, lead = _browser_of(browser, base, LEAD[1])

    # The initial conference: two half-siblings, each with their own categories.
    lead.goto(f"{base}/cases/new")
    lead.get_by_label("Case reference").fill("CP-2026-0418")
    lead.locator("input[name=jurisdiction][value=england]").check()
    _fill_date(lead, "conference", CONFERENCE)
    lead.locator("#child1").fill("Maya Kowalska")
    _fill_date(lead, "child1_born", dt.date(2017, 6, 1))
    lead.locator("input[name=child1_categories][value=neglect]").check()
    lead.locator("#child2").fill("Leo Kowalski")
    _fill_date(lead, "child2_born", dt.date(2021, 9, 12))
    lead.locator("input[name=child2_categories][value=physical]").check()
    lead.locator("input[name=child2_categories][value=emotional]").check()
    lead.locator("#every_weeks").fill("4")
    lead.get_by_role("button", name="Open the case").click()
    expect(lead.get_by_role("heading", level=1)).to_have_text("The core group")
    case_url = lead.url.rsplit("/members", 1)[0]

    # Each parent joins, linked to their own children.
    for _key, name, email, language, children in PARENTS:
        lead.locator("#name").fill(name)
        lead.locator("input[name=role][value=parent]").check()
        for child in children:
            lead.get_by_label(child, exact=True).check()
        lead.locator("#email").fill(email)
        lead.locator(f"input[name=language][value={language}]").check()
        _fill_date(lead, "joined", CONFERENCE)
        lead.get_by_role("button", name="Add to the core group").click()
        expect(lead.locator(".govuk-notification-banner--success")).to_contain_text(name)
    with app.app_context():
        from coregroup.plans import services
        from tests.factories import full_plan

        case = db.session.query(Case).one()
        maya, leo = case.children
        maya_ref, leo_ref = maya.ref, leo.ref
        assert [c.current_plan.categories for c in case.children] == [
            ["neglect"],
            ["physical", "emotional"],
        ]
        lead_user = db.session.query(User).filter_by(email=LEAD[1]).one()
        for _key, _name, email, _language, children in PARENTS:
            member = db.session.query(Member).filter_by(email=email).one()
            assert [c.name for c in member.children] == children
            member.user = db.session.query(User).filter_by(email=email).one()
        plan = full_plan()
        plan["needs"][0]["children"] = [maya.ref]
        plan["needs"][0]["whatMustChange"] = "Maya goes to school every day"
        plan["needs"][1]["children"] = [leo.ref]
        plan["needs"][1]["whatMustChange"] = "Leo is seen by the paediatrician"
        services.write_version(case, lead_user, plan)
        db.session.commit()

    ben_context, ben = _browser_of(browser, base, "ben@family.example", phone=True)
    carl_context, carl = _browser_of(browser, base, "carl@family.example", phone=True)
    anna_context, anna = _browser_of(browser, base, "anna@family.example", phone=True)

    def father_sees_only_his_child():
        ben.goto(f"{case_url}/plan/read")
        expect(ben.locator("main")).to_contain_text("Maya goes to school every day")
        expect(ben.locator("main")).not_to_contain_text("Leo is seen by the paediatrician")
        expect(ben.locator("body")).not_to_contain_text("Leo Kowalski")
        ben.goto(f"{case_url}/children")
        expect(ben.locator("main")).to_contain_text("Maya Kowalska")
        expect(ben.locator("body")).not_to_contain_text("Leo Kowalski")
        ben.goto(f"{base}/cases")
        expect(ben.locator("body")).not_to_contain_text("Leo Kowalski")
        carl.goto(f"{case_url}/plan/read")
        expect(carl.locator("main")).to_contain_text("Leo is seen by the paediatrician")
        expect(carl.locator("main")).not_to_contain_text("Maya goes to school every day")

    father_sees_only_his_child()
    _meeting(app, 1, CONFERENCE + dt.timedelta(days=8))
    _circulate_and_confirm(lead, ben, case_url, 1)

    # A third child, not yet born, joins the plan later.
    lead.goto(f"{case_url}/children/new")
    lead.locator("#name").fill("Baby of Anna Kowalska")
    _fill_date(lead, "born", TODAY + dt.timedelta(days=60))
    lead.get_by_label("Anna Kowalska (parent)").check()
    lead.locator("input[name=plan][value=yes]").check()
    _fill_date(lead, "plan_from", TODAY - dt.timedelta(days=20))
    lead.locator("input[name=categories][value=neglect]").check()
    lead.get_by_role("button", name="Add the child").click()
    expect(lead.locator("main")).to_contain_text("Not born yet")

    # The first review conference: Maya's plan ends, the others continue.
    _meeting(app, 2, TODAY - dt.timedelta(days=12), recommendation="remain")
    _circulate_and_confirm(lead, anna, case_url, 2)
    _review(
        lead,
        case_url,
        TODAY - dt.timedelta(days=10),
        {
            "Maya Kowalska": ("end", "no-longer-at-risk"),
            "Leo Kowalski": ("continue", ["physical"]),
            "Baby of Anna Kowalska": ("continue", ["neglect"]),
        },
        next_review=TODAY + dt.timedelta(days=80),
    )
    expect(lead.locator(f"#history-{maya_ref}")).to_contain_text("the plan ends")
    expect(lead.locator(f"#history-{leo_ref}")).to_contain_text(
        "the plan continues (Physical abuse)"
    )
    ben.goto(f"{case_url}/children")
    expect(ben.locator("main")).to_contain_text("The plan ended on")
    father_sees_only_his_child()

    # The second: the remaining plans end and the case closes.
    _meeting(app, 3, TODAY - dt.timedelta(days=2), recommendation="end")
    _circulate_and_confirm(lead, carl, case_url, 3)
    lead_stale = lead_context.new_page()  # a tab opened before the case closed
    lead_stale.goto(f"{case_url}/members")
    before = len(inbox.messages)
    _review(
        lead,
        case_url,
        TODAY,
        {
            "Leo Kowalski": ("end", "moved-away"),
            "Baby of Anna Kowalska": ("end", "no-longer-at-risk"),
        },
    )
    expect(lead.locator("#closed")).to_contain_text("the case is closed")
    told = {m["To"]: m["Subject"] for m in inbox.messages[before:]}
    assert set(told) == {"anna@family.example", "carl@family.example", "ben@family.example"}
    assert told["anna@family.example"] == "The plan has ended"
    assert told["ben@family.example"] != told["anna@family.example"], "Ben's is in Polish"
    lead_stale.locator("#name").fill("Someone Late")
    lead_stale.locator("input[name=role][value=teacher]").check()
    lead_stale.get_by_role("button", name="Add to the core group").click()
    expect(lead_stale.get_by_role("heading", level=1)).to_have_text("This case is closed")
    expect(lead_stale.locator("main")).to_contain_text("Someone Late")
    lead.goto(base + "/")
    expect(lead.locator("main")).not_to_contain_text("overdue")
    father_sees_only_his_child()
    anna.goto(case_url)
    expect(anna.locator("#closed")).to_be_visible()
    with app.app_context():
        case = db.session.query(Case).one()
        assert case.status == "closed" and case.closed_on == TODAY
        assert [c.previous_plans for c in case.children] == [1, 1, 1]
        assert db.session.query(Member).filter_by(name="Someone Late").count() == 0
    for context in (lead_context, ben_context, carl_context, anna_context):
        context.close()
