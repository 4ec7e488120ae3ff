"""A translator's review: the export shows where each string appears and the English around it;
an import writes what passes the checks and marks it reviewed; a review lapses by itself when
the English or the translation changes afterwards. Each test works on a copy of a catalog."""

from __future__ import annotations

import datetime as dt
import io
import shutil

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

from coregroup import translation_review as review
from coregroup.i18n import TRANSLATIONS

LANG = "cy"
LANGUAGES = "Languages"  # templates/languages.html: its heading, the page's first string
PLACEHOLDER = "%(category)s is not a category under these procedures"
PLURAL = "%(num)s week"
TODAY = dt.date(2027, 1, 15)


@pytest.fixture(scope="module")
def sources():
    """The source strings with their places, extracted once (it reads every template)."""
    return review.extract_sources()


@pytest.fixture
def root(tmp_path):
    """A translations directory holding a copy of the Welsh catalog and the template."""
    copy = tmp_path / "translations"
    (copy / LANG / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(TRANSLATIONS / LANG / "LC_MESSAGES" / "messages.po", copy / LANG / "LC_MESSAGES")
    shutil.copy(TRANSLATIONS / "messages.pot", copy)
    return copy


def catalog_file(root):
    return root / LANG / "LC_MESSAGES" / "messages.po"


def current(root, msgid):
    return review.load(catalog_file(root)).get(msgid)


def exported(root, sources) -> Catalog:
    return read_po(io.BytesIO(review.export(LANG, root, sources=sources)))


def returned(root, sources, changes: dict, fuzzy=()) -> bytes:
    """A translator's file holding only the strings in `changes`, each {msgid: new msgstr or
    None to keep the current one}, as a tool writes it back."""
    full = exported(root, sources)
    out = Catalog(locale=full.locale)
    out.mime_headers = full.mime_headers
    for msgid, string in changes.items():
        message = full.get(msgid)
        flags = message.flags | ({"fuzzy"} if msgid in fuzzy else set())
        out[message.id] = Message(
            message.id,
            message.string if string is None else string,
            flags=flags,
            context=message.context,
        )
    buffer = io.BytesIO()
    write_po(buffer, out)
    return buffer.getvalue()


def import_(root, data, reviewer="Ann Jones, ITI (Welsh)"):
    return review.import_reviewed(LANG, data, reviewer, root, today=TODAY)


def test_the_export_gives_each_string_its_page_and_the_english_around_it(root, sources):
    catalog = exported(root, sources)
    message = catalog.get(LANGUAGES)
    comments = message.auto_comments

    assert "Page: templates/languages.html" in comments
    assert "English before: (none)" in comments
    after = next(c for c in comments if c.startswith("English after: "))
    assert after.startswith("English after: Core Group is written in English")
    assert "Reviewed: no" in comments
    assert message.string == current(root, LANGUAGES).string
    assert not message.fuzzy
    assert "python-format" in catalog.get(PLACEHOLDER).flags
    assert {m.id for m in catalog if m.id} == {
        m.id for m in review.load(catalog_file(root)) if m.id
    }
    assert "make translations-import LANG=cy" in catalog.header_comment


def test_the_export_says_where_schema_and_form_strings_are(root, sources):
    kinds = {
        comment.split(":", 1)[0]
        for message in exported(root, sources)
        for comment in message.auto_comments
    }
    assert {"Page", "Code", "Schema", "Form"} <= kinds


def test_a_corrected_translation_is_written_and_marked_reviewed(root, sources):
    report = import_(root, returned(root, sources, {LANGUAGES: "Yr ieithoedd"}))

    assert report.ok
    assert report.imported == [LANGUAGES] and report.changed == [LANGUAGES]
    assert current(root, LANGUAGES).string == "Yr ieithoedd"
    assert review.review_counts(LANG, root)[0] == 1
    entry = review.load_record(LANG, root)[review.key(current(root, LANGUAGES))]
    assert entry["by"] == "Ann Jones, ITI (Welsh)" and entry["on"] == "2027-01-15"
    reviewed = exported(root, sources).get(LANGUAGES)
    assert "Reviewed: yes, by Ann Jones, ITI (Welsh) on 2027-01-15" in reviewed.auto_comments


def test_the_rest_of_the_catalog_is_written_as_it_was(root, sources):
    before = catalog_file(root).read_text("utf-8")
    import_(root, returned(root, sources, {LANGUAGES: "Yr ieithoedd"}))
    after = catalog_file(root).read_text("utf-8")

    assert after == before.replace('msgstr "Ieithoedd"', 'msgstr "Yr ieithoedd"', 1)


def test_a_whole_file_returned_unchanged_marks_everything_reviewed_and_changes_nothing(
    root, sources
):
    before = catalog_file(root).read_bytes()
    report = import_(root, review.export(LANG, root, sources=sources))

    assert report.ok and not report.changed
    assert catalog_file(root).read_bytes() == before
    assert review.review_share(LANG, root) == 1.0


@pytest.mark.parametrize(
    "translation, reason",
    [
        ("Nid yw %(categori)s yn gategori", "unknown named placeholder"),
        ("Nid yw hwn yn gategori o dan y gweithdrefnau hyn", "placeholder %(category)s is missing"),
    ],
)
def test_a_placeholder_mismatch_is_refused_and_the_catalog_unchanged(
    root, sources, translation, reason
):
    before = catalog_file(root).read_bytes()
    report = import_(root, returned(root, sources, {PLACEHOLDER: translation}))

    assert not report.ok
    assert [msgid for msgid, _ in report.refused] == [PLACEHOLDER]
    assert reason in report.refused[0][1]
    assert catalog_file(root).read_bytes() == before
    assert review.review_counts(LANG, root)[0] == 0


def test_a_plural_missing_a_form_is_refused(root, sources):
    message = current(root, PLURAL)
    short = tuple(message.string[:-1])
    report = import_(root, returned(root, sources, {PLURAL: short}))

    assert not report.ok and "plural form" in report.refused[0][1]


def test_a_fuzzy_string_is_neither_imported_nor_reviewed(root, sources):
    data = returned(root, sources, {LANGUAGES: "Ieithoedd?"}, fuzzy={LANGUAGES})
    report = import_(root, data)

    assert report.ok and not report.imported
    assert "fuzzy" in report.skipped[0][1]
    assert current(root, LANGUAGES).string == "Ieithoedd"
    assert review.review_counts(LANG, root)[0] == 0


def change_english(root, old, new):
    """What `make translations` does when the English of a string is rewritten."""
    catalog = review.load(catalog_file(root))
    message = catalog.get(old)
    del catalog[old]
    catalog[new] = Message(new, message.string, flags=message.flags)
    review.save(catalog, catalog_file(root))


def test_a_reviewed_string_whose_english_changes_is_unreviewed(root, sources):
    data = returned(root, sources, {LANGUAGES: None})
    import_(root, data)
    assert review.review_counts(LANG, root)[0] == 1

    change_english(root, LANGUAGES, "Languages we offer")

    assert review.review_counts(LANG, root)[0] == 0
    report = import_(root, data)
    assert report.refused == [(LANGUAGES, "English changed or removed, not imported")]


def test_a_reviewed_plural_whose_english_plural_changes_is_unreviewed(root, sources):
    import_(root, returned(root, sources, {PLURAL: None}))
    assert review.review_counts(LANG, root)[0] == 1

    catalog = review.load(catalog_file(root))
    message = catalog.get(PLURAL)
    message.id = (message.id[0], "%(num)s weeks' time")
    review.save(catalog, catalog_file(root))

    assert review.review_counts(LANG, root)[0] == 0


def test_a_translation_changed_after_the_review_is_unreviewed(root, sources):
    import_(root, returned(root, sources, {LANGUAGES: None}))
    catalog = review.load(catalog_file(root))
    catalog.get(LANGUAGES).string = "Ieithoedd eraill"
    review.save(catalog, catalog_file(root))

    assert review.review_counts(LANG, root)[0] == 0
    assert "Reviewed: no" in exported(root, sources).get(LANGUAGES).auto_comments


def test_the_share_reviewed_goes_from_none_to_the_strings_reviewed(root, sources):
    reviewed, total = review.review_counts(LANG, root)
    assert reviewed == 0 and review.review_share(LANG, root) == 0.0

    import_(root, returned(root, sources, {LANGUAGES: None, PLACEHOLDER: None, PLURAL: None}))

    assert review.review_counts(LANG, root) == (3, total)
    assert review.review_share(LANG, root) == pytest.approx(3 / total)
    assert review.review_share("en_GB", root) == 1.0


def test_not_yet_reviewed_strings_come_first_in_the_export(root, sources):
    import_(root, returned(root, sources, {LANGUAGES: None}))
    ids = [m.id for m in exported(root, sources) if m.id]

    assert ids[-1] == LANGUAGES


def test_a_file_for_another_language_is_refused_whole(root, sources):
    data = returned(root, sources, {LANGUAGES: "Języki"}).replace(b"Language: cy", b"Language: pl")
    before = catalog_file(root).read_bytes()

    with pytest.raises(ValueError, match="not cy"):
        import_(root, data)
    assert catalog_file(root).read_bytes() == before


def test_an_unknown_language_is_refused(root):
    with pytest.raises(ValueError):
        review.export("../cy", root)
    with pytest.raises(ValueError):
        review.import_reviewed("xx", b"", "Someone", root)


def test_the_commands_round_trip(app, root, tmp_path):
    if "translations-export" not in app.cli.commands:
        review.register_cli(app)
    app.config["COREGROUP_TRANSLATIONS"] = str(root)
    runner = app.test_cli_runner()
    out = tmp_path / "cy-for-review.po"

    result = runner.invoke(args=["translations-export", LANG, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "0 reviewed" in result.output

    result = runner.invoke(
        args=["translations-import", LANG, str(out), "--reviewer", "Ann Jones, ITI (Welsh)"]
    )
    assert result.exit_code == 0, result.output
    assert "Reviewed now: " in result.output and "(100%)" in result.output

    text = out.read_text("utf-8").replace(
        'msgstr "Nid yw %(category)s', 'msgstr "Nid yw %(categori)s', 1
    )
    out.write_text(text, "utf-8")
    result = runner.invoke(args=["translations-import", LANG, str(out), "--reviewer", "Ann"])
    assert result.exit_code == 1
    assert "Refused, not imported: 1" in result.output
