"""A case: recording the initial conference, its overview, and the core group's members."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import replace

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
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from coregroup import access, contacts
from coregroup.access import case_route
from coregroup.cases import forms, handovers, invitations, services
from coregroup.formgen import FieldSpec
from coregroup.i18n import format_date
from coregroup.i18n import gettext as _
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
    "TelField": "string",
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
        "jurisdiction",
        "conference",
        "child1",
        "child1_born",
        "child1_categories",
        "child2",
        "child2_born",
        "child2_categories",
        "child3",
        "child3_born",
        "child3_categories",
        "first_core_group",
        "every_weeks",
    )
    return render_template("cases/new.html", form=form, specs=fields), (400 if form.errors else 200)


@bp.get("/<int:case_id>")
@case_route("case.view")
def overview(case_id: int):
    case_meetings = meetings.meetings(g.case)
    latest = plans.latest_version(g.case)
    viewer = contacts.Viewer.of(g.member)
    current = [m for m in g.case.members if m.is_current]
    from coregroup.cases.lifecycle import visible_children

    return render_template(
        "cases/overview.html",
        children=visible_children(g.member, g.case),
        latest=latest,
        members=current,
        contact={m.id: viewer.contact(m) for m in current},
        handovers=handovers.history(g.case),
        timeline=meetings.timeline(g.case, case_meetings),
        triangle=services.triangle(_for_reader(latest.document) if latest else {}),
    )


def _for_reader(document: dict) -> dict:
    """The plan as this member may see it (a family member: their own children's needs)."""
    from coregroup.plans.audience import for_member

    return for_member(plans.plan_schema(), document, g.member)


def _member_or_404(member_id: int, current: bool = True):
    found = next((m for m in g.case.members if m.id == member_id), None)
    if found is None or (current and found.has_left):
        abort(404)
    return found


CONTACT_FIELDS = ("organisation", "email", "phone", "address", "confidential", "language")


@bp.route("/<int:case_id>/members", methods=["GET", "POST"])
@case_route("members.manage")
def members(case_id: int):
    """The core group, each member's invitation, and adding someone (at the initial
    conference, or co-opted later, with the date)."""
    form = forms.MemberForm()
    form.language.choices = forms.language_choices(welsh_first=g.case.jurisdiction == "wales")
    if request.method == "GET":
        form.joined.process(None, data=services.today().isoformat())
    if form.validate_on_submit():
        for name, problem in services.new_member_problems(g.case, form).items():
            form[name].errors.append(problem)
        if not form.errors:
            member = services.add_member(g.case, form, current_user)
            if member.email and not member.has_left:
                sent = invitations.send(member, current_user)
                if sent.emailed:
                    message = _(
                        "%(name)s is now in the core group. We have emailed them an invitation.",
                        name=member.name,
                    )
                    flash(message, "success")
                else:
                    message = _(
                        "%(name)s is now in the core group, but the invitation could not be "
                        "emailed. Send it again, or give them the link in person.",
                        name=member.name,
                    )
                    flash(message, "error")
            else:
                flash(_("%(name)s is now in the core group.", name=member.name), "success")
            return redirect(url_for("cases.members", case_id=case_id))
    form.children.choices = [SelectChoice(str(c.id), c.name) for c in g.case.children]
    fields = specs(form, "name", "role", *CONTACT_FIELDS, "joined")
    if len(g.case.children) > 1:
        fields.insert(2, specs(form, "children")[0])
    return render_template(
        "cases/members.html",
        form=form,
        specs=fields,
        members=g.case.members,
        invitations=invitations.newest(g.case),
        handover=handovers.waiting(g.case),
    ), (400 if form.errors else 200)


@bp.route("/<int:case_id>/members/<int:member_id>/details", methods=["GET", "POST"])
@case_route("members.manage")
def details(case_id: int, member_id: int):
    """A member's contact details, language, and whether they are confidential."""
    member = _member_or_404(member_id)
    form = forms.DetailsForm()
    if request.method == "GET":
        shown = services.shown_details(member)
        for name in CONTACT_FIELDS:
            value = shown[name]
            if name == "language" and value not in {c.value for c in form.language.choices}:
                value = "en_GB"  # none, or e.g. "en" as older records have it
            form[name].process(
                None, data=(["yes"] if value else []) if name == "confidential" else value
            )
        form.shown.data = json.dumps(shown)
    if form.validate_on_submit():
        try:
            shown = json.loads(form.shown.data or "{}")
        except ValueError:
            shown = {}
        problems = services.details_problems(g.case, member, form)
        for name, problem in problems.items():
            form[name].errors.append(problem)
        clashes = {} if problems else services.update_details(member, form, shown, current_user)
        if not problems and not clashes:
            flash(_("%(name)s's details are saved.", name=member.name), "success")
            return redirect(url_for("cases.members", case_id=case_id))
        for name, now in clashes.items():
            form[name].errors.append(_clash_message(name, now))
        form.shown.data = json.dumps(services.shown_details(member))
    return render_template(
        "cases/details.html",
        form=form,
        specs=specs(form, *CONTACT_FIELDS),
        member=member,
    ), (400 if form.errors else 200)


def _clash_message(name: str, now) -> str:
    if name == "confidential":
        now = _("Confidential") if now else _("Not confidential")
    return _(
        "Someone else changed this since you opened the page. It is now: %(now)s. Check it, "
        "then save again.",
        now=now if now not in (None, "") else _("blank"),
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
        problem = services.leave(leaving, form.left.data, current_user)
        if problem is None:
            flash(_("%(name)s has left the core group.", name=leaving.name), "success")
            return redirect(url_for("cases.members", case_id=case_id))
        form.left.errors.append(problem)
    return render_template(
        "cases/leave.html", form=form, specs=specs(form, "left"), leaving=leaving
    ), (400 if form.errors else 200)


def _handover_choices(case) -> list[SelectChoice]:
    choices = []
    for m in case.members:
        if m.is_current and not m.is_lead and not m.is_family:
            label = f"{m.name} ({m.role_label}{', ' + m.organisation if m.organisation else ''})"
            choices.append(SelectChoice(str(m.id), label))
    choices.append(SelectChoice("new", _("Someone new to the core group")))
    return choices


@bp.route("/<int:case_id>/hand-over", methods=["GET", "POST"])
@case_route("members.manage")
def hand_over(case_id: int):
    """The lead social worker role passes to another professional, on a date."""
    waiting = handovers.waiting(g.case)
    form = forms.HandoverForm()
    form.to.choices = _handover_choices(g.case)
    form.new_language.choices = forms.language_choices(g.case.jurisdiction == "wales")
    if request.method == "GET":
        form.on.process(None, data=services.today().isoformat())
    if waiting is None and form.validate_on_submit():
        # Everything is checked before anyone new is added: a refused hand-over writes nothing.
        to = services.handover_target(g.case, form)
        problem = services.handover_problem(g.case, to, form.on.data)
        if isinstance(to, str):
            form.to.errors.append(to)
        elif problem:
            form.on.errors.append(problem)
        else:
            if to.id is None:
                services.add_new_lead(g.case, to, current_user)
            on = dt.date.fromisoformat(form.on.data)
            leaves = form.previous.data == "leaves"
            done = handovers.hand_over(g.case, g.member, to, on, leaves, current_user)
            return _after_hand_over(done, to)
    fields = specs(form, "to", "new_name", "new_organisation", "new_email", "new_language")
    fields = fields[:1] + [replace(spec, show_if=("to", "new")) for spec in fields[1:]]
    fields += specs(form, "on", "previous")
    return render_template("cases/hand_over.html", form=form, specs=fields, waiting=waiting), (
        400 if form.errors else 200
    )


def _after_hand_over(done, to):
    if done.status == "done":
        flash(_("%(name)s is now the lead social worker.", name=to.name), "success")
        if g.member.has_left:  # the previous lead left today: the case is no longer theirs
            return redirect(url_for("main.cases"))
        return redirect(url_for("cases.overview", case_id=g.case.id))
    if to.user_id is not None:  # an account without its second factor yet
        message = _(
            "%(name)s becomes the lead social worker when they next sign in with their "
            "authenticator app. Until then, you are still the lead.",
            name=to.name,
        )
        flash(message, "success")
        return redirect(url_for("cases.members", case_id=g.case.id))
    waiting_link = invitations.newest(g.case).get(to.id)
    emailed = True
    if to.email and (waiting_link is None or waiting_link.state != "waiting"):
        emailed = invitations.send(to, current_user).emailed
    message = _(
        "%(name)s becomes the lead social worker when they accept their invitation. Until "
        "then, you are still the lead.",
        name=to.name,
    )
    if not emailed:
        message += " " + _("The invitation could not be emailed: send it again from this page.")
    flash(message, "success" if emailed else "error")
    return redirect(url_for("cases.members", case_id=g.case.id))


@bp.post("/<int:case_id>/hand-over/cancel")
@case_route("members.manage")
def cancel_hand_over(case_id: int):
    waiting = handovers.waiting(g.case)
    if waiting is not None:
        handovers.cancel(waiting, current_user)
        flash(_("The hand-over is cancelled. You are still the lead social worker."), "success")
    return redirect(url_for("cases.members", case_id=case_id))


MEMBERSHIP_ACTIONS = {
    "case-opened": _l("Case opened"),
    "member-added": _l("Member added"),
    "member-details-changed": _l("Contact details changed"),
    "member-left": _l("Member left"),
    "invitation-sent": _l("Invitation sent"),
    "invitation-accepted": _l("Invitation accepted"),
    "invitation-withdrawn": _l("Invitation withdrawn"),
    "hand-over": _l("Lead social worker role handed over"),
    "hand-over-waiting": _l("Hand-over waiting for the new lead to accept"),
    "hand-over-cancelled": _l("Hand-over cancelled"),
    "family-linked": _l("Children of a family member changed"),
    "child-added": _l("Child added"),
}
_MEMBER_IN_TARGET = re.compile(r"member (\d+)")


@bp.get("/<int:case_id>/audit")
@case_route("audit.view")
def audit_trail(case_id: int):
    """Who viewed and changed this case: for the lead social worker. `?about=members`: only
    the changes to the core group (members, invitations, hand-overs)."""
    from coregroup import audit

    about = request.args.get("about")
    if about not in (None, "members"):
        abort(404)
    actions = MEMBERSHIP_ACTIONS if about == "members" else None
    names = {str(m.id): m.name for m in g.case.members}

    def target(event) -> str:
        # "member 17" as the member's name; other targets (a page, an export) as recorded.
        return _MEMBER_IN_TARGET.sub(
            lambda found: names.get(found.group(1), found.group(0)), event.target
        )

    return render_template(
        "cases/audit.html",
        events=audit.for_case(case_id, actions=actions),
        about=about,
        labels=MEMBERSHIP_ACTIONS,
        target=target,
    )
