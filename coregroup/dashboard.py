"""What needs attention across a person's cases: overdue and missing items, never hidden."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import url_for
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from coregroup import access, dueitems, rules
from coregroup.extensions import db
from coregroup.i18n import format_date, ngettext
from coregroup.i18n import gettext as _
from coregroup.models import Case, DueItem
from coregroup.rules.attention import SOON_WORKING_DAYS, Finding, classify, finding_code


@dataclass(frozen=True)
class Item:
    case: Case
    kind: str  # "overdue", "due", "attention"
    text: str
    url: str
    when: dt.date | None = None


def _day(day: dt.date) -> str:
    return format_date(day, "d MMMM yyyy")


def _text(found: Finding) -> str:
    """What a finding says, in the reader's language."""
    day = _day(found.when) if found.when else ""
    if found.code == "core-group-overdue":
        return _("Core group meeting overdue since %(day)s", day=day)
    if found.code == "core-group-due":
        return _("Core group meeting due by %(day)s", day=day)
    if found.code == "circulation-overdue":
        return ngettext(
            "Plan and minutes of meeting %(number)s not sent to %(num)s member; "
            "overdue since %(day)s",
            "Plan and minutes of meeting %(number)s not sent to %(num)s members; "
            "overdue since %(day)s",
            found.count,
            number=found.meeting,
            day=day,
        )
    if found.code == "circulation-due":
        return ngettext(
            "Send the plan and minutes of meeting %(number)s to %(num)s member by %(day)s",
            "Send the plan and minutes of meeting %(number)s to %(num)s members by %(day)s",
            found.count,
            number=found.meeting,
            day=day,
        )
    if found.code == "action-impossible":
        return _(
            "Need %(number)s: an action cannot be done. Consider whether another "
            "child protection conference is needed",
            number=found.need,
        )
    if found.code == "action-overdue":
        return _(
            "Need %(number)s: “%(what)s” was due by %(day)s",
            number=found.need,
            what=found.what,
            day=day,
        )
    if found.code == "conference-asked":
        return _(
            "The core group asked for another child protection conference on %(day)s. No "
            "conference has been recorded since",
            day=day,
        )
    if found.code == "no-recommendation":
        return _(
            "Review conference due by %(day)s and the core group has made no recommendation yet",
            day=day,
        )
    raise ValueError(found.code)


def _url(case: Case, found: Finding) -> str:
    if found.code.startswith("circulation-"):
        return url_for("meetings.circulate", case_id=case.id, number=found.meeting)
    if found.code.startswith("action-"):
        return url_for(
            "plans.location", case_id=case.id, section_id="needs", location=found.location
        )
    if found.code == "conference-asked":
        return url_for("cases.children", case_id=case.id)
    return url_for("meetings.index", case_id=case.id)


def items_for(case: Case, today: dt.date) -> list[Item]:
    """What needs doing in one case on `today`, read from its records."""
    from coregroup.meetings import services as meetings

    (found,) = dueitems.read([case])
    # "Due soon": within five working days, in the case's own jurisdiction.
    soon_by = rules.add_working_days(today, SOON_WORKING_DAYS, meetings.case_rules(case))
    shown = (classify(fact, today, soon_by) for fact in found.facts)
    return [Item(case, f.kind, _text(f), _url(case, f), f.when) for f in shown if f is not None]


PER_PAGE = 25
KINDS = ("overdue", "attention", "due")


@dataclass(frozen=True)
class Page:
    cases: int  # how many cases the reader is a professional member of
    counts: dict[str, int]  # by kind, across all of them
    items: list[Item]  # this page's, what needs attention first
    number: int
    pages: int
    kind: str | None  # only this kind, or every kind


def page(user, today: dt.date, number: int = 1, kind: str | None = None) -> Page:
    """One page of what needs doing across the person's cases: overdue first, then what needs a
    decision, then what is due soon; each by date. A fixed number of queries, none reading a
    plan, however many cases (the rows are kept by coregroup.dueitems)."""
    mine = access.professional_case_ids(user, today)
    cases, places = 0, []
    for place, count in db.session.execute(
        select(Case.jurisdiction, func.count()).where(Case.id.in_(mine)).group_by(Case.jurisdiction)
    ):
        cases += count
        places.append(place)
    if not cases:
        return Page(0, dict.fromkeys(KINDS, 0), [], 1, 1, kind)
    kind_of = dueitems.kind_of(today, dueitems.soon_by(places, today)).label("kind")
    shown = (
        select(DueItem, Case.reference, kind_of)
        .join(Case, DueItem.case_id == Case.id)
        .where(DueItem.case_id.in_(mine))
        .subquery()
    )
    counts = dict.fromkeys(KINDS, 0)
    for found_kind, count in db.session.execute(
        select(shown.c.kind, func.count()).where(shown.c.kind.is_not(None)).group_by(shown.c.kind)
    ):
        counts[found_kind] = count
    total = counts[kind] if kind else sum(counts.values())
    pages = max(1, -(-total // PER_PAGE))
    number = min(number, pages)
    rank = case(*((shown.c.kind == k, n) for n, k in enumerate(KINDS)))
    rows = db.session.execute(
        select(shown)
        .where(shown.c.kind == kind if kind else shown.c.kind.is_not(None))
        .order_by(rank, func.coalesce(shown.c.due_on, today), shown.c.reference, shown.c.id)
        .limit(PER_PAGE)
        .offset((number - 1) * PER_PAGE)
    ).all()
    named = {
        c.id: c
        for c in db.session.scalars(
            select(Case)
            .where(Case.id.in_({row.case_id for row in rows}))
            .options(selectinload(Case.children))
        )
    }
    items = []
    for row in rows:
        found = Finding(
            row.kind,
            finding_code(row.code, row.kind),
            row.due_on,
            row.meeting_number,
            row.need_number,
            row.location,
            row.count,
            row.what or "",
        )
        owner = named[row.case_id]
        items.append(Item(owner, found.kind, _text(found), _url(owner, found), found.when))
    return Page(cases, counts, items, number, pages, kind)
