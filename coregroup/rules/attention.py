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
    """`timeline`: the case's due dates (meetings.services.timeline); `outstanding`: how many
    members still lack the plan and minutes of each completed meeting, by number; `requests`:
    the core group's requests for a conference that no conference has answered yet;
    `soon_by`: the last day that counts as due soon (five working days on). A closed case asks
    only that its last plan and minutes reach everyone. A part of the plan that cannot be
    carried out needs a decision until a core group has made one about it."""
    found: list[Finding] = []
    soon_by = soon_by or today + dt.timedelta(days=7)
    due = timeline.next_core_group_due
    if due is not None and due < today:
        found.append(Finding("overdue", "core-group-overdue", due))
    elif due is not None and due <= soon_by:
        found.append(Finding("due", "core-group-due", due))

    for meeting in case_meetings:
        circulate_by = timeline.circulation_due.get(meeting.number)
        missing = outstanding.get(meeting.number, 0)
        if meeting.is_completed and missing and circulate_by:
            kind = "overdue" if circulate_by < today else "due"
            if kind == "due" and circulate_by > soon_by:
                continue
            found.append(
                Finding(kind, f"circulation-{kind}", circulate_by, meeting.number, count=missing)
            )

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
                found.append(
                    Finding("attention", "action-impossible", need=number, location=location)
                )
            elif by_when and by_when < today and action.get("status") != "done":
                found.append(
                    Finding(
                        "overdue",
                        "action-overdue",
                        by_when,
                        need=number,
                        location=location,
                        what=action.get("what", ""),
                    )
                )

    for request in requests:
        found.append(
            Finding(
                "attention",
                "conference-asked",
                request.requested_on,
                meeting=request.meeting_number,
            )
        )

    review = timeline.review_conference_due
    if review and review - today <= REVIEW_SOON:
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
            kind = "overdue" if review < today else "attention"
            found.append(Finding(kind, "no-recommendation", review))
    return found
