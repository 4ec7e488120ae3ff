"""Plain words for the procedure's own words, shown beside them where a family meets them.

A family member reads "core group", "conference" or "scaling score" on their pages; each page
that uses such a word lists it (`glossary_terms` in the template), and the page shows a short
"What do these words mean?" with just those words explained in its language. The English is
kept below a reading age of about 11 (tests/test_plain_language.py, which also checks that no
page uses one of these words without its explanation).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Term:
    word: object  # a lazy string: the word as the page writes it
    meaning: object
    # The English forms that count as using the word (for the plain-language test).
    forms: tuple[str, ...]


TERMS = {
    "core-group": Term(
        _l("Core group"),
        _l(
            "The family and the people who work with them to keep the children safe. "
            "They meet often to check the plan."
        ),
        ("core group",),
    ),
    "conference": Term(
        _l("Conference"),
        _l(
            "A big meeting that decides if a child needs a plan to keep them safe. "
            "A review conference looks at the plan again later."
        ),
        ("conference",),
    ),
    "contingency": Term(
        _l("Contingency plan"),
        _l("What will happen if things do not get better, or if the plan is not followed."),
        ("contingency",),
    ),
    "triangle": Term(
        _l("My World Triangle"),
        _l(
            "A way to look at a child's whole life in three parts: how the child is growing, "
            "what the child needs from the people who care for them, and the world around them."
        ),
        ("my world triangle",),
    ),
    "scaling": Term(
        _l("Scaling score"),
        _l(
            "A number from 0 to 10 for how safe the child is now. 0 means not safe at all. "
            "10 means safe enough for the plan to end."
        ),
        ("scaling",),
    ),
    "minutes": Term(
        _l("Minutes"),
        _l("The written notes of a meeting: who came, what was said and what was decided."),
        ("minutes",),
    ),
    "version": Term(
        _l("Version"),
        _l("Each time the plan is saved, it gets a new number. The old ones are kept."),
        ("version",),
    ),
    # Wales: the Wales Safeguarding Procedures' name for the plan (rules profile "wales").
    "plan-wales": Term(
        _l("Care and support protection plan"),
        _l("The name in Wales for the plan that keeps a child safe. It is the plan on this page."),
        ("care and support protection plan",),
    ),
}


def terms(keys) -> list[Term]:
    """The terms a page lists, in the order it lists them."""
    return [TERMS[key] for key in keys]
