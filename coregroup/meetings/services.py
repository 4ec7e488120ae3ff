"""Core group meetings: opening, recording, the checks before completing, and due dates."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from coregroup import document as docs
from coregroup import rules
from coregroup.extensions import db
from coregroup.flows import Flow, Section
from coregroup.i18n import gettext as _
from coregroup.models import Case, Circulation, Meeting, Member, User, utcnow
from coregroup.plans import services as plans
from coregroup.rules import procedure
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


def open_meeting_of(case: Case) -> Meeting | None:
    """The meeting being recorded now, if one is."""
    return db.session.scalar(
        select(Meeting)
        .where(Meeting.case_id == case.id, Meeting.status == "open")
        .order_by(Meeting.number)
        .limit(1)
    )


def running_meetings(case: Case, case_meetings: list[Meeting] | None = None) -> list[Meeting]:
    """Completed meetings of the plans now running: a case opened again starts from its new
    conference, and its next meeting is a first core group again."""
    conference = case.initial_conference
    return [
        m
        for m in (case_meetings if case_meetings is not None else meetings(case))
        if m.is_completed and m.date and (conference is None or m.date >= conference)
    ]


def open_meeting(case: Case) -> Meeting:
    """Start the record of the next meeting, from the date, time and place set at the last one.
    Only one meeting is recorded at a time: one already started is carried on."""
    started = open_meeting_of(case)
    if started is not None:
        return started
    number = (
        db.session.scalar(
            select(func.coalesce(func.max(Meeting.number), 0)).where(Meeting.case_id == case.id)
        )
        + 1
    )
    done = running_meetings(case)
    kind = "subsequent" if done else "first"
    record = {"schemaVersion": meeting_schema().version, "kind": kind}
    from coregroup.meetings import schedule

    arranged = schedule.arranged(case)  # the date, time and place set, as moved since
    if arranged is not None and not arranged.cancelled:
        record["date"] = arranged.date.isoformat()
        record.update(
            {k: v for k, v in (("time", arranged.time), ("location", arranged.location)) if v}
        )
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


def abandon(meeting: Meeting, user: User, member: Member, reason: str) -> None:
    """A started meeting that will not be held (or was recorded by mistake) is kept, with why,
    who and when; it is no longer asked for, and the next meeting is started afresh."""
    record = copy.deepcopy(meeting.record)
    record["abandoned"] = {
        "reason": reason,
        "on": dt.date.today().isoformat(),
        "by": member.ref,
    }
    record["schemaVersion"] = meeting_schema().version
    meeting.record = record
    meeting.status = "abandoned"
    from coregroup import audit

    audit.record("meeting-abandoned", f"meeting {meeting.number}", user.id, meeting.case_id)


def kind_of(meeting: Meeting, case_meetings: list[Meeting] | None = None) -> str:
    """What this meeting is, worked out from the record (coregroup.rules.procedure): kept as
    it was for a completed meeting."""
    if meeting.status != "open":
        return meeting.kind
    case = meeting.case
    done = [
        m
        for m in running_meetings(case, case_meetings)
        if m.id != meeting.id and (meeting.date is None or m.date <= meeting.date)
    ]
    planned = (meeting.record or {}).get("nextMeeting", {}).get("date")
    from coregroup.cases import childplans

    return procedure.meeting_kind(
        is_first=not done,
        held_on=meeting.date,
        next_meeting=dt.date.fromisoformat(planned) if planned else None,
        review_due=childplans.next_review_due(case),
        interval_weeks=rules.interval_weeks(case_rules(case), case.core_group_every_weeks),
    )


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
    record["schemaVersion"] = meeting_schema().version  # a 1.0.0 record carries on as 1.1.0
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
    kind: str = "subsequent"  # worked out: kind_of
    only_children: set[str] | None = None  # a family reader's own children (refs)

    @property
    def record(self) -> dict:
        return self.meeting.record if self.shown_record is None else self.shown_record

    def progress(self) -> list[str]:
        reviews = self.record.get("needsReview", {})
        needs = {n for n, _label in _needs(self.plan)}
        return [r.get("progress") for k, r in reviews.items() if k in needs]

    def apologies(self) -> list[str]:
        present = self.record.get("present", [])
        return [r for r in self.record.get("apologies", []) if r not in present]

    def children_on_plan(self) -> list[tuple[str, str]]:
        """The children with a plan running, each recommended for at the last core group
        before review (a family reader: their own children only)."""
        return [
            (child.ref, child.name)
            for child in self.meeting.case.children
            if child.current_plan is not None
            and (self.only_children is None or child.ref in self.only_children)
        ]

    def parents_present(self) -> bool:
        return any(
            self.members[ref].role in ("parent", "carer")
            for ref in self.record.get("present", [])
            if ref in self.members
        )

    def late_first(self) -> bool:
        case = self.meeting.case
        if self.kind != "first" or self.meeting.date is None or case.initial_conference is None:
            return False
        due = rules.first_core_group_due(case.initial_conference, case_rules(case))
        return procedure.late_first_core_group(self.meeting.date, due)


CONDITIONS = {
    "first": lambda c: c.kind == "first",
    "first-with-parents": lambda c: c.kind == "first" and c.parents_present(),
    "first-without-parents": lambda c: c.kind == "first" and not c.parents_present(),
    "late-first": lambda c: c.late_first(),
    "review": lambda c: c.kind != "first",
    "last-before-review": lambda c: c.kind == "last-before-review",
    # One recommendation for the one child on a plan; one for each child when there are more.
    "last-before-review-one-child": lambda c: (
        c.kind == "last-before-review" and len(c.children_on_plan()) <= 1
    ),
    "last-before-review-children": lambda c: (
        c.kind == "last-before-review" and len(c.children_on_plan()) > 1
    ),
    "last-before-review-apologies": lambda c: (
        c.kind == "last-before-review" and bool(c.apologies())
    ),
    # A need reviewed as "cannot be carried out", or a plan action that "cannot be done".
    "cannot-be-carried-out": lambda c: bool(cannot_be_carried_out(c)),
    "apologies": lambda c: bool(c.apologies()),
}

SOURCES = {
    "plan-needs": lambda c: _needs(c.plan),
    "present": lambda c: _people(c.record.get("present", []), c.members),
    "apologies": lambda c: _people(c.apologies(), c.members),
    "children-on-plan": lambda c: c.children_on_plan(),
}


def cannot_be_carried_out(ctx: MeetingContext) -> list[str]:
    """The ids of needs reviewed as "cannot be carried out" and of actions that "cannot be
    done": the parts of the plan the core group must decide about."""
    reviews = ctx.record.get("needsReview", {})
    shown = {n for n, _label in _needs(ctx.plan)}
    found = [
        k for k, r in reviews.items() if k in shown and r.get("progress") == "cannot-be-carried-out"
    ]
    found += [
        action["id"]
        for need in ctx.plan.get("needs", [])
        for action in need.get("actions", [])
        if action.get("status") == "cannot-be-done"
    ]
    return found


def context_for(meeting: Meeting, reader: Member | None = None) -> MeetingContext:
    """`reader`: a family member reading the minutes sees the needs of their own children
    only (coregroup.plans.audience), and the reviews of those needs only."""
    case = meeting.case
    if meeting.is_completed and meeting.plan_number:
        version = plans.get_version(case, meeting.plan_number)
        plan = version.document if version else {}
    else:
        plan = plans.latest_document(case)[0]
    members = {m.ref: m for m in case.members}
    kind = kind_of(meeting)
    if reader is not None and reader.is_family:
        from coregroup.plans.audience import for_member

        plan = for_member(plans.plan_schema(), plan, reader)
        shown = {n.get("id") for n in plan.get("needs", [])}
        record = dict(meeting.record or {})
        if "needsReview" in record:
            record["needsReview"] = {k: v for k, v in record["needsReview"].items() if k in shown}
        own = {c.ref for c in reader.children}
        if "childRecommendations" in record:
            record["childRecommendations"] = {
                k: v for k, v in record["childRecommendations"].items() if k in own
            }
        return MeetingContext(meeting, plan, members, record, kind=kind, only_children=own)
    return MeetingContext(meeting, plan, members, kind=kind)


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


def attendance_problems(meeting: Meeting, answers: dict) -> dict[str, str]:
    """Who came, checked on the page that says it: nobody both at the meeting and sending
    apologies, and the chair and minute taker among those present."""
    if not {"present", "apologies"} & set(answers):
        return {}
    trial = {**meeting.record, **answers}
    field = "apologies" if "apologies" in answers else "present"
    found = {}
    for finding in procedure.attendance(trial):
        if finding.key is None and finding.field == "apologies":
            found[field] = finding.message
        elif finding.key is None and field == "present":
            found.setdefault("present", finding.message)
    return found


def roles_problems(meeting: Meeting, answers: dict) -> dict[str, str]:
    """ "Every member knows their role" cannot be said while the plan gives someone none."""
    if answers.get("rolesConfirmed") != "yes":
        return {}
    plan = plans.latest_document(meeting.case)[0]
    missing = [g for g in plan_gaps(meeting.case, plan) if g.rule == "roles"]
    if not missing:
        return {}
    return {
        "rolesConfirmed": _(
            "The plan does not give everyone a role yet: %(what)s",
            what="; ".join(g.message for g in missing),
        )
    }


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
    from coregroup.i18n import format_date

    return format_date(day, "d MMMM yyyy")


@dataclass(frozen=True)
class Problem:
    """Something that must be put right before the meeting can be completed: on a page of the
    meeting's record, or (`plan_pointer`) in the plan itself."""

    section_id: str
    key: str | None
    page_id: str
    message: str
    plan_pointer: str | None = None


def plan_gaps(case: Case, plan: dict) -> list[procedure.Gap]:
    return procedure.plan_gaps(plan, plans.roles_needed(case))


# Where the meeting's record asks each field the procedure rules name.
_FIELD_PAGES = {
    "present": ("people", "present"),
    "apologies": ("people", "apologies"),
    "explained": ("first-plan", "parents"),
    "explainLater/how": ("first-plan-later", "later"),
    "explainLater/by": ("first-plan-later", "later"),
}


def completion_problems(meeting: Meeting, today: dt.date) -> list[Problem]:
    """Everything the procedures require of this meeting that its record, or the plan, does
    not yet have (coregroup.rules.procedure says what, from the content)."""
    ctx = context_for(meeting)
    record = meeting.record
    found: list[Problem] = []

    def need(section, page, message, key=None):
        found.append(Problem(section, key, page, message))

    if not record.get("date"):
        need("details", "when", _("Enter the date of the meeting"))
    elif meeting.date > today:
        need(
            "details",
            "when",
            _(
                "The meeting is dated %(day)s, which is in the future. A meeting can only be "
                "completed once it has been held",
                day=format_day(meeting.date),
            ),
        )
    if ctx.late_first() and not procedure.has_words(record.get("lateReason")):
        due = rules.first_core_group_due(meeting.case.initial_conference, case_rules(meeting.case))
        need(
            "late",
            "late",
            _(
                "The first core group is late: it was due by %(day)s. Enter why",
                day=format_day(due),
            ),
        )
    for field, page, message in (
        ("chair", "chair", _("Select who is chairing the meeting")),
        ("minuteTaker", "minute-taker", _("Select who is taking the minutes")),
        ("present", "present", _("Select who is at the meeting")),
    ):
        if not record.get(field):
            need("people", page, message)
    for finding in procedure.attendance(record):
        if finding.key:
            need("updates", "update", finding.message, finding.key)
        else:
            need(*_FIELD_PAGES[finding.field], finding.message)
    for gap in plan_gaps(meeting.case, ctx.plan):
        found.append(Problem("plan", None, "plan", gap.message, plan_pointer=gap.pointer))
    if ctx.kind == "first":
        for finding in procedure.explained_to_parents(record, ctx.parents_present(), meeting.date):
            need(*_FIELD_PAGES[finding.field], finding.message)
    if ctx.kind != "first":
        reviews = record.get("needsReview", {})
        for key, label in _needs(ctx.plan):
            if not reviews.get(key, {}).get("progress"):
                need("review", "progress", _("Review %(need)s", need=label), key)
        if {"not-on-track", "cannot-be-carried-out"} & set(
            ctx.progress()
        ) and not procedure.has_words(record.get("riskAnalysis")):
            need("risk", "risk", _("Some needs are not on track: record the analysis of risk"))
    for ref, name in SOURCES["present"](ctx):
        if record.get("scores", {}).get(ref, {}).get("score") is None:
            need("scaling", "score", _("Record a scaling score for %(name)s", name=name), ref)
    if not record.get("evidenceOfChange"):
        need("contingency", "evidence", _("Select whether there is evidence of change"))
    elif record["evidenceOfChange"] == "no":
        if not procedure.has_words(record.get("contingencyPlanning")):
            need(
                "contingency",
                "evidence",
                _("There is no evidence of change: record the contingency planning"),
            )
        if not plan_changed_during(meeting) and not procedure.has_words(
            record.get("planUnchangedReason")
        ):
            need(
                "contingency",
                "evidence",
                _(
                    "There is no evidence of change, so the plan must be updated to say what "
                    "happens next. Save a new version of the plan, or enter why it stays as it is"
                ),
            )
    if cannot_be_carried_out(ctx) and not (
        record.get("conferenceDecision")
        and procedure.has_words(record.get("conferenceDecisionReason"))
    ):
        need(
            "conference",
            "decision",
            _(
                "Part of the plan cannot be carried out: record the "
                "decision on whether another conference is needed"
            ),
        )
    if ctx.kind == "last-before-review":
        for ref, name in SOURCES["present"](ctx):
            if not record.get("recommendations", {}).get(ref, {}).get("recommendation"):
                need(
                    "recommendations",
                    "recommendation",
                    _("Record the recommendation of %(name)s", name=name),
                    ref,
                )
        children = ctx.children_on_plan()
        if len(children) > 1:
            given = record.get("childRecommendations", {})
            for ref, name in children:
                if not given.get(ref, {}).get("recommendation"):
                    need(
                        "child-recommendations",
                        "recommendation",
                        _("Record the core group's recommendation for %(name)s", name=name),
                        ref,
                    )
        elif not record.get("groupRecommendation", {}).get("recommendation"):
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


def plan_changed_during(meeting: Meeting) -> bool:
    """The core group changed the plan since the meeting began: the latest version differs
    from the one the meeting started from in more than the family's own views and the
    translations (an edit undone again is no change)."""
    from coregroup.plans.diff import changes

    latest = plans.latest_version(meeting.case)
    if latest is None or latest.number <= (meeting.reviewed_plan_number or 0):
        return False
    started = plans.get_version(meeting.case, meeting.reviewed_plan_number or 0)
    before = started.document if started else plans.empty_document()
    return any(
        not change.path.startswith(("/familyViews", "/translations"))
        for change in changes(before, latest.document)
    )


def warnings(meeting: Meeting) -> list[str]:
    """What the procedures would flag, without stopping the meeting: a next meeting set on or
    after the date the review conference is due."""
    from coregroup.cases import childplans

    found = []
    planned = (meeting.record or {}).get("nextMeeting", {}).get("date")
    review = childplans.next_review_due(meeting.case)
    if planned and review and dt.date.fromisoformat(planned) >= review:
        found.append(
            _(
                "The next meeting, on %(next)s, is on or after the date the review conference "
                "is due (%(review)s). This is the last core group before the review, so every "
                "member's recommendation is asked for.",
                next=format_day(dt.date.fromisoformat(planned)),
                review=format_day(review),
            )
        )
    return found


def complete(meeting: Meeting, user: User, today: dt.date) -> list[Problem]:
    """Close the meeting if nothing is missing; link the plan as it now stands, and keep what
    the meeting turned out to be and what its decision about a conference covered."""
    problems = completion_problems(meeting, today)
    if problems:
        return problems
    ctx = context_for(meeting)
    record = copy.deepcopy(meeting.record)
    record["kind"] = ctx.kind
    if record.get("conferenceDecision"):
        record["decisionCovers"] = sorted(set(cannot_be_carried_out(ctx)))
    record["schemaVersion"] = meeting_schema().version
    meeting.record = record
    meeting.kind = ctx.kind
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
    else:
        next_due = first_due
    from coregroup.meetings import schedule

    arranged = schedule.arranged(case, case_meetings)  # as set, and as moved since
    planned = arranged.date if arranged and not arranged.cancelled else None
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
    """Members at the time of the meeting, still members now, whom the plan and minutes have
    not yet reached. Someone who joined later is given the plan when they join, not these
    minutes' circulation."""
    reached = {c.member_id for c in meeting.circulations if c.error is None}
    return [
        m
        for m in meeting.case.members
        if m.is_current and m.id not in reached and member_at(m, meeting)
    ]


def member_at(member: Member, meeting: Meeting) -> bool:
    """Whether `member` was in the core group on the day of the meeting."""
    return meeting.date is None or member.joined_on is None or member.joined_on <= meeting.date


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
