"""The family's pages are in plain English: a reading age of about 9 to 11.

Measured with the Flesch-Kincaid grade (textstat) on the words the family reads on each page of
their flow, with an empty plan, so only the product's own words are measured.
"""

import pytest
import textstat

from tests.conftest import make_case, make_member, make_user, page, sign_in

# US school grade 6 is a reading age of 11 to 12; the family's words must not be harder.
MAX_GRADE = 6.0


@pytest.fixture
def family(client, db):
    case = make_case()
    parent = make_user(name="Pat Parent", professional=False)
    make_member(case, parent, role="parent", ref="m-pat")
    make_member(case, make_user(name="Lee Lead"), role="lead-social-worker")
    sign_in(client, parent)
    return case


@pytest.mark.parametrize(
    "path",
    ["", "/plan", "/plan/your-views/your-views", "/plan/child-views/child-views", "/plan/read"],
)
def test_family_pages_read_at_a_reading_age_of_about_nine_to_eleven(client, family, path):
    html = page(client.get(f"/cases/{family.id}{path}"))
    main = html.select_one("main")
    for hidden in main.select(".govuk-visually-hidden, #live"):
        hidden.decompose()
    sentences = [s.strip() for s in main.get_text("\n").split("\n") if len(s.strip()) > 3]
    text = " ".join(s if s[-1] in ".?!:" else s + "." for s in sentences)
    grade = textstat.flesch_kincaid_grade(text)
    assert grade <= MAX_GRADE, f"grade {grade} for: {text[:400]}"
