"""axe-core, in real Chromium, on every page a professional and a family member can reach from
their start pages (every page of every flow: the plan's task list, sections, questions, lists
and items, check answers, versions, meetings, conference, members...), in English and in Arabic
(right to left), at a 360×740 phone and at desktop width. No violations allowed."""

from __future__ import annotations

from urllib.parse import urljoin, urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import PHONE, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]
DESKTOP = {"width": 1280, "height": 900}
# Links that are not pages to check: they change state, download a file or switch language.
NOT_PAGES = ("/sign-out", "/language/", "/api/", ".ics", "/export", "/static/", "/sw.js")
LIMIT = 80  # pages per person: more than the demo case has, so the crawl ends by itself


def _pages(page, base: str, start: list[str]):
    """Breadth-first through same-site links, yielding each page once it is loaded."""
    seen, queue = set(), list(start)
    while queue and len(seen) < LIMIT:
        url = queue.pop(0)
        path = urlparse(url).path + ("?" + urlparse(url).query if urlparse(url).query else "")
        if path in seen or any(part in path for part in NOT_PAGES):
            continue
        seen.add(path)
        response = page.goto(urljoin(base, path))
        if not response or response.status >= 400 or not page.url.startswith(base):
            continue
        yield path
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            parsed = urlparse(href)
            if href.startswith(base) and "#" not in href and parsed.path not in seen:
                queue.append(href)


def _violations(axe: Axe, page) -> list[str]:
    found = axe.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:3])
        for v in found.response["violations"]
    ]


PEOPLE = {
    "lead": "sam@demo.coregroup.example",
    "parent": "layla@demo.coregroup.example",
    "visitor": None,  # not signed in: sign-in, rules, languages
}


@pytest.mark.parametrize("language", ["en_GB", "ar"])
@pytest.mark.parametrize("who", list(PEOPLE))
def test_no_axe_violations_on_any_page(browser, live_server, who, language):
    base, credentials = live_server
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10000)
    email = PEOPLE[who]
    start = [f"{base}/sign-in", f"{base}/rules", f"{base}/languages"]
    if email:
        sign_in(page, base, email, credentials[email])
        start = [f"{base}/cases", f"{base}/dashboard", f"{base}/cases/1"]
    page.goto(f"{base}/language/{language}?next=/")
    if who == "lead":
        # An open meeting, so that every page of the meeting flow can be reached too.
        page.goto(f"{base}/cases/1/meetings")
        page.locator("form[action$='/meetings'] button").click()
        start.append(page.url)
        # And a page with errors: a required answer left empty.
        page.goto(f"{base}/cases/1/plan/aims/aims")
        page.locator("textarea").first.fill("")
        page.locator("main form button").first.click()
    axe = Axe()
    problems, checked = {}, 0
    if who == "lead":
        for problem in _violations(axe, page):
            problems.setdefault(problem, []).append(f"{page.url} (after a failed submit)")
    for path in _pages(page, base, start):
        for name, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            for problem in _violations(axe, page):
                problems.setdefault(problem, []).append(f"{path} ({name})")
        page.set_viewport_size(PHONE)
        checked += 1
    context.close()
    assert checked >= {"lead": 40, "parent": 8, "visitor": 3}[who], f"only {checked} pages"
    assert not problems, "\n".join(f"{p}\n    on {', '.join(w[:4])}" for p, w in problems.items())


@pytest.fixture
def strict_server(database_uri, inbox):
    """The demo app with second factors on, an administrator and a fresh family invitation:
    the pages reached only through a form or an e-mail. Yields (url, admin e-mail, password,
    invitation link)."""
    import threading

    from werkzeug.serving import make_server

    from coregroup import create_app
    from coregroup.auth import hash_password
    from coregroup.cases import invitations
    from coregroup.demo import load_demo
    from coregroup.extensions import db
    from coregroup.models import Member, User

    app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=database_uri,
        WTF_CSRF_ENABLED=True,
        COREGROUP_REQUIRE_SECOND_FACTOR=True,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=inbox.port,
    )
    password = "a long admin passphrase"
    with app.app_context():
        db.create_all()
        load_demo()
        admin = User(
            email="admin@example.test",
            name="Ada Admin",
            professional=True,
            is_admin=True,
            password_hash=hash_password(password),
        )
        newcomer = Member(
            case_id=1, name="Nadia Newcomer", role="carer", email="nadia@example.test"
        )
        doctor = Member(
            case_id=1, name="Gwen Doctor", role="gp", email="gwen@example.test", organisation="GP"
        )
        db.session.add_all([admin, newcomer, doctor])
        db.session.commit()
        with app.test_request_context():
            token = invitations.create(newcomer, admin)
            professional = invitations.create(doctor, admin)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    yield (
        base,
        "admin@example.test",
        password,
        [f"{base}/invitation/{token}", f"{base}/invitation/{professional}"],
    )
    server.shutdown()
    thread.join()
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("language", ["en_GB", "ar"])
def test_no_axe_violations_on_pages_reached_by_a_form_or_an_email(strict_server, browser, language):
    """Second-factor set-up and sign-in, recovery codes, the administrator's accounts page and
    a family member's and a professional's invitation, each as first shown and after a failed
    submit, and a link that does not work."""
    import pyotp

    base, email, password, (invitation, professional) = strict_server
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10000)
    axe, problems, checked = Axe(), {}, []

    def check(label: str) -> None:
        for name, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            for problem in _violations(axe, page):
                problems.setdefault(problem, []).append(f"{label} ({name})")
        page.set_viewport_size(PHONE)
        checked.append(label)

    def submit(form: str = "main form") -> None:
        page.locator(f"{form} button").last.click()
        page.wait_for_load_state()

    def password_then_wrong_code(expected: str, label: str) -> None:
        page.locator("#email").fill(email)
        page.locator("#password").fill(password)
        submit()
        assert expected in page.url
        check(label)
        page.locator("#code").fill("000000")
        submit()
        assert page.locator(".govuk-error-summary").is_visible()
        check(f"{label}, wrong code")

    page.goto(f"{base}/language/{language}?next=/sign-in")
    password_then_wrong_code("/sign-in/set-up-code", "second factor: set up")
    secret = page.locator("#totp-secret").inner_text().strip()
    page.locator("#code").fill(pyotp.TOTP(secret).now())
    submit()
    check("recovery codes")
    page.goto(f"{base}/admin/users")
    check("accounts")
    submit("main form:not([action])")  # the new account's form, with nothing filled in
    assert page.locator(".govuk-error-summary").is_visible()
    check("accounts, empty form")
    page.locator("form.app-sign-out button").dispatch_event("click")
    page.wait_for_url(f"{base}/sign-in")
    password_then_wrong_code("/sign-in/code", "second factor: sign in")

    invited = browser.new_context(viewport=PHONE)
    page = invited.new_page()
    page.set_default_timeout(10000)
    page.goto(f"{base}/language/{language}?next=/sign-in")
    page.goto(invitation)
    check("invitation")
    submit()  # no passcode
    assert page.locator(".govuk-error-summary").is_visible()
    check("invitation, no passcode")
    page.goto(professional)
    check("invitation for a professional")
    submit()  # no password
    assert page.locator(".govuk-error-summary").is_visible()
    check("invitation for a professional, no password")
    page.goto(f"{base}/invitation/not-a-link")
    check("an invitation link that does not work")
    invited.close()
    context.close()
    assert len(checked) == 12
    assert not problems, "\n".join(f"{p}\n    on {', '.join(w[:4])}" for p, w in problems.items())
