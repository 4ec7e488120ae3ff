"""My tasks: for every member (parent, carer, young person, professional), the actions they are
responsible for across their cases, overdue and due first, with the dates of the next meeting
and review conference as the rules compute them; and their choice about e-mail reminders."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from coregroup import audit, rules
from coregroup.access import my_cases, my_memberships, with_children
from coregroup.extensions import db
from coregroup.i18n import gettext as _
from coregroup.models import Case, Member, TaskItem
from coregroup.models import CaseDates as KeptDates
from coregroup.params import page_number
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
    case's dates: read from the rows coregroup.dueitems keeps, in a fixed number of queries
    however many cases."""
    from coregroup.plans import services as plans
    from coregroup.plans.presenters import display

    memberships = my_memberships(user, children=False)
    by_member = {m.id: m for m in memberships}
    kept = {
        row.case_id: row
        for row in db.session.scalars(
            select(KeptDates).where(KeptDates.case_id.in_([m.case_id for m in memberships]))
        )
    }
    dates = [
        CaseDates(
            m.case,
            m,
            kept[m.case_id].next_meeting if m.case_id in kept else None,
            kept[m.case_id].next_meeting_due if m.case_id in kept else None,
            kept[m.case_id].review_due if m.case_id in kept else None,
        )
        for m in memberships
    ]
    soon_by = {
        place: rules.add_working_days(today, 5, rules.profile(place))
        for place in {m.case.jurisdiction for m in memberships}
    }
    status_schema = plans.plan_schema().at(["needs", "*", "actions", "*", "status"])
    tasks: list[Task] = []
    for row in db.session.scalars(select(TaskItem).where(TaskItem.member_id.in_(by_member))):
        case = by_member[row.member_id].case
        if case.is_closed:
            continue
        open_ = row.status not in ("done", "cannot-be-done")
        by = row.by_when
        tasks.append(
            Task(
                case=case,
                what=row.what or "",
                need=row.need or "",
                by=by,
                status=row.status or "",
                status_label=display(status_schema, row.status, {}),
                overdue=bool(open_ and by and by < today),
                soon=bool(open_ and by and today <= by <= soon_by[case.jurisdiction]),
            )
        )
    tasks.sort(key=lambda t: t.order)
    return tasks, dates


DATES_PER_PAGE = 25


@bp.get("/my-tasks")
@login_required
def mine():
    """The person's tasks, then their cases' next meetings and reviews, soonest first, a page
    at a time (`?page=`)."""
    try:
        number = page_number(request.args.get("page", "1"))
    except ValueError:
        abort(404)
    today = dt.date.today()
    tasks, dates = for_user(current_user, today)
    memberships = [d.member for d in dates]
    dates.sort(
        key=lambda d: (d.case.is_closed, d.next_meeting or d.next_meeting_due or dt.date.max)
    )
    pages = max(1, -(-len(dates) // DATES_PER_PAGE))
    number = min(number, pages)
    shown = dates[(number - 1) * DATES_PER_PAGE : number * DATES_PER_PAGE]
    with_children(
        list({id(c): c for c in [*(d.case for d in shown), *(t.case for t in tasks)]}.values())
    )
    page = render_template(
        "tasks/mine.html",
        tasks=tasks,
        dates=shown,
        cases=len(dates),
        number=number,
        pages=pages,
        today=today,
        wants=all(m.wants_reminders for m in memberships) if memberships else True,
        form=Form(),
    )
    seen = sorted({t.case.id for t in tasks} | {d.case.id for d in shown})
    audit.record_each("view", "GET " + request.full_path.rstrip("?"), current_user.id, seen)
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
