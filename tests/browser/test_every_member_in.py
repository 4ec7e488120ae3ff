"""A whole core group comes in, in real Chromium, from the e-mails a real SMTP server received:
the case opened at the initial conference, six members across four agencies and two parents
invited and signed in (the professionals with their second factor), a GP co-opted later, the
lead handed over to a new social worker, and a confidential parent's details seen only by the
lead and the chair. Every link in every e-mail is followed by the person it was sent to."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time

import pyotp
import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from coregroup import create_app
from coregroup.auth import hash_password
from coregroup.extensions import db
from coregroup.models import Case, Meeting, User
from tests.browser.conftest import PHONE
from tests.conftest import Inbox

pytestmark = pytest.mark.browser

LEAD = ("Sam Okafor", "sam.okafor@council.example", "river lantern copper mountain")
STRANGER = ("Alex Other", "alex.other@council.example", "quiet meadow silver engine")
CONFERENCE = dt.date.today() - dt.timedelta(days=7)
TODAY = dt.date.today()
# (name, role, organisation, email, language, confidential): four agencies, two parents.
FIRST_MEMBERS = [
    (
        "Priya Shah",
        "health-visitor",
        "Health Visiting Team",
        "priya@health.example",
        "en_GB",
        False,
    ),
    ("Owen Le Page", "teacher", "St Anne's Primary School", "owen@school.example", "en_GB", False),
    ("Pat Mahy", "police", "States of Guernsey Police", "pat@police.example", "en_GB", False),
    ("Layla Hassan", "parent", None, "layla@family.example", "ar", True),
    ("Daniel Hassan", "parent", None, "daniel@family.example", "en_GB", False),
]
GP = ("Dr Ruth Mahy", "gp", "Queen's Road Surgery", "ruth@surgery.example", "en_GB", False)
NEW_LEAD = ("Nia Jones", "nia.jones@council.example")
LAYLA_PHONE, LAYLA_ADDRESS = "07700 900123", "Flat 2, Safe Street"


@pytest.fixture
def server(database_uri, inbox, tmp_path):
    """The app with a second factor required of professionals, and one social worker's account
    (made as `flask users create` makes it); no demo data."""
    app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=database_uri,
        WTF_CSRF_ENABLED=True,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=inbox.port,
        COREGROUP_REQUIRE_SECOND_FACTOR=True,
        COREGROUP_AUDIT_CHECKPOINTS=str(tmp_path / "checkpoints"),
    )
    secrets = {}
    with app.app_context():
        db.create_all()
        for name, email, password in (LEAD, STRANGER):
            secrets[email] = pyotp.random_base32()
            db.session.add(
                User(
                    name=name,
                    email=email,
                    password_hash=hash_password(password),
                    professional=True,
                    totp_secret=secrets[email],
                )
            )
        db.session.commit()
    served = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{served.server_port}", app, secrets
    served.shutdown()
    thread.join()
    with app.app_context():
        db.engine.dispose()


class Person:
    """Someone with their own browser (a context of its own: cookies are theirs alone)."""

    def __init__(self, browser, base: str, email: str):
        self.context = browser.new_context(viewport=PHONE)
        self.page = self.context.new_page()
        self.page.set_default_timeout(8000)
        self.base, self.email = base, email
        self.secret: str | None = None
        self.password: str | None = None
        self.last_step: int | None = None

    def code(self) -> str:
        """A code from their authenticator. Each time step is accepted once per person, so a
        second sign-in waits for the next step (at most 30 s), as a person would."""
        while True:
            now = time.time()
            step = int(now // 30)
            if step != self.last_step and now % 30 < 27:
                self.last_step = step
                return pyotp.TOTP(self.secret).at(now)
            time.sleep(0.5)

    def sign_out(self) -> None:
        # On a phone the button is behind the navigation's "Menu": send its form as it does.
        self.page.locator("form.app-sign-out").evaluate("form => form.requestSubmit()")
        self.page.wait_for_url(re.compile("/sign-in"))

    def sign_in(self, then: str | None = None) -> None:
        page = self.page
        if then is None:
            page.goto(f"{self.base}/sign-in")
        page.locator("#email").fill(self.email)
        page.locator("#password").fill(self.password)
        page.locator("form button[type=submit]").last.click()
        if self.secret:
            page.wait_for_url(re.compile("/sign-in/code"))
            page.locator("#code").fill(self.code())
            page.locator("form button[type=submit]").last.click()


def mail_to(inbox: Inbox, address: str, count: int = 1) -> list[str]:
    """The links in the newest e-mail to `address` (waiting for it to arrive)."""
    for _n in range(50):
        found = inbox.to(address)
        if len(found) >= count:
            return re.findall(r"https?://\S+", Inbox.body(found[-1]))
        time.sleep(0.1)
    raise AssertionError(f"no e-mail to {address}")


def accept(person: Person, inbox: Inbox, professional: bool, count: int = 1) -> None:
    """The invited person opens the link in their e-mail and sets up their account."""
    [link] = mail_to(inbox, person.email, count)
    assert "/invitation/" in link
    page = person.page
    page.goto(link)
    person.password = f"{person.email.split('@')[0]} violet harbour kettle"
    page.locator("#passcode").fill(person.password)
    page.locator("#again").fill(person.password)
    page.locator("form button[type=submit]").last.click()
    if professional:
        page.wait_for_url(re.compile("/sign-in/set-up-code"))
        person.secret = page.locator("#totp-secret").inner_text().strip()
        page.locator("#code").fill(person.code())
        page.locator("form button[type=submit]").last.click()
        expect(page.locator("#recovery-codes li")).to_have_count(10)
        page.locator("a.govuk-button").click()
    page.wait_for_url(re.compile(r"/cases/\d+$"))


def add_member(page, name, role, organisation, email, language, confidential, joined: dt.date):
    page.locator("#name").fill(name)
    page.locator(f"input[name=role][value={role}]").check()
    if organisation:
        page.locator("#organisation").fill(organisation)
    page.locator("#email").fill(email)
    if confidential:
        page.locator("#phone").fill(LAYLA_PHONE)
        page.locator("#address").fill(LAYLA_ADDRESS)
        page.locator("input[name=confidential]").check()
    page.locator(f"input[name=language][value={language}]").check()
    for part, value in (("day", joined.day), ("month", joined.month), ("year", joined.year)):
        page.locator(f"#joined-{part}").fill(str(value))
    page.get_by_role("button", name="Add to the core group").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"{name} is now in the core group. We have emailed them an invitation."
    )


def core_group_text(person: Person, case_url: str) -> str:
    person.page.goto(case_url)
    return person.page.locator("#core-group + p, #core-group ~ dl").first.inner_text() + (
        person.page.locator("main").inner_text()
    )


def test_a_whole_core_group_comes_in_from_its_emails(browser, server, inbox):
    base, app, secrets = server
    lead = Person(browser, base, LEAD[1])
    lead.password, lead.secret = LEAD[2], secrets[LEAD[1]]
    lead.sign_in()
    page = lead.page

    # The initial conference: the case, then its members.
    page.goto(f"{base}/cases/new")
    page.locator("#reference").fill("GSY-2026-117")
    page.locator("#child1").fill("Amira Hassan")
    for part, value in (("day", 3), ("month", 5), ("year", 2019)):
        page.locator(f"#child1_born-{part}").fill(str(value))
    for part in ("day", "month", "year"):
        page.locator(f"#conference-{part}").fill(str(getattr(CONFERENCE, part)))
    page.locator("input[name=child1_categories][value=neglect]").check()
    page.get_by_role("button", name="Open the case").click()
    page.wait_for_url(re.compile(r"/cases/\d+/members"))
    case_url = page.url.rsplit("/members", 1)[0]
    for member in FIRST_MEMBERS:
        add_member(page, *member, joined=CONFERENCE)
    # The lead's table is wide: it scrolls in its own box, the page stays phone-wide.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Everyone accepts from their own e-mail, in their own browser.
    people = {}
    for name, role, _org, email, _language, _c in FIRST_MEMBERS:
        people[name] = Person(browser, base, email)
        accept(people[name], inbox, professional=role not in ("parent",))
        assert people[name].page.url == case_url
    layla_mail = Inbox.body(inbox.to("layla@family.example")[-1])
    assert "Hello" not in layla_mail, "Layla's invitation is in Arabic"

    # A GP is co-opted later, and joins the same way.
    page.goto(f"{case_url}/members")
    add_member(page, *GP, joined=TODAY)
    expect(page.locator(f"text={GP[0]}").first).to_be_visible()
    expect(page.get_by_text("co-opted").first).to_be_visible()
    people[GP[0]] = Person(browser, base, GP[3])
    accept(people[GP[0]], inbox, professional=True)

    # The health visitor chairs the core group's meetings (a meeting record names her).
    with app.app_context():
        case = db.session.query(Case).one()
        priya = next(m for m in case.members if m.name == "Priya Shah")
        db.session.add(
            Meeting(
                case_id=case.id,
                number=1,
                kind="first",
                status="completed",
                record={"date": TODAY.isoformat(), "chair": priya.ref},
            )
        )
        db.session.commit()

    # The lead hands over to a new social worker, who is invited and accepts.
    page.goto(f"{case_url}/hand-over")
    page.locator("input[name=to][value=new]").check()
    page.locator("#new_name").fill(NEW_LEAD[0])
    page.locator("#new_organisation").fill("Children's Services")
    page.locator("#new_email").fill(NEW_LEAD[1])
    page.locator("input[name=previous][value=stays]").check()
    page.get_by_role("button", name="Hand over").click()
    expect(page.locator("#waiting-hand-over")).to_contain_text("becomes the lead social worker")
    nia = Person(browser, base, NEW_LEAD[1])
    accept(nia, inbox, professional=True)
    nia.page.goto(f"{case_url}/members")
    expect(nia.page.get_by_role("heading", level=1)).to_have_text("The core group")
    lead.page.goto(f"{case_url}/members")
    expect(lead.page.get_by_role("heading", level=1)).not_to_have_text("The core group")
    nia.page.goto(case_url)
    expect(nia.page.locator("#hand-overs")).to_contain_text("Sam Okafor handed over to Nia Jones")

    # Layla's contact details: only the lead (now Nia) and the chair (Priya) see them.
    everyone = {**people, NEW_LEAD[0]: nia, LEAD[0]: lead}
    for name, person in everyone.items():
        person.page.goto(case_url)
        shown = person.page.locator("main").inner_text()
        should = name in (NEW_LEAD[0], "Priya Shah", "Layla Hassan")
        for detail in ("layla@family.example", LAYLA_PHONE, LAYLA_ADDRESS):
            assert (detail in shown) == should, f"{name} {'should' if should else 'must not'} see"
        if name == "Daniel Hassan":
            assert "priya@health.example" in shown, "a parent sees professionals' work details"

    # The plan and minutes go to everyone; each follows the link in their own e-mail.
    nia.page.goto(f"{case_url}/meetings/1/circulate")
    nia.page.get_by_role("button", name="Send by email to everyone not sent yet").click()
    expect(nia.page.locator(".govuk-notification-banner--success")).to_be_visible()
    minutes = f"{case_url}/meetings/1/minutes"
    for name, person in everyone.items():
        # Sam stayed, as a social worker: his first e-mail from the app is this one.
        [link] = mail_to(inbox, person.email, count=1 if name == LEAD[0] else 2)
        assert link == f"{base}/cases/{case_url.rsplit('/', 1)[1]}/meetings/1/minutes"
        if name in (GP[0], "Daniel Hassan"):
            # Signed out (another day): the link asks them to sign in, then opens the minutes.
            person.sign_out()
            person.page.goto(link)
            person.page.wait_for_url(re.compile("/sign-in"))
            person.sign_in(then=link)
        else:
            person.page.goto(link)
        person.page.wait_for_url(minutes)
        expect(person.page.get_by_role("heading", level=1)).to_have_text(re.compile("1"))
    # The same link is nothing to someone outside the core group, even signed in.
    outsider = Person(browser, base, STRANGER[1])
    outsider.password, outsider.secret = STRANGER[2], secrets[STRANGER[1]]
    outsider.page.goto(minutes)
    outsider.page.wait_for_url(re.compile("/sign-in"))
    outsider.sign_in(then=minutes)
    outsider.page.wait_for_url(minutes)
    expect(outsider.page.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert "Amira" not in outsider.page.content()
    for person in [*everyone.values(), outsider]:
        person.context.close()
