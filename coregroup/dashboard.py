"""What needs attention across a person's cases: overdue and missing items, never hidden."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from coregroup import rules
from coregroup.cases import childplans
from coregroup.extensions import db
from coregroup.i18n import format_date, ngettext
from coregroup.i18n import gettext as _
from coregroup.meetings import services as meetings
from coregroup.models import Case, ConferenceRequest, Meeting, PlanVersion
from coregroup.plans import services as plans
from coregroup.rules.attention import SOON_WORKING_DAYS, Finding, findings


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


def items_for(
    case: Case,
    today: dt.date,
    case_meetings=None,
    latest=None,
    prefetched: bool = False,
    requests=None,
) -> list[Item]:
    if not prefetched:
        case_meetings = meetings.meetings(case)
        latest = plans.latest_version(case)
        requests = childplans.open_requests(case)
    outstanding = {
        m.number: len(meetings.circulation_outstanding(m)) for m in case_meetings if m.is_completed
    }
    timeline = meetings.timeline(case, case_meetings)
    plan = latest.document if latest else {}
    # "Due soon": within five working days, in the case's own jurisdiction.
    soon_by = rules.add_working_days(today, SOON_WORKING_DAYS, meetings.case_rules(case))
    return [
        Item(case, found.kind, _text(found), _url(case, found), found.when)
        for found in findings(
            case, today, timeline, case_meetings, plan, outstanding, requests or [], soon_by
        )
    ]


def items(cases: list[Case], today: dt.date) -> list[Item]:
    """Everything due across these cases, with a fixed number of queries however many cases."""
    ids = [case.id for case in cases]
    by_case: dict[int, list] = {case_id: [] for case_id in ids}
    for meeting in db.session.scalars(
        select(Meeting)
        .where(Meeting.case_id.in_(ids))
        .order_by(Meeting.number)
        .options(selectinload(Meeting.circulations))
    ):
        by_case[meeting.case_id].append(meeting)
    newest = (
        select(PlanVersion.case_id, func.max(PlanVersion.number).label("number"))
        .where(PlanVersion.case_id.in_(ids))
        .group_by(PlanVersion.case_id)
        .subquery()
    )
    latest = {
        v.case_id: v
        for v in db.session.scalars(
            select(PlanVersion).join(
                newest,
                (PlanVersion.case_id == newest.c.case_id) & (PlanVersion.number == newest.c.number),
            )
        )
    }
    asked: dict[int, list] = {case_id: [] for case_id in ids}
    for request in db.session.scalars(
        select(ConferenceRequest)
        .where(ConferenceRequest.case_id.in_(ids), ConferenceRequest.answered_by_id.is_(None))
        .order_by(ConferenceRequest.requested_on, ConferenceRequest.id)
    ):
        asked[request.case_id].append(request)
    # The next meetings as moved or cancelled, for all the cases in one query.
    db.session.scalars(
        select(Case).where(Case.id.in_(ids)).options(selectinload(Case.arranged_meetings))
    ).all()
    order = {"overdue": 0, "attention": 1, "due": 2}
    found = [
        item
        for case in cases
        for item in items_for(
            case, today, by_case[case.id], latest.get(case.id), True, asked[case.id]
        )
    ]
    return sorted(found, key=lambda i: (order[i.kind], i.when or today, i.case.reference))
