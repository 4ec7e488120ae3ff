"""What needs attention across a person's cases: overdue and missing items, never hidden."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from coregroup.extensions import db
from coregroup.meetings import services as meetings
from coregroup.models import Case, Meeting, PlanVersion
from coregroup.plans import services as plans

SOON = dt.timedelta(days=7)
REVIEW_SOON = dt.timedelta(weeks=6)


@dataclass(frozen=True)
class Item:
    case: Case
    kind: str  # "overdue", "due", "attention"
    text: str
    url: str
    when: dt.date | None = None


def _day(day: dt.date) -> str:
    return format_date(day, "d MMMM yyyy")


def items_for(
    case: Case, today: dt.date, case_meetings=None, latest=None, prefetched: bool = False
) -> list[Item]:
    found: list[Item] = []
    if not prefetched:
        case_meetings = meetings.meetings(case)
        latest = plans.latest_version(case)
    timeline = meetings.timeline(case, case_meetings)
    meetings_url = url_for("meetings.index", case_id=case.id)

    due = timeline.next_core_group_due
    if due is not None:
        if due < today:
            found.append(
                Item(
                    case,
                    "overdue",
                    _("Core group meeting overdue since %(day)s", day=_day(due)),
                    meetings_url,
                    due,
                )
            )
        elif due - today <= SOON:
            found.append(
                Item(
                    case,
                    "due",
                    _("Core group meeting due by %(day)s", day=_day(due)),
                    meetings_url,
                    due,
                )
            )
    for meeting in case_meetings:
        if not meeting.is_completed:
            continue
        outstanding = meetings.circulation_outstanding(meeting)
        circulate_by = timeline.circulation_due.get(meeting.number)
        if outstanding and circulate_by:
            url = url_for("meetings.circulate", case_id=case.id, number=meeting.number)
            kind = "overdue" if circulate_by < today else "due"
            text = (
                ngettext(
                    "Plan and minutes of meeting %(number)s not sent to %(num)s member; "
                    "overdue since %(day)s",
                    "Plan and minutes of meeting %(number)s not sent to %(num)s members; "
                    "overdue since %(day)s",
                    len(outstanding),
                    number=meeting.number,
                    day=_day(circulate_by),
                )
                if kind == "overdue"
                else ngettext(
                    "Send the plan and minutes of meeting %(number)s to %(num)s member by %(day)s",
                    "Send the plan and minutes of meeting %(number)s to %(num)s members by %(day)s",
                    len(outstanding),
                    number=meeting.number,
                    day=_day(circulate_by),
                )
            )
            found.append(Item(case, kind, text, url, circulate_by))

    plan = latest.document if latest else {}
    for number, need in enumerate(plan.get("needs", []), start=1):
        for action in need.get("actions", []):
            url = url_for(
                "plans.location",
                case_id=case.id,
                section_id="needs",
                location=f"{need['id']}/actions/{action['id']}/when",
            )
            by_when = dt.date.fromisoformat(action["byWhen"]) if action.get("byWhen") else None
            if action.get("status") == "cannot-be-done":
                found.append(
                    Item(
                        case,
                        "attention",
                        _(
                            "Need %(number)s: an action cannot be done. Consider whether another "
                            "child protection conference is needed",
                            number=number,
                        ),
                        url,
                    )
                )
            elif by_when and by_when < today and action.get("status") != "done":
                found.append(
                    Item(
                        case,
                        "overdue",
                        _(
                            "Need %(number)s: “%(what)s” was due by %(day)s",
                            number=number,
                            what=action.get("what", ""),
                            day=_day(by_when),
                        ),
                        url,
                        by_when,
                    )
                )
    last_completed = next((m for m in reversed(case_meetings) if m.is_completed), None)
    if last_completed:
        reviews = last_completed.record.get("needsReview", {})
        if any(r.get("progress") == "cannot-be-carried-out" for r in reviews.values()):
            decision = last_completed.record.get("conferenceDecision")
            if decision == "request-conference":
                found.append(
                    Item(
                        case,
                        "attention",
                        _("The core group asked for another child protection conference"),
                        url_for("meetings.minutes", case_id=case.id, number=last_completed.number),
                    )
                )

    review = timeline.review_conference_due
    if review and review - today <= REVIEW_SOON:
        recommended = any(
            m.is_completed
            and m.kind == "last-before-review"
            and m.record.get("groupRecommendation", {}).get("recommendation")
            and (
                case.last_review_conference is None
                or (m.date and m.date > case.last_review_conference)
            )
            for m in case_meetings
        )
        if not recommended:
            found.append(
                Item(
                    case,
                    "overdue" if review < today else "attention",
                    _(
                        "Review conference due by %(day)s and the core group has made no "
                        "recommendation yet",
                        day=_day(review),
                    ),
                    meetings_url,
                    review,
                )
            )
    return found


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
    order = {"overdue": 0, "attention": 1, "due": 2}
    found = [
        item
        for case in cases
        for item in items_for(case, today, by_case[case.id], latest.get(case.id), True)
    ]
    return sorted(found, key=lambda i: (order[i.kind], i.when or today, i.case.reference))
