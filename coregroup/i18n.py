"""The languages Core Group ships, how complete each is, and whether a translator checked it."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import flask_babel
from babel import Locale
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
# English (the source), Welsh (the Welsh Language Standards), then the most spoken main
# languages after English in the 2021 census of England and Wales.
WANTED = ("en_GB", "cy", "pl", "ro", "pa", "ur", "ar", "bn")


@cache  # safe: a shipped catalog does not change while the process runs
def catalog_status(code: str) -> dict:
    """Percentage translated, and the share a qualified translator has reviewed (string by
    string, coregroup/translation_review.py): a language is "reviewed" only when all of it is."""
    if code == "en_GB":
        return {"percent": 100, "reviewed": True, "reviewed_percent": 100}
    path = TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {"percent": 0, "reviewed": False, "reviewed_percent": 0}
    with path.open("rb") as handle:
        catalog = read_po(handle)
    messages = [m for m in catalog if m.id]
    done = [
        m
        for m in messages
        if not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    from coregroup.translation_review import review_counts

    reviewed, total = review_counts(code)
    return {
        "percent": round(100 * len(done) / max(len(messages), 1)),
        # Rounded down: 99.9% reviewed is not "all of it".
        "reviewed_percent": 100 * reviewed // max(total, 1),
        "reviewed": reviewed == total,
    }


def reviewed_flag(path: Path) -> str | None:
    """The catalog header's "# Reviewed by a qualified translator: yes|no" line, or None.

    A header comment, because pybabel update keeps those (it drops unknown header fields)."""
    head = path.read_text("utf-8").split("msgid", 1)[0]
    found = re.search(r"^# Reviewed by a qualified translator:\s*(\w+)", head, re.MULTILINE)
    return found[1].lower() if found else None


def shipped() -> list[str]:
    """The wanted languages whose catalog is complete and compiled: only these are offered."""
    return [
        code
        for code in WANTED
        if code == "en_GB"
        or (
            catalog_status(code)["percent"] == 100
            and (TRANSLATIONS / code / "LC_MESSAGES" / "messages.mo").exists()
        )
    ]


def own_name(code: str) -> str:
    """A language's name in itself: "Cymraeg", "Polski", "العربية"."""
    name = Locale.parse(code).get_display_name(code)
    return name[:1].upper() + name[1:]


# The first digit of each numbering system a shipped language may name as its default (CLDR's
# numberingSystems data, which Babel does not ship): the other nine follow it in Unicode.
ZEROS = {"latn": "0", "arab": "\u0660", "arabext": "\u06f0", "beng": "\u09e6", "guru": "\u0a66"}


def _digit_table(code: str) -> dict[int, str]:
    system = Locale.parse(code).default_numbering_system
    zero = ord(ZEROS.get(system, "0"))
    return {ord("0") + n: chr(zero + n) for n in range(10)}


def digits(text: str, locale=None) -> str:
    """`text` (a date or number Babel formatted) in the digits CLDR names as the locale's
    default: Bengali's own for Bengali, 0-9 for the others we ship. One system per page."""
    from flask_babel import get_locale

    locale = locale or get_locale()
    return text.translate(_digit_table(str(locale))) if locale else text


def format_date(*args, **kwargs) -> str:
    return digits(flask_babel.format_date(*args, **kwargs))


def format_datetime(*args, **kwargs) -> str:
    return digits(flask_babel.format_datetime(*args, **kwargs))


def format_time(*args, **kwargs) -> str:
    return digits(flask_babel.format_time(*args, **kwargs))


def format_number(number) -> str:
    return digits(flask_babel.format_decimal(number))


format_decimal = format_number


def format_timedelta(*args, **kwargs) -> str:
    return digits(flask_babel.format_timedelta(*args, **kwargs))


def format_list(items, style: str = "standard") -> str:
    """Items joined as the language joins them ("a, b and c", "a، b و c"), by Babel."""
    from babel.lists import format_list as babel_format_list

    locale = flask_babel.get_locale() or Locale.parse("en_GB")
    words = [str(item) for item in items]
    if locale.character_order == "right-to-left":
        # Each item isolated (U+2068 ... U+2069): "Amira Hassan" in an Arabic list keeps its
        # own direction, and the list's "و" stays between the names, not inside one.
        words = [f"\u2068{word}\u2069" for word in words]
    return babel_format_list(words, style, locale=locale)


def with_digits(variables: dict) -> dict:
    """A message's placeholders, with every number written in the page's digits."""
    return {
        name: format_number(value)
        if isinstance(value, int) and not isinstance(value, bool)
        else value
        for name, value in variables.items()
    }


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """flask_babel.ngettext, with the count and every number in the page's digits."""
    chosen = flask_babel.get_domain().get_translations().ungettext(singular, plural, num)
    return chosen % with_digits({"num": num, **variables})


def gettext(string: str, **variables) -> str:
    return flask_babel.gettext(string, **with_digits(variables))


def machine_translated(locale=None) -> bool:
    """Whether the page's language is a draft no qualified translator has fully reviewed."""
    from flask_babel import get_locale

    code = str(locale or get_locale() or "en_GB")
    return code in WANTED and not catalog_status(code)["reviewed"]


def email_notice() -> str:
    """The honest line an e-mail in an unreviewed language ends with ("" in English): in the
    e-mail's own language, so call it where the e-mail is written (inside force_locale)."""
    from coregroup.i18n import gettext as _

    if not machine_translated():
        return ""
    return (
        "\n"
        + _(
            "This e-mail was translated by a computer. A translator has not checked it yet, so "
            "some words may be wrong. The link opens the page, where you can also read it in "
            "English."
        )
        + "\n"
    )
