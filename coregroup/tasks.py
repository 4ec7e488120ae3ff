"""My tasks: for every member (parent, carer, young person, professional), the actions they are
responsible for across their cases, overdue and due first, with the dates of the next meeting
and review conference as the rules compute them; and their choice about e-mail reminders."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from coregroup import audit, rules
from coregroup.access import my_cases
from coregroup.i18n import gettext as _
from coregroup.models import Case, Member
from coregroup.webforms import Form

bp = Blueprint("tasks", __name__)


@dataclass
class Task:
    case: Case
    what: str
    need: str
    by: dt.date | None
    status: str  # the code
    status_label: str
    overdue: bool
    soon: bool

    @property
    def order(self) -> tuple:
        done = self.status in ("done", "cannot-be-done")
        rank = 3 if done else 0 if self.overdue else 1 if self.soon else 2
        return (rank, self.by or dt.date.max, self.what)


@dataclass
class CaseDates:
    case: Case
    member: Member
    next_meeting: dt.date | None  # as planned at the last meeting
    next_meeting_due: dt.date | None  # the latest the rules allow
    review_due: dt.date | None


def for_user(user, today: dt.date) -> tuple[list[Task], list[CaseDates]]:
    """The person's tasks across their cases (each as their role may read the plan), and each
    case's dates."""
    from coregroup.meetings import services as meetings
    from coregroup.plans import services as plans
    from coregroup.plans.audience import for_member
    from coregroup.plans.presenters import display

    tasks: list[Task] = []
    dates: list[CaseDates] = []
    schema = plans.plan_schema()
    status_schema = schema.at(["needs", "*", "actions", "*", "status"])
    for case in my_cases(user):
        member = next(m for m in case.members if m.user_id == user.id and m.current_on(today))
        timeline = meetings.timeline(case, meetings.meetings(case))
        dates.append(
            CaseDates(
                case,
                member,
                timeline.next_core_group_planned,
                timeline.next_core_group_due,
                timeline.review_conference_due,
            )
        )
        if case.is_closed:
            continue
        latest = plans.latest_version(case)
        document = latest.document if latest else {}
        if member.is_family:
            document = for_member(schema, document, member)
        soon_by = rules.add_working_days(today, 5, meetings.case_rules(case))
        for need in document.get("needs", []):
            for action in need.get("actions", []):
                if member.ref not in action.get("who", []):
                    continue
                by = dt.date.fromisoformat(action["byWhen"]) if action.get("byWhen") else None
                open_ = action.get("status") not in ("done", "cannot-be-done")
                tasks.append(
                    Task(
                        case=case,
                        what=action.get("what", ""),
                        need=need.get("whatMustChange", ""),
                        by=by,
                        status=action.get("status", ""),
                        status_label=display(status_schema, action.get("status"), {}),
                        overdue=bool(open_ and by and by < today),
                        soon=bool(open_ and by and today <= by <= soon_by),
                    )
                )
    tasks.sort(key=lambda t: t.order)
    return tasks, dates


@bp.get("/my-tasks")
@login_required
def mine():
    today = dt.date.today()
    tasks, dates = for_user(current_user, today)
    memberships = [d.member for d in dates]
    page = render_template(
        "tasks/mine.html",
        tasks=tasks,
        dates=dates,
        wants=all(m.wants_reminders for m in memberships) if memberships else True,
        form=Form(),
    )
    audit.record_each("view", "GET /my-tasks", current_user.id, [d.case.id for d in dates])
    return page


@bp.post("/my-tasks/reminders")
@login_required
def reminders():
    form = Form()
    if not form.validate():
        return redirect(url_for("tasks.mine"))
    wanted = request.form.get("reminders") == "yes"
    today = dt.date.today()
    cases = my_cases(current_user)
    for case in cases:
        for member in case.members:
            if member.user_id == current_user.id and member.current_on(today):
                member.wants_reminders = wanted
    audit.record_each(
        "change",
        f"POST /my-tasks/reminders ({'on' if wanted else 'off'})",
        current_user.id,
        [c.id for c in cases],
    )
    flash(
        _("We will e-mail you reminders.") if wanted else _("We will not e-mail you reminders."),
        "success",
    )
    return redirect(url_for("tasks.mine"))
