"""Every shipped language is complete, with the same placeholders as the English; nothing
translatable is missing from the catalogs; right-to-left languages read right to left."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from coregroup.i18n import TRANSLATIONS, WANTED, reviewed_flag, shipped
from tests.conftest import page

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))


def load(path):
    with path.open("rb") as handle:
        return read_po(handle)


def test_the_template_has_every_string_in_the_code_schemas_and_forms(tmp_path):
    out = tmp_path / "fresh.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(out),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    fresh = {m.id for m in load(out) if m.id}
    committed = {m.id for m in load(TRANSLATIONS / "messages.pot") if m.id}
    assert fresh == committed, (
        f"run `make translations`: new {sorted(fresh - committed)[:5]}, "
        f"gone {sorted(committed - fresh)[:5]}"
    )


@pytest.mark.parametrize("path", CATALOGS, ids=[p.parts[-3] for p in CATALOGS])
def test_each_catalog_is_complete_with_matching_placeholders(path):
    catalog = load(path)
    template = {m.id for m in load(TRANSLATIONS / "messages.pot") if m.id}
    messages = [m for m in catalog if m.id]
    assert {m.id for m in messages} == template, "run `make translations`"
    missing = [
        m.id for m in messages if not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    fuzzy = [m.id for m in messages if m.fuzzy]
    problems = [(m.id, str(e)) for m in messages for e in (m.check(catalog) or [])]
    assert not missing, f"{len(missing)} untranslated, e.g. {missing[:3]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:3]}"
    assert not problems, problems[:3]
    assert reviewed_flag(path) in ("yes", "no"), (
        "each catalog says in its header whether a qualified translator has reviewed it"
    )


# Placeholders that stand for a count: a sentence holding one needs ngettext, so each language
# can inflect the words around it (Welsh and Arabic have six forms, Polish three).
COUNTS = re.compile(r"%\((num|count|days|weeks|months|total|n)\)s")
# A label with a bare number after it ("Needs: 3"): no word to inflect.
NO_WORD_TO_INFLECT = {"%(list)s: %(count)s"}


def test_every_string_with_a_count_is_plural():
    template = load(TRANSLATIONS / "messages.pot")
    singular = [
        m.id
        for m in template
        if m.id and not m.pluralizable and COUNTS.search(m.id) and m.id not in NO_WORD_TO_INFLECT
    ]
    assert not singular, f"use ngettext for: {singular[:3]}"


@pytest.mark.parametrize("path", CATALOGS, ids=[p.parts[-3] for p in CATALOGS])
def test_each_catalogs_plural_rule_is_babels(path):
    """The header's rule is the current Babel's (CLDR's) for the language; Polish and
    Romanian keep gettext's three forms (CLDR's fourth is for fractions, never a count)."""
    from babel import Locale
    from babel.messages.plurals import get_plural
    from babel.plural import to_gettext

    catalog = load(path)
    code = str(catalog.locale)
    expected = (
        get_plural(code).plural_forms
        if code in ("pl", "ro")
        else to_gettext(Locale.parse(code).plural_form)
    )
    assert catalog.plural_forms == expected
    if code in ("cy", "ar"):
        assert catalog.num_plurals == 6


@pytest.mark.parametrize(
    "code, counts",
    [
        # Welsh: zero, one, two, few (3), many (6), other
        ("cy", {0: 0, 1: 1, 2: 2, 3: 3, 6: 4, 4: 5, 100: 5}),
        # Arabic: zero, one, two, few (3-10), many (11-99), other (100-102, ...)
        ("ar", {0: 0, 1: 1, 2: 2, 5: 3, 110: 3, 11: 4, 99: 4, 100: 5, 102: 5}),
        ("pl", {1: 0, 3: 1, 22: 1, 5: 2, 12: 2}),
    ],
)
def test_plural_forms_are_chosen_as_the_language_counts(code, counts):
    import gettext

    compiled = gettext.translation("messages", str(TRANSLATIONS), [code])  # what the app loads
    assert {n: compiled.plural(n) for n in counts} == counts


def test_every_wanted_language_is_shipped():
    assert shipped() == list(WANTED)


def test_the_language_switcher_translates_every_page_and_remembers(client, planned):
    case, _ = planned
    response = client.post("/language/cy?next=/cases/" + str(case.id))
    assert response.headers["Location"] == f"/cases/{case.id}"
    html = page(client.get(f"/cases/{case.id}"))
    assert html.html["lang"] == "cy"
    welsh = html.select_one(".govuk-summary-list__key").get_text(strip=True)
    assert welsh != "Initial conference"

    assert planned[1]["sam"].user.preferred_language == "cy"


def test_a_language_link_writes_no_account_setting(client, planned):
    """A GET (a link someone followed, a prefetch) changes this browser's language only."""
    case, members = planned
    response = client.get("/language/pl?next=/cases/" + str(case.id))
    assert response.headers["Location"] == f"/cases/{case.id}"
    assert page(client.get(f"/cases/{case.id}")).html["lang"] == "pl"
    assert members["sam"].user.preferred_language != "pl"


@pytest.mark.parametrize("code, direction", [("ar", "rtl"), ("ur", "rtl"), ("pl", "ltr")])
def test_right_to_left_languages(client, code, direction):
    html = page(client.get(f"/sign-in?lang={code}"))
    assert html.html["dir"] == direction and html.html["lang"] == code


def test_the_languages_page_says_honestly_which_are_not_reviewed(client):
    html = page(client.get("/languages"))
    rows = html.select("tbody tr")
    assert len(rows) == len(WANTED)
    shares = {r.select("td")[0]["lang"]: r.select("td")[2].get_text(strip=True) for r in rows}
    assert shares["en-GB"] == "Yes"
    assert shares["pl"] == "0% checked", "no string has been reviewed by a translator yet"


@pytest.mark.parametrize(
    "accept, code",
    [
        ("pl-PL,pl;q=0.9,en;q=0.5", "pl"),
        ("ar", "ar"),
        ("de-DE,fr;q=0.8", "en-GB"),  # nothing we ship: English
        ("", "en-GB"),
        ("pl;q=0.2,ro;q=0.7", "ro"),  # by the browser's order of preference
    ],
)
def test_a_first_visit_is_in_the_browsers_language(client, accept, code):
    html = page(client.get("/sign-in", headers={"Accept-Language": accept}))
    assert html.html["lang"] == code
