"""The family's pages are in plain English: a reading age of about 9 to 11, and no word of the
procedure ("core group", "conference", "scaling score", ...) without its meaning on the page.

Measured with the Flesch-Kincaid grade (textstat) on the words the family reads: each page of
their flow, the minutes, their tasks, their e-mails and the error messages they can meet. The
plan is empty (or the meeting record bare), so only the product's own words are measured.
"""

import datetime as dt
import re

import pytest
import textstat

from coregroup.glossary import TERMS
from tests.conftest import make_case, make_member, make_user, page, sign_in
from tests.factories import held_first_meeting

# US school grade 6 is a reading age of 11 to 12; the family's words must not be harder.
MAX_GRADE = 6.0
FAMILY_PAGES = [
    "",
    "/plan",
    "/plan/your-views/your-views",
    "/plan/child-views/child-views",
    "/plan/read",
    "/meetings",
    "/meetings/1/minutes",
    "/my-tasks",
]


@pytest.fixture
def family(client, db):
    case = make_case()
    parent = make_user(name="Pat Parent", professional=False, email="pat@example.org")
    make_member(case, parent, role="parent", ref="m-pat", email="pat@example.org")
    make_member(case, make_user(name="Lee Lead"), role="lead-social-worker", ref="m-lee")
    held_first_meeting(case)
    sign_in(client, parent)
    return case


def words_of(html) -> str:
    main = html.select_one("main")
    for hidden in main.select(".govuk-visually-hidden, #live, .app-glossary"):
        hidden.decompose()
    return text_of(main.get_text("\n"))


def text_of(raw: str) -> str:
    sentences = [s.strip() for s in raw.split("\n") if len(s.strip()) > 3]
    return " ".join(s if s[-1] in ".?!:" else s + "." for s in sentences)


def family_url(case, path):
    return "/my-tasks" if path == "/my-tasks" else f"/cases/{case.id}{path}"


@pytest.mark.parametrize("path", FAMILY_PAGES)
def test_family_pages_read_at_a_reading_age_of_about_nine_to_eleven(client, family, path):
    text = words_of(page(client.get(family_url(family, path))))
    grade = textstat.flesch_kincaid_grade(text)
    assert grade <= MAX_GRADE, f"grade {grade} for: {text[:400]}"


@pytest.mark.parametrize("path", FAMILY_PAGES)
def test_no_word_of_the_procedure_is_left_unexplained(client, family, path):
    html = page(client.get(family_url(family, path)))
    explained = {dt_.get_text(strip=True).lower() for dt_ in html.select(".app-glossary dt")}
    text = words_of(html).lower()
    unexplained = [
        str(term.word)
        for term in TERMS.values()
        if any(re.search(rf"\b{re.escape(form)}\b", text) for form in term.forms)
        and str(term.word).lower() not in explained
    ]
    assert not unexplained, f"{path}: explain {unexplained} (glossary_terms on the page)"


def test_the_glossary_explains_in_plain_words():
    text = " ".join(str(term.meaning) for term in TERMS.values())
    assert textstat.flesch_kincaid_grade(text) <= MAX_GRADE


def test_the_familys_e_mails_read_plainly(app, family, db):
    from coregroup.cases import invitations
    from coregroup.cases.childplans import _family_message
    from coregroup.meetings import schedule
    from coregroup.meetings.circulation import _email_for
    from coregroup.models import Meeting
    from coregroup.reminders import Due, _message

    member = next(m for m in family.members if m.is_family)
    lead = next(m for m in family.members if not m.is_family)
    meeting = db.session.query(Meeting).filter_by(case_id=family.id).one()
    family.closed_on = dt.date.today()
    bodies = []
    with app.test_request_context("/"):
        bodies.append(
            invitations._message(member, lead.user, "https://x.example/i", dt.datetime.now())[1]
        )
        bodies.append(_email_for(member, meeting, lead.user)[1])
        bodies.append(_family_message(family, member)[1])
        for kind in ("action-due", "action-overdue", "meeting-notice"):
            due = Due(family, member, kind, "s1", dt.date.today(), "Take the children to school")
            bodies.append(_message(due)[1])
        # The invitation to the next meeting, its update and its cancellation.
        arranged = schedule.Arranged(
            family,
            "meeting-1",
            "u",
            1,
            dt.date.today(),
            "10:00",
            "Family centre",
            reason="The room is not free.",
        )
        for method, update in (("REQUEST", False), ("REQUEST", True), ("CANCEL", False)):
            bodies.append(schedule._message(arranged, member, method, update)[1])
    for body in bodies:
        plain = re.sub(r"https?://\S+", "link", body)
        grade = textstat.flesch_kincaid_grade(text_of(plain))
        assert grade <= MAX_GRADE, f"grade {grade} for: {plain[:300]}"


def test_the_error_messages_a_family_meets_read_plainly(client, family):
    case_id = family.id
    shown = []
    views = client.post(f"/cases/{case_id}/plan/views", data={"views": "x" * 9000, "base": 1})
    shown += [li.get_text(strip=True) for li in page(views).select(".govuk-error-summary li")]
    receipt = client.post(
        f"/cases/{case_id}/meetings/1/receipt", data={"agrees": "no", "disagreement": " "}
    )
    shown += [li.get_text(strip=True) for li in page(receipt).select(".govuk-error-summary li")]
    client.post("/sign-out")
    signin = client.post("/sign-in", data={"email": "pat@example.org", "password": "wrong"})
    shown += [li.get_text(strip=True) for li in page(signin).select(".govuk-error-summary li")]
    assert len(shown) >= 3, shown
    grade = textstat.flesch_kincaid_grade(text_of("\n".join(shown)))
    assert grade <= MAX_GRADE, f"grade {grade} for: {shown}"
