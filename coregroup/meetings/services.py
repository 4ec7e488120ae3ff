"""Core group meetings: opening, recording, the checks before completing, and due dates."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from coregroup import document as docs
from coregroup import rules
from coregroup.extensions import db
from coregroup.flows import Flow, Section
from coregroup.models import Case, Circulation, Meeting, Member, User, utcnow
from coregroup.plans import services as plans
from coregroup.schema import Schema


def meeting_schema() -> Schema:
    return current_app.extensions["coregroup.schemas"]["core-group-meeting"]


def meeting_flow() -> Flow:
    return current_app.extensions["coregroup.flows"]["meeting"]


def case_rules(case: Case) -> rules.Profile:
    """The case's jurisdiction's rules, with anything the case overrides."""
    return rules.profile(case.jurisdiction).with_overrides(case.rule_overrides)


def meetings(case: Case) -> list[Meeting]:
    return list(
        db.session.scalars(
            select(Meeting).where(Meeting.case_id == case.id).order_by(Meeting.number)
        )
    )


def get_meeting(case: Case, number: int) -> Meeting | None:
    return db.session.scalar(
        select(Meeting).where(Meeting.case_id == case.id, Meeting.number == number)
    )


def open_meeting(case: Case, kind: str) -> Meeting:
    """Start the record of the next meeting, from the date, time and place set at the last one."""
    number = (
        db.session.scalar(
            select(func.coalesce(func.max(Meeting.number), 0)).where(Meeting.case_id == case.id)
        )
        + 1
    )
    record = {"schemaVersion": meeting_schema().version, "kind": kind}
    previous = get_meeting(case, number - 1)
    planned = (previous.record.get("nextMeeting", {}) if previous else {}) or {}
    if planned:
        record.update({k: planned[k] for k in ("date", "time", "location") if k in planned})
    elif case.first_core_group_on:
        record["date"] = case.first_core_group_on.isoformat()
    latest = plans.latest_version(case)
    meeting = Meeting(
        case_id=case.id,
        number=number,
        kind=kind,
        record=record,
        reviewed_plan_number=latest.number if latest else None,
    )
    db.session.add(meeting)
    return meeting


def update_record(meeting: Meeting, answers: dict[str, object], state=None, keep=None) -> dict:
    """Write one page's answers into the record, leaving every other answer as it is now.

    The row is read again under a write lock, so two people recording different pages of the
    same meeting at once both keep their answers. An answer to a question that someone else
    answered differently since the page was shown (`state`, a pages.PageState) is not written:
    it comes back (path -> the answer now in the record) for the person to choose; `keep`
    holds their choices for clashes the page showed (path -> "mine" or "theirs")."""
    from coregroup.plans.drafts import digest

    keep = keep or {}
    locked = db.session.scalar(
        select(Meeting).where(Meeting.id == meeting.id).with_for_update(key_share=True)
    )
    record = copy.deepcopy(locked.record)
    clashes = {}
    for path, value in answers.items():
        now = docs.get_path(record, path)
        shown = state.shown.get(path) if state is not None else None
        if shown is not None and digest(now) != shown:  # someone answered since it was shown
            if digest(value) != shown and value != now:
                clashes[path] = now  # and this person changed it too, differently
            continue
        if shown is not None and path in state.clashing and keep.get(path) == "theirs":
            continue  # their answer, already in the record, is kept
        docs.set_path(record, path, value)
    locked.record = record
    return clashes


# --- Which sections a meeting asks, and for whom ------------------------------------------------


def _needs(plan: dict) -> list[tuple[str, str]]:
    return [
        (need["id"], _("Need %(number)s: %(what)s", number=n, what=need.get("whatMustChange", "")))
        for n, need in enumerate(plan.get("needs", []), start=1)
    ]


def _people(refs: list[str], members: dict[str, Member]) -> list[tuple[str, str]]:
    return [
        (ref, f"{members[ref].name} ({members[ref].role_label})") for ref in refs if ref in members
    ]


@dataclass
class MeetingContext:
    """What the meeting's conditions and lists are worked out from."""

    meeting: Meeting
    plan: dict
    members: dict[str, Member]
    shown_record: dict | None = None  # the record as a family member may read it

    @property
    def record(self) -> dict:
        return self.meeting.record if self.shown_record is None else self.shown_record

    def progress(self) -> list[str]:
        reviews = self.record.get("needsReview", {})
        needs = {n for n, _label in _needs(self.plan)}
        return [r.get("progress") for k, r in reviews.items() if k in needs]


CONDITIONS = {
    "first": lambda c: c.meeting.kind == "first",
    "review": lambda c: c.meeting.kind != "first",
    "last-before-review": lambda c: c.meeting.kind == "last-before-review",
    # A need reviewed as "cannot be carried out", or a plan action that "cannot be done".
    "cannot-be-carried-out": lambda c: (
        "cannot-be-carried-out" in c.progress()
        or any(
            action.get("status") == "cannot-be-done"
            for need in c.plan.get("needs", [])
            for action in need.get("actions", [])
        )
    ),
    "apologies": lambda c: bool(c.record.get("apologies")),
}

SOURCES = {
    "plan-needs": lambda c: _needs(c.plan),
    "present": lambda c: _people(c.record.get("present", []), c.members),
    "apologies": lambda c: _people(c.record.get("apologies", []), c.members),
    # Every member makes a recommendation: those present, and those who sent apologies.
    "recommenders": lambda c: _people(
        c.record.get("present", [])
        + [r for r in c.record.get("apologies", []) if r not in c.record.get("present", [])],
        c.members,
    ),
}


def context_for(meeting: Meeting, reader: Member | None = None) -> MeetingContext:
    """`reader`: a family member reading the minutes sees the needs of their own children
    only (coregroup.plans.audience), and the reviews of those needs only."""
    case = meeting.case
    if meeting.is_completed and meeting.plan_number:
        version = plans.get_version(case, meeting.plan_number)
        plan = version.document if version else {}
    else:
        plan = plans.latest_document(case)[0]
    if reader is not None and reader.is_family:
        from coregroup.plans.audience import for_member

        plan = for_member(plans.plan_schema(), plan, reader)
        shown = {n.get("id") for n in plan.get("needs", [])}
        record = dict(meeting.record or {})
        if "needsReview" in record:
            record["needsReview"] = {k: v for k, v in record["needsReview"].items() if k in shown}
        return MeetingContext(meeting, plan, {m.ref: m for m in case.members}, record)
    return MeetingContext(meeting, plan, {m.ref: m for m in case.members})


def record_for(meeting: Meeting, reader: Member) -> dict:
    """The meeting's record as this member may read it: a family member does not see the
    reviews of needs that concern other children."""
    return context_for(meeting, reader).record


def applies(section: Section, ctx: MeetingContext) -> bool:
    return section.when is None or CONDITIONS[section.when](ctx)


def keys_for(section: Section, ctx: MeetingContext) -> list[tuple[str, str]]:
    return SOURCES[section.each](ctx) if section.each else []


# --- Checks a page or the whole meeting must pass -----------------------------------------------


def next_meeting_problems(
    meeting: Meeting, answers: dict, case: Case, today: dt.date
) -> dict[str, str]:
    """The next meeting must be after this one, not in the past, and within the agreed interval
    unless a reason is recorded."""
    problems: dict[str, str] = {}
    proposed = answers.get("nextMeeting/date")
    if not proposed:
        return problems
    proposed = dt.date.fromisoformat(proposed)
    held = meeting.date or today
    if proposed <= held:
        problems["nextMeeting/date"] = _("The next meeting must be after this meeting")
    elif proposed < today:
        problems["nextMeeting/date"] = _("The next meeting must be today or in the future")
    elif rules.needs_reason_for_date(
        held, proposed, case_rules(case), case.core_group_every_weeks
    ) and not answers.get("nextMeeting/reasonBeyondInterval"):
        due = rules.next_core_group_due(held, case_rules(case), case.core_group_every_weeks)
        problems["nextMeeting/reasonBeyondInterval"] = _(
            "The next meeting is after %(due)s, the latest date the procedures allow. "
            "Enter why it is later",
            due=format_day(due),
        )
    return problems


def page_schema_problems(meeting: Meeting, answers: dict) -> dict[str, str]:
    """The schema is the last word: this page's answers tried in a copy of the whole record."""
    from coregroup.schema import message_for, pointer

    schema = meeting_schema()
    trial = copy.deepcopy(meeting.record)
    for path, value in answers.items():
        docs.set_path(trial, path, value)
    by_pointer = {pointer(path.split("/")): path for path in answers}
    found = {}
    for error in schema.errors(trial):
        path = by_pointer.get(error.pointer)
        if path is not None and error.code != "required":
            found.setdefault(path, message_for(schema.at(path.split("/")), error))
    return found


def locate(pointer_text: str) -> tuple[str, str | None, str] | None:
    """The (section, key, page) of the meeting flow that asks the field at a JSON Pointer."""
    parts = pointer_text.strip("/").split("/")
    for section in meeting_flow().sections:
        for page in section.pages:
            for raw in page.fields:
                pattern = raw.split("/")
                if len(pattern) > len(parts):
                    continue
                key = None
                for want, got in zip(pattern, parts, strict=False):
                    if want == "{key}":
                        key = got
                    elif want != got:
                        break
                else:
                    return section.id, key, page.id
    return None


def format_day(day: dt.date) -> str:
    from flask_babel import format_date

    return format_date(day, "d MMMM yyyy")


@dataclass(frozen=True)
class Problem:
    """Something that must be put right before the meeting can be completed."""

    section_id: str
    key: str | None
    page_id: str
    message: str


def completion_problems(meeting: Meeting, today: dt.date) -> list[Problem]:
    """Everything the procedures require of this meeting that its record does not yet have."""
    ctx = context_for(meeting)
    record = meeting.record
    found: list[Problem] = []

    def need(section, page, message, key=None):
        found.append(Problem(section, key, page, message))

    if not record.get("date"):
        need("details", "when", _("Enter the date of the meeting"))
    for field, page, message in (
        ("chair", "chair", _("Select who is chairing the meeting")),
        ("minuteTaker", "minute-taker", _("Select who is taking the minutes")),
        ("present", "present", _("Select who is at the meeting")),
    ):
        if not record.get(field):
            need("people", page, message)
    if record.get("rolesConfirmed") != "yes":
        need("roles", "roles", _("Every member must know their role, tasks and timescales"))
    if meeting.kind == "first":
        if record.get("explainedToParents") != "yes":
            need(
                "first-plan",
                "parents",
                _(
                    "The causes of concern, what needs to change and the "
                    "contingency plan must be explained to the parents"
                ),
            )
    else:
        reviews = record.get("needsReview", {})
        for key, label in _needs(ctx.plan):
            if not reviews.get(key, {}).get("progress"):
                need("review", "progress", _("Review %(need)s", need=label), key)
        if {"not-on-track", "cannot-be-carried-out"} & set(ctx.progress()) and not record.get(
            "riskAnalysis"
        ):
            need("risk", "risk", _("Some needs are not on track: record the analysis of risk"))
    for ref, name in SOURCES["present"](ctx):
        if record.get("scores", {}).get(ref, {}).get("score") is None:
            need("scaling", "score", _("Record a scaling score for %(name)s", name=name), ref)
    if not record.get("evidenceOfChange"):
        need("contingency", "evidence", _("Select whether there is evidence of change"))
    elif record["evidenceOfChange"] == "no" and not record.get("contingencyPlanning"):
        need(
            "contingency",
            "evidence",
            _("There is no evidence of change: record the contingency planning"),
        )
    if CONDITIONS["cannot-be-carried-out"](ctx) and not (
        record.get("conferenceDecision") and record.get("conferenceDecisionReason")
    ):
        need(
            "conference",
            "decision",
            _(
                "Part of the plan cannot be carried out: record the "
                "decision on whether another conference is needed"
            ),
        )
    if meeting.kind == "last-before-review":
        for ref, name in SOURCES["recommenders"](ctx):
            if not record.get("recommendations", {}).get(ref, {}).get("recommendation"):
                need(
                    "recommendations",
                    "recommendation",
                    _("Record the recommendation of %(name)s", name=name),
                    ref,
                )
        if not record.get("groupRecommendation", {}).get("recommendation"):
            need("group-recommendation", "group", _("Record the core group's recommendation"))
    planned = record.get("nextMeeting", {})
    for field, message in (
        ("date", _("Enter the date of the next meeting")),
        ("time", _("Enter the time of the next meeting")),
        ("location", _("Enter where the next meeting will be")),
    ):
        if not planned.get(field):
            need("next", "next", message)
    answers = {f"nextMeeting/{k}": v for k, v in planned.items()}
    for message in next_meeting_problems(meeting, answers, meeting.case, today).values():
        need("next", "next", message)
    from coregroup.schema import message_for

    schema = meeting_schema()
    for error in schema.errors(record):
        where = locate(error.pointer) or ("details", None, "when")
        try:
            field_schema = schema.at(error.pointer.strip("/").split("/"))
        except KeyError:
            field_schema = {}
        label = _(field_schema.get("title", "")) if field_schema else ""
        text = message_for(field_schema, error)
        need(where[0], where[2], f"{label}: {text}" if label else text, where[1])
    return found


def complete(meeting: Meeting, user: User, today: dt.date) -> list[Problem]:
    """Close the meeting if nothing is missing; link the plan as it now stands."""
    problems = completion_problems(meeting, today)
    if problems:
        return problems
    latest = plans.latest_version(meeting.case)
    meeting.status = "completed"
    meeting.completed_at = utcnow()
    meeting.completed_by_id = user.id
    meeting.plan_number = latest.number if latest else None
    from coregroup.cases import childplans

    childplans.after_meeting(meeting, user)
    return []


# --- Due dates ------------------------------------------------------------------------------------


@dataclass
class Timeline:
    first_core_group_due: dt.date | None
    next_core_group_due: dt.date | None
    next_core_group_planned: dt.date | None
    review_conference_due: dt.date | None
    circulation_due: dict[int, dt.date]  # meeting number -> date

    def as_json(self) -> dict:
        def iso(day):
            return day.isoformat() if day else None

        return {
            "firstCoreGroupDue": iso(self.first_core_group_due),
            "nextCoreGroupDue": iso(self.next_core_group_due),
            "nextCoreGroupPlanned": iso(self.next_core_group_planned),
            "reviewConferenceDue": iso(self.review_conference_due),
            "circulationDue": {str(k): iso(v) for k, v in self.circulation_due.items()},
        }


def timeline(case: Case, case_meetings: list[Meeting]) -> Timeline:
    """The dates the rules give this case, from its conference and its completed meetings."""
    profile = case_rules(case)
    conference = case.initial_conference
    first_due = rules.first_core_group_due(conference, profile) if conference else None
    completed = [m for m in case_meetings if m.is_completed and m.date]
    # Meetings of the plans now running: a case opened again starts from its new conference.
    running = [m for m in completed if conference is None or m.date >= conference]
    if running:
        last = running[-1]
        next_due = rules.next_core_group_due(last.date, profile, case.core_group_every_weeks)
        planned = last.record.get("nextMeeting", {}).get("date")
        planned = dt.date.fromisoformat(planned) if planned else None
    else:
        next_due = first_due
        planned = case.first_core_group_on
    from coregroup.cases import childplans

    review_due = childplans.next_review_due(case)
    if case.is_closed:  # no plan runs: nothing more is due
        first_due = next_due = planned = None
    return Timeline(
        first_core_group_due=first_due,
        next_core_group_due=next_due,
        next_core_group_planned=planned,
        review_conference_due=review_due,
        circulation_due={m.number: rules.circulation_due(m.date, profile) for m in completed},
    )


def circulation_outstanding(meeting: Meeting) -> list[Member]:
    """Current members the plan and minutes have not yet reached."""
    reached = {c.member_id for c in meeting.circulations if c.error is None}
    return [m for m in meeting.case.members if m.is_current and m.id not in reached]


def record_circulation(
    meeting: Meeting,
    member: Member,
    method: str,
    user: User,
    address: str | None = None,
    error: str | None = None,
) -> Circulation:
    sent = Circulation(
        meeting_id=meeting.id,
        member_id=member.id,
        method=method,
        address=address,
        sent_by_id=user.id,
        error=error,
    )
    db.session.add(sent)
    return sent
