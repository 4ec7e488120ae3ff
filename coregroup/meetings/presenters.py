"""How a meeting reads: section status, the minutes in words, changes to the plan, calendar."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import icalendar
from flask import current_app

from coregroup.document import get_path
from coregroup.flows import Section
from coregroup.i18n import gettext as _
from coregroup.meetings import services
from coregroup.plans import services as plans
from coregroup.plans.diff import changes
from coregroup.plans.presenters import (
    COMPLETED,
    IN_PROGRESS,
    NOT_STARTED,
    describe_changes,
    display,
)


def scale_hint() -> str:
    """What 0 and 10 mean on the scaling tool: wording set per deployment."""
    low = current_app.config["COREGROUP_SCALE_ZERO"]
    high = current_app.config["COREGROUP_SCALE_TEN"]
    return _("0 means: %(low)s. 10 means: %(high)s.", low=_(low), high=_(high))


# Answers the minutes show only when given: asked only sometimes, or one of two ways to answer.
ONLY_WHEN_GIVEN = {"reasonBeyondInterval", "noUpdate", "planUnchangedReason", "lateReason"}


def _answered(record: dict, section: Section, key: str | None) -> list[bool]:
    out = []
    for page in section.pages:
        for raw in page.fields:
            path = raw.replace("{key}", key or "")
            field_schema = services.meeting_schema().at(path.split("/"))
            if "x-show-if" in field_schema:
                continue  # asked only sometimes: not counted for the section's status
            value = get_path(record, path)
            out.append(value not in (None, "", []))
    return out


def _status(answered: list[bool], problems: bool) -> str:
    """Not started until something is answered; completed once nothing the procedures ask of
    it is missing (the completion checks, not merely every field filled)."""
    if not any(answered):
        return NOT_STARTED
    return IN_PROGRESS if problems else COMPLETED


def _problems(ctx: services.MeetingContext) -> set[tuple[str, str | None]]:
    """(section, key) of everything completion would refuse now: a section is not completed
    while it has one."""
    import datetime as dt

    found = services.completion_problems(ctx.meeting, dt.date.today())
    return {(p.section_id, p.key) for p in found} | {(p.section_id, None) for p in found}


@dataclass
class SectionStatus:
    section: Section
    status: str


def section_statuses(ctx: services.MeetingContext) -> list[SectionStatus]:
    problems = _problems(ctx)
    found = []
    for section in services.meeting_flow().sections:
        if not services.applies(section, ctx):
            continue
        missing = (section.id, None) in problems
        if section.each:
            keys = services.keys_for(section, ctx)
            answered = [a for key, _label in keys for a in _answered(ctx.record, section, key)]
            status = _status(answered, missing) if keys else NOT_STARTED
        else:
            status = _status(_answered(ctx.record, section, None), missing)
        found.append(SectionStatus(section, status))
    return found


@dataclass
class KeyStatus:
    key: str
    label: str
    status: str


def key_statuses(section: Section, ctx: services.MeetingContext) -> list[KeyStatus]:
    problems = _problems(ctx)
    return [
        KeyStatus(
            key,
            label,
            _status(_answered(ctx.record, section, key), (section.id, key) in problems),
        )
        for key, label in services.keys_for(section, ctx)
    ]


@dataclass
class MinutesRow:
    label: str
    value: str


@dataclass
class MinutesSection:
    title: str
    rows: list[MinutesRow] = field(default_factory=list)


def minutes(ctx: services.MeetingContext) -> list[MinutesSection]:
    """The record in words, section by section, as the flow asked it."""
    schema = services.meeting_schema()
    names = {ref: f"{m.name} ({m.role_label})" for ref, m in ctx.members.items()}
    out = [
        MinutesSection(
            _("Meeting"),
            [
                MinutesRow(
                    _(schema.at(["kind"])["title"]),
                    display(schema.at(["kind"]), ctx.kind, names),
                )
            ],
        )
    ]
    changed = membership_changes(ctx.meeting)
    if changed.rows:
        out.append(changed)
    for section in services.meeting_flow().sections:
        if not services.applies(section, ctx):
            continue
        part = MinutesSection(_(section.title))
        keys = services.keys_for(section, ctx) if section.each else [(None, None)]
        for key, key_label in keys:
            for page in section.pages:
                for raw in page.fields:
                    path = raw.replace("{key}", key or "")
                    field_schema = schema.at(path.split("/"))
                    value = get_path(ctx.record, path)
                    if value is None and (
                        "x-show-if" in field_schema or path.split("/")[-1] in ONLY_WHEN_GIVEN
                    ):
                        continue
                    label = _(field_schema.get("title", path))
                    if key_label:
                        label = f"{key_label} — {label}"
                    # An absent member's score or recommendation they did not send is theirs
                    # to give: "not given", never a gap in the record.
                    missing = _("Not given") if section.each == "apologies" else _("Not recorded")
                    shown = display(field_schema, value, names) or missing
                    part.rows.append(MinutesRow(label, shown))
        if section.id == "first-plan" and "explainedToParents" in ctx.record:  # a 1.0.0 record
            field_schema = schema.at(["explainedToParents"])
            part.rows.append(
                MinutesRow(
                    _(field_schema["title"]),
                    display(field_schema, ctx.record["explainedToParents"], names),
                )
            )
        out.append(part)
    return out


def membership_changes(meeting) -> MinutesSection:
    """Who joined, left, or took over as lead social worker since the core group last met (or
    since the initial conference), up to this meeting's day: the seeds' co-opted members and
    changes of social worker, on the record."""
    from coregroup.cases import handovers

    case = meeting.case
    earlier = [
        m.date for m in services.meetings(case) if m.number < meeting.number and m.date is not None
    ]
    after = max(earlier) if earlier else case.initial_conference
    until = meeting.date or dt.date.today()

    def within(day):
        return day is not None and (after is None or day > after) and day <= until

    # (day, then joined before a hand-over before a departure, then the order recorded, text)
    found: list[tuple[dt.date, int, int, str]] = []
    for h in handovers.between(case, after, until):
        text = _(
            "%(from)s handed the lead social worker role to %(to)s.",
            **{"from": h.from_member.name, "to": h.to_member.name},
        )
        found.append((h.on, 1, h.id, text))
    for m in case.members:
        if within(m.joined_on):
            text = _("%(name)s (%(role)s) joined.", name=m.name, role=m.role_label)
            found.append((m.joined_on, 0, m.id, text))
        if within(m.left_on):
            text = _("%(name)s (%(role)s) left.", name=m.name, role=m.role_label)
            found.append((m.left_on, 2, m.id, text))
    return MinutesSection(
        _("Changes to the core group since the last meeting"),
        [MinutesRow(services.format_day(day), text) for day, _o, _i, text in sorted(found)],
    )


def plan_changes(meeting, case):
    """What changed in the plan since the last core group: the plan it left, against now."""
    earlier = [m for m in services.meetings(case) if m.is_completed and m.number < meeting.number]
    before_number = earlier[-1].plan_number if earlier else meeting.reviewed_plan_number
    after_number = meeting.plan_number if meeting.is_completed else None
    before = plans.get_version(case, before_number) if before_number else None
    after = plans.get_version(case, after_number) if after_number else plans.latest_version(case)
    if before is None or after is None:
        return None
    members = {m.ref: f"{m.name} ({m.role_label})" for m in case.members}
    found = changes(before.document, after.document)
    rows = describe_changes(plans.plan_schema(), found, before.document, after.document, members)
    return {"from": before.number, "to": after.number, "rows": rows}


def ics(meeting, host: str) -> bytes | None:
    """A calendar invitation for the next meeting this one set (icalendar)."""
    planned = meeting.record.get("nextMeeting", {})
    if not planned.get("date"):
        return None
    day = dt.date.fromisoformat(planned["date"])
    try:
        hours, minutes_ = (int(x) for x in (planned.get("time") or "").split(":"))
        start = dt.datetime(day.year, day.month, day.day, hours, minutes_)
    except ValueError:
        start = dt.datetime(day.year, day.month, day.day, 10, 0)  # a time was not recorded
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Core Group//coregroup//EN")
    calendar.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", f"core-group-{meeting.case_id}-{meeting.number + 1}@{host}")
    event.add("dtstamp", dt.datetime.now(dt.UTC))
    event.add("dtstart", start)
    event.add("dtend", start + dt.timedelta(hours=1, minutes=30))
    event.add("summary", _("Core group meeting"))
    if planned.get("location"):
        event.add("location", planned["location"])
    event.add("description", _("The next core group meeting. Please bring the latest plan."))
    calendar.add_component(event)
    return calendar.to_ical()


@dataclass
class ScorePoint:
    number: int
    date: dt.date | None
    average: float
    scores: list[tuple[str, int]]  # (who, score)
    x: float = 0
    y: float = 0


def score_series(case_meetings, members) -> list[ScorePoint]:
    """Scaling scores meeting by meeting: each member's and the average, placed on a chart."""
    names = {m.ref: m.name for m in members}
    points = []
    for meeting in case_meetings:
        scores = [
            (names.get(ref, "?"), s["score"])
            for ref, s in meeting.record.get("scores", {}).items()
            if s.get("score") is not None
        ]
        if meeting.is_completed and scores:
            average = sum(score for _who, score in scores) / len(scores)
            points.append(ScorePoint(meeting.number, meeting.date, round(average, 1), scores))
    left, width, top, height = 40, 560, 10, 200
    step = width / max(len(points) - 1, 1)
    for n, point in enumerate(points):
        point.x = left + (n * step if len(points) > 1 else width / 2)
        point.y = top + height - point.average / 10 * height
    return points


@dataclass
class NeedContext:
    """What the chair reviews a need against, on the same page as the question (the seeds:
    "each identified need against the intended outcome, the individual responsible for the
    action and within the identified timescale")."""

    what: str
    outcome: str
    measured: str
    actions: list[dict]  # what, who, by, status
    earlier: list[dict]  # number, date, progress, comment: this need at earlier meetings
    scores: list[ScorePoint]  # the scaling trend, meeting by meeting


def need_context(ctx: services.MeetingContext, key: str) -> NeedContext | None:
    from coregroup.plans import services as plans
    from coregroup.plans.presenters import display

    need = next((n for n in ctx.plan.get("needs", []) if n.get("id") == key), None)
    if need is None:
        return None
    schema = plans.plan_schema()
    names = {ref: f"{m.name} ({m.role_label})" for ref, m in ctx.members.items()}

    def field(name):
        return schema.at(["needs", "*", "actions", "*", name])

    actions = [
        {
            "what": action.get("what", ""),
            "who": display(field("who"), action.get("who"), names),
            "by": display(field("byWhen"), action.get("byWhen"), names),
            "status": display(field("status"), action.get("status"), names),
            "overdue": bool(
                action.get("byWhen")
                and action.get("status") != "done"
                and dt.date.fromisoformat(action["byWhen"]) < dt.date.today()
            ),
        }
        for action in need.get("actions", [])
    ]
    review_schema = services.meeting_schema().at(["needsReview", "*", "progress"])
    earlier_meetings = [
        m for m in services.running_meetings(ctx.meeting.case) if m.id != ctx.meeting.id
    ]
    earlier = [
        {
            "number": m.number,
            "date": m.date,
            "progress": display(
                review_schema, m.record.get("needsReview", {}).get(key, {}).get("progress"), {}
            )
            or _("Not reviewed"),
            "comment": m.record.get("needsReview", {}).get(key, {}).get("comment", ""),
        }
        for m in earlier_meetings
    ]
    return NeedContext(
        what=need.get("whatMustChange", ""),
        outcome=need.get("intendedOutcome", ""),
        measured=need.get("howMeasured", ""),
        actions=actions,
        earlier=earlier,
        scores=score_series(earlier_meetings, ctx.meeting.case.members),
    )
