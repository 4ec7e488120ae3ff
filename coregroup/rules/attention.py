"""What the procedures say needs doing in a case, read from its record: meetings overdue or
due, plans and minutes not yet circulated, actions overdue or impossible, a conference asked
for, and a review conference with no recommendation yet. Words and links are the dashboard's
(coregroup.dashboard); what counts, and when, is here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

SOON_WORKING_DAYS = 5  # "due soon" means within five working days
REVIEW_SOON = dt.timedelta(weeks=6)


@dataclass(frozen=True)
class Finding:
    kind: str  # "overdue", "due" or "attention"
    code: str  # what was found, e.g. "core-group-overdue"
    when: dt.date | None = None
    meeting: int | None = None  # the meeting's number
    need: int | None = None  # the need's number in the plan, from 1
    location: str | None = None  # "<need id>/actions/<action id>/when"
    count: int = 0
    what: str = ""


@dataclass(frozen=True)
class Fact:
    """Something due in a case whatever the day: whether it shows, and how, depends on the day
    it is read (`classify`). Facts change only when the case is written, so they can be kept
    (coregroup.dueitems) and read for many cases at once."""

    code: str  # "core-group", "circulation", "action", "action-impossible", "conference-asked"
    # or "no-recommendation"
    when: dt.date | None = None
    meeting: int | None = None
    need: int | None = None
    location: str | None = None
    count: int = 0
    what: str = ""


ALWAYS = ("action-impossible", "conference-asked")  # need attention until someone acts


def findings(
    case,
    today: dt.date,
    timeline,
    case_meetings,
    plan: dict,
    outstanding: dict[int, int],
    requests=(),
    soon_by: dt.date | None = None,
) -> list[Finding]:
    """What needs doing in the case on `today` (see `facts`); `soon_by`: the last day that
    counts as due soon (five working days on)."""
    soon_by = soon_by or today + dt.timedelta(days=7)
    found = (
        classify(fact, today, soon_by)
        for fact in facts(case, timeline, case_meetings, plan, outstanding, requests)
    )
    return [finding for finding in found if finding is not None]


def classify(fact: Fact, today: dt.date, soon_by: dt.date) -> Finding | None:
    """The finding a fact makes on `today`, or None while it is not yet due soon. (The
    dashboard does the same in SQL: coregroup.dueitems.kind_of.)"""
    kind = None
    if fact.code in ALWAYS:
        kind = "attention"
    elif fact.when is not None and fact.when < today:
        kind = "overdue"
    elif fact.code in ("core-group", "circulation") and fact.when <= soon_by:
        kind = "due"
    elif fact.code == "no-recommendation" and fact.when - today <= REVIEW_SOON:
        kind = "attention"
    if kind is None:
        return None
    return Finding(
        kind,
        finding_code(fact.code, kind),
        fact.when,
        fact.meeting,
        fact.need,
        fact.location,
        fact.count,
        fact.what,
    )


def finding_code(fact_code: str, kind: str) -> str:
    """What a fact is found to be on the day it shows as `kind`."""
    return {
        "core-group": f"core-group-{kind}",
        "circulation": f"circulation-{kind}",
        "action": "action-overdue",
    }.get(fact_code, fact_code)


def facts(
    case, timeline, case_meetings, plan: dict, outstanding: dict[int, int], requests=()
) -> list[Fact]:
    """`timeline`: the case's due dates (meetings.services.timeline); `outstanding`: how many
    members still lack the plan and minutes of each completed meeting, by number; `requests`:
    the core group's requests for a conference that no conference has answered yet. A closed
    case asks only that its last plan and minutes reach everyone. A part of the plan that
    cannot be carried out needs a decision until a core group has made one about it."""
    found: list[Fact] = []
    if timeline.next_core_group_due is not None:
        found.append(Fact("core-group", timeline.next_core_group_due))

    for meeting in case_meetings:
        circulate_by = timeline.circulation_due.get(meeting.number)
        missing = outstanding.get(meeting.number, 0)
        if meeting.is_completed and missing and circulate_by:
            found.append(Fact("circulation", circulate_by, meeting.number, count=missing))

    if case.is_closed:
        return found
    decided = {
        part
        for m in case_meetings
        if m.is_completed and m.record.get("conferenceDecision")
        for part in m.record.get("decisionCovers", [])
    }
    for number, need in enumerate(plan.get("needs", []), start=1):
        for action in need.get("actions", []):
            location = f"{need['id']}/actions/{action['id']}/when"
            by_when = dt.date.fromisoformat(action["byWhen"]) if action.get("byWhen") else None
            if action.get("status") == "cannot-be-done":
                if action.get("id") in decided or need.get("id") in decided:
                    continue  # the core group decided about it (or its need): any request shows
                found.append(Fact("action-impossible", need=number, location=location))
            elif by_when and action.get("status") != "done":
                found.append(
                    Fact(
                        "action",
                        by_when,
                        need=number,
                        location=location,
                        what=action.get("what", ""),
                    )
                )

    for request in requests:
        found.append(Fact("conference-asked", request.requested_on, meeting=request.meeting_number))

    review = timeline.review_conference_due
    if review:
        recommended = any(
            m.is_completed
            and m.kind == "last-before-review"
            and (
                m.record.get("groupRecommendation", {}).get("recommendation")
                or m.record.get("childRecommendations")
            )
            and (
                case.last_review_conference is None
                or (m.date and m.date > case.last_review_conference)
            )
            for m in case_meetings
        )
        if not recommended:
            found.append(Fact("no-recommendation", review))
    return found
