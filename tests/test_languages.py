"""Each language honest and right on the page: one digit system (CLDR's default, through
Babel), lists joined as the language joins them, typed words in their own direction, a notice on
every page and e-mail in a language no translator has checked, the translator's name on a
translation of the plan's words, and Welsh first in Wales."""

import datetime as dt
import re

from coregroup.i18n import digits, format_list
from tests.conftest import make_case, make_member, make_user, page, sign_in

BENGALI_DIGITS = re.compile("[\u09e6-\u09ef]")


def test_bengali_pages_write_every_number_in_bengali_digits(client, planned):
    case, members = planned
    html = page(client.get(f"/cases/{case.id}/plan/versions?lang=bn"))
    dates = [t.get_text() for t in html.select("main td, main dd, main li")]
    # Dates and counts the page formats carry Bengali digits, and no ASCII digit beside them.
    assert any(BENGALI_DIGITS.search(d) for d in dates), dates[:5]
    formatted = [d for d in dates if BENGALI_DIGITS.search(d)]
    assert not any(re.search("[0-9]", d) for d in formatted), formatted[:5]
    english = page(client.get(f"/cases/{case.id}/plan/versions?lang=en_GB"))
    assert not BENGALI_DIGITS.search(english.text)
    arabic = page(client.get(f"/cases/{case.id}/plan/versions?lang=ar"))
    # CLDR names Latin digits as Arabic's default (as Babel's data says): one system, 0-9.
    assert not re.search("[\u0660-\u0669\u06f0-\u06f9]", arabic.select_one("main").text)


def test_digits_follow_the_locales_default_numbering_system(app):
    with app.test_request_context("/"):
        assert digits("7 December 2026, 12", "bn") == "৭ December ২০২৬, ১২"
        assert digits("12", "ar") == "12" and digits("12", "ur") == "12"


def test_lists_are_joined_as_each_language_joins_them(app):
    from flask_babel import force_locale

    with app.test_request_context("/"):
        with force_locale("en_GB"):
            assert format_list(["Amira", "Yusuf", "Sara"]) == "Amira, Yusuf and Sara"
        with force_locale("ar"):
            # Right to left, each item is isolated, so English names keep their direction.
            assert format_list(["أ", "ب", "ج"]) == "\u2068أ\u2069 و\u2068ب\u2069 و\u2068ج\u2069"
        with force_locale("pl"):
            assert format_list(["a", "b", "c"]) == "a, b i c"


def test_typed_words_keep_their_own_direction(client, planned):
    case, members = planned
    html = page(client.get(f"/cases/{case.id}/plan/read?lang=ar"))
    answers = html.select("main .govuk-summary-list__value")
    typed = [a for a in answers if re.search("[A-Za-z]", a.get_text())]  # the plan is in English
    assert typed and all(a.select_one("[dir=auto]") for a in typed)
    titles = html.select("main .govuk-summary-card__title")
    assert titles and all(t.get("dir") == "auto" for t in titles)
    form = page(client.get(f"/cases/{case.id}/plan/aims/aims?lang=ar"))
    assert form.select_one("textarea")["dir"] == "auto"


def test_each_page_in_an_unchecked_language_says_so_once_with_a_way_to_english(client, planned):
    case, _ = planned
    html = page(client.get(f"/cases/{case.id}/plan/read?lang=pl"))
    notices = html.select(".app-machine-notice")
    assert len(notices) == 1
    link = notices[0].select_one("a")
    assert link["href"] == f"/cases/{case.id}/plan/read?lang=en_GB"
    assert notices[0].get_text(strip=True) != "", "in Polish, in plain words"
    assert "computer" not in notices[0].get_text(), "in the page's own language"
    english = page(client.get(link["href"]))
    assert not english.select(".app-machine-notice") and english.html["lang"] == "en-GB"


def test_e_mails_in_an_unchecked_language_say_so(app, db):
    from flask_babel import force_locale

    from coregroup.cases import invitations

    case = make_case()
    lead = make_user(name="Lee Lead")
    make_member(case, lead, role="lead-social-worker", ref="m-lee")
    parent = make_member(case, None, role="parent", ref="m-pat", name="Pat", language="pl")
    english = make_member(case, None, role="parent", ref="m-kim", name="Kim", language="en_GB")
    expires = dt.datetime.now()
    with app.test_request_context("/"):
        polish = invitations._message(parent, lead, "https://x.example/i", expires)[1]
        plain = invitations._message(english, lead, "https://x.example/i", expires)[1]
        with force_locale("pl"):
            from coregroup.i18n import email_notice

            notice = email_notice().strip()
    assert notice and notice in polish
    assert "translated by a computer" not in polish
    assert "translated by a computer" not in plain


def test_welsh_is_offered_first_in_wales(client, db):
    case = make_case(jurisdiction="wales")
    lead = make_user(name="Lee Lead")
    make_member(case, lead, role="lead-social-worker", ref="m-lee")
    sign_in(client, lead)
    html = page(client.get(f"/cases/{case.id}/members"))
    switcher = [b.get("lang") for b in html.select(".app-languages [lang]")]
    assert switcher[0] == "cy", switcher
    choices = [i["value"] for i in html.select("input[name=language]")]
    assert choices[0] == "cy", choices
    label = html.select_one("label[for=language]")
    assert label["lang"] == "cy"
    assert "care and support protection plan" in html.select_one("footer").text
    england = make_case(jurisdiction="england")
    make_member(england, lead, role="lead-social-worker", ref="m-lee2")
    other = page(client.get(f"/cases/{england.id}/members"))
    assert [i["value"] for i in other.select("input[name=language]")][0] == "en_GB"
    assert "child protection plan" in other.select_one("footer").text


def test_a_wales_case_explains_its_plans_name(client, db):
    case = make_case(jurisdiction="wales")
    parent = make_user(name="Pat Parent", professional=False)
    make_member(case, parent, role="parent", ref="m-pat")
    make_member(case, make_user(name="Lee Lead"), role="lead-social-worker", ref="m-lee")
    sign_in(client, parent)
    html = page(client.get(f"/cases/{case.id}?lang=cy"))
    glossary = html.select_one(".app-glossary").text
    assert "cynllun amddiffyn gofal a chymorth" in glossary.lower()


def test_bengali_numbers_in_labels_times_and_charts_are_bengali_too(client, planned, db):
    """The review found "Need 1" and "10:00" in 0-9 beside Bengali dates."""
    case, members = planned
    html = page(client.get(f"/cases/{case.id}/plan/read?lang=bn"))
    titles = [t.get_text(strip=True) for t in html.select(".govuk-summary-card__title")]
    assert titles and not any(re.search("[0-9]", t) for t in titles if "Need" not in t), titles
    assert any(BENGALI_DIGITS.search(t) for t in titles), titles
    triangle = page(client.get(f"/cases/{case.id}?lang=bn")).select("svg text")
    counts = [t.get_text() for t in triangle if t.get_text().strip().isdigit()]
    assert counts and all(BENGALI_DIGITS.search(c) for c in counts), counts


def test_a_time_of_day_is_written_by_babel_in_the_pages_digits(app):
    from flask_babel import force_locale

    from coregroup.plans.presenters import TIME_PATTERN, display

    with app.test_request_context("/"):
        with force_locale("bn"):
            assert display({"pattern": TIME_PATTERN}, "10:00", {}) == "১০:০০ AM"
        with force_locale("en_GB"):
            assert display({"pattern": TIME_PATTERN}, "14:30", {}) == "14:30"


def test_a_language_link_holds_through_a_redirect(client, planned):
    case, _ = planned
    client.get("/cases?lang=ar")
    moved = client.get(f"/cases/{case.id}/plan/aims?lang=en_GB")
    assert moved.status_code in (301, 302, 303, 308)
    html = page(client.get(moved.headers["Location"]))
    assert html.html["lang"] == "en-GB"


def test_a_wales_case_calls_its_plan_by_its_wales_name(client, db):
    case = make_case(jurisdiction="wales")
    lead = make_user(name="Lee Lead")
    make_member(case, lead, role="lead-social-worker", ref="m-lee")
    sign_in(client, lead)
    html = page(client.get(f"/cases/{case.id}/plan"))
    assert html.select_one("h1").get_text(strip=True) == "Care and support protection plan"
    welsh = page(client.get(f"/cases/{case.id}/plan?lang=cy"))
    assert welsh.select_one("h1").get_text(strip=True) == "Cynllun amddiffyn gofal a chymorth"
