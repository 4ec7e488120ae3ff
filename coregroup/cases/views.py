"""A case: recording the initial conference, its overview, and the core group's members."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required

from coregroup import access
from coregroup.access import case_route
from coregroup.cases import forms, services
from coregroup.formgen import FieldSpec
from coregroup.meetings import services as meetings
from coregroup.plans import services as plans

bp = Blueprint("cases", __name__, url_prefix="/cases")

KINDS = {
    "StringField": "string",
    "EmailField": "string",
    "RadioField": "string-radios",
    "SelectMultipleField": "array-checkboxes",
    "DateInputField": "string-date",
    "WholeNumberField": "integer",
    "TextAreaField": "string-textarea",
}


def specs(form, *names) -> list[FieldSpec]:
    """Describe hand-written form fields the way generated ones are, for the same macros."""
    found = []
    for name in names:
        f = form[name]
        found.append(
            FieldSpec(
                name=f.name,
                path=f.name,
                schema={},
                required=False,
                kind=KINDS[type(f).__name__],
                label=str(f.label.text),
                hint=str(f.description) if f.description else None,
            )
        )
    return found


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if not access.can_open_cases(current_user):
        abort(404)
    form = forms.ConferenceForm()
    if request.method == "GET":
        form.jurisdiction.data = current_app.config["COREGROUP_JURISDICTION"]
    if form.validate_on_submit():
        if services.reference_taken(form.reference.data):
            form.reference.errors.append(_("A case with this reference already exists"))
        else:
            case = services.open_case(form, current_user)
            due = meetings.timeline(case, []).first_core_group_due
            flash(
                _(
                    "Case opened. The first core group is due by %(day)s. Now add the members "
                    "of the core group.",
                    day=format_date(due, "d MMMM yyyy"),
                ),
                "success",
            )
            return redirect(url_for("cases.members", case_id=case.id))
    fields = specs(
        form,
        "reference",
        "child1",
        "child1_born",
        "child2",
        "child2_born",
        "child3",
        "child3_born",
        "jurisdiction",
        "conference",
        "categories",
        "first_core_group",
        "every_weeks",
    )
    return render_template("cases/new.html", form=form, specs=fields), (400 if form.errors else 200)


@bp.get("/<int:case_id>")
@case_route("case.view")
def overview(case_id: int):
    case_meetings = meetings.meetings(g.case)
    latest = plans.latest_version(g.case)
    return render_template(
        "cases/overview.html",
        latest=latest,
        members=[m for m in g.case.members if m.left_on is None],
        timeline=meetings.timeline(g.case, case_meetings),
        triangle=services.triangle(latest.document if latest else {}),
    )


@bp.route("/<int:case_id>/members", methods=["GET", "POST"])
@case_route("members.manage")
def members(case_id: int):
    form = forms.MemberForm()
    if request.method == "GET":
        form.joined.process(None, data=services.today().isoformat())
    if form.validate_on_submit():
        member = services.add_member(g.case, form)
        flash(_("%(name)s is now in the core group.", name=member.name), "success")
        return redirect(url_for("cases.members", case_id=case_id))
    fields = specs(form, "name", "role", "organisation", "email", "language", "joined")
    return render_template("cases/members.html", form=form, specs=fields, members=g.case.members), (
        400 if form.errors else 200
    )


@bp.route("/<int:case_id>/members/<int:member_id>/leave", methods=["GET", "POST"])
@case_route("members.manage")
def leave(case_id: int, member_id: int):
    leaving = next((m for m in g.case.members if m.id == member_id and m.left_on is None), None)
    if leaving is None:
        abort(404)
    form = forms.LeaveForm()
    if request.method == "GET":
        form.left.process(None, data=services.today().isoformat())
    if form.validate_on_submit():
        problem = services.leave(leaving, form.left.data)
        if problem is None:
            flash(_("%(name)s has left the core group.", name=leaving.name), "success")
            return redirect(url_for("cases.members", case_id=case_id))
        form.left.errors.append(problem)
    return render_template(
        "cases/leave.html", form=form, specs=specs(form, "left"), leaving=leaving
    ), (400 if form.errors else 200)


@bp.get("/<int:case_id>/audit")
@case_route("audit.view")
def audit_trail(case_id: int):
    """Who viewed and changed this case: for the lead social worker."""
    from coregroup import audit

    return render_template("cases/audit.html", events=audit.for_case(case_id))


@bp.post("/<int:case_id>/review-conference")
@case_route("case.manage")
def review_conference(case_id: int):
    """Record that a review conference was held: the next is due within 6 months of it."""
    form = forms.ReviewConferenceForm()
    if form.validate():
        problem = services.record_review_conference(g.case, form.held.data)
        if problem is None:
            flash(_("Review conference recorded."), "success")
            return redirect(url_for("meetings.index", case_id=case_id))
        form.held.errors.append(problem)
    from coregroup.meetings.views import render_index

    return render_index(review=form, status=400)
