"""Pages for each child's plan: the children and their plan status, adding a child, review
conferences, a new plan, the core group asking for a conference, and a legal hold."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from coregroup import audit, rules
from coregroup.access import case_route
from coregroup.cases import childplans, forms, services
from coregroup.cases.views import bp, specs
from coregroup.i18n import format_list
from coregroup.i18n import gettext as _
from coregroup.models import FAMILY_ROLES


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _family_choices(case) -> list[SelectChoice]:
    return [
        SelectChoice(str(m.id), f"{m.name} ({m.role_label})")
        for m in case.members
        if m.role in FAMILY_ROLES and m.is_current
    ]


def _category_choices(case) -> list[SelectChoice]:
    allowed = childplans.case_rules(case).categories
    return [SelectChoice(k, forms.CATEGORY_LABELS[k]) for k in allowed]


@bp.get("/<int:case_id>/children")
@case_route("case.view")
def children(case_id: int):
    """Each child and their plans: status, categories, start, end and why, previous plans,
    and each review conference's outcome for them. A family member sees their own children."""
    shown = visible_children(g.member, g.case)
    return render_template(
        "cases/children.html",
        children=shown,
        conferences=g.case.review_conferences,
        requests=childplans.all_requests(g.case) if not g.member.is_family else [],
        next_review=childplans.next_review_due(g.case),
        readable_until=childplans.readable_until(g.case),
        end_reasons=forms_end_reasons(),
    )


def forms_end_reasons():
    from coregroup.models import PLAN_END_REASONS

    return {k: str(v) for k, v in PLAN_END_REASONS.items()}


def visible_children(member, case) -> list:
    if member.is_family:
        mine = {c.id for c in member.children}
        return [c for c in case.children if c.id in mine]
    return list(case.children)


@bp.route("/<int:case_id>/children/new", methods=["GET", "POST"])
@case_route("case.manage")
def add_child(case_id: int):
    form = forms.ChildForm()
    form.family.choices = _family_choices(g.case)
    form.categories.choices = _category_choices(g.case)
    if request.method == "GET":
        form.plan.data = "yes"
        form.plan_from.process(None, data=services.today().isoformat())
    if form.validate_on_submit():
        today = services.today()
        born = _date(form.born.data)
        on_plan = form.plan.data == "yes"
        new = childplans.NewChild(
            name=form.name.data,
            **{
                ("expected" if k == "expected_on" else "born"): v
                for k, v in services.born_or_due(born, today).items()
            },
            plan_from=_date(form.plan_from.data) if on_plan else None,
            categories=list(form.categories.data or []) if on_plan else [],
            family=[m for m in g.case.members if str(m.id) in set(form.family.data or [])],
        )
        problems = childplans.new_child_problems(g.case, new, today)
        for name, problem in problems.items():
            form[{"expected": "born"}.get(name, name)].errors.append(problem)
        if not problems:
            child = childplans.add_child(g.case, new, current_user, today)
            flash(_("%(name)s is added to the case.", name=child.name), "success")
            return redirect(url_for("cases.children", case_id=case_id))
    fields = specs(form, "name", "born", "family", "plan", "plan_from", "categories")
    fields = fields[:4] + [replace(s, show_if=("plan", "yes")) for s in fields[4:]]
    return render_template("cases/child_new.html", form=form, specs=fields), (
        400 if form.errors else 200
    )


def _child_shown(child) -> dict:
    day = child.date_of_birth or child.expected_on
    return {
        "name": child.name,
        "born": day.isoformat() if day else None,
        "nhs_number": child.nhs_number,
        "local_id": child.local_id,
    }


@bp.route("/<int:case_id>/children/<int:child_id>/details", methods=["GET", "POST"])
@case_route("case.manage")
def child_details(case_id: int, child_id: int):
    """Correct a child's name, date of birth or due date (a baby born since: its birth date)."""
    from coregroup.cases.views import _clash_message

    child = next((c for c in g.case.children if c.id == child_id), None)
    if child is None:
        abort(404)
    form = forms.ChildDetailsForm()
    if request.method == "GET":
        shown = _child_shown(child)
        form.name.data = shown["name"]
        form.born.process(None, data=shown["born"])
        form.nhs_number.data = shown["nhs_number"]
        form.local_id.data = shown["local_id"]
        form.shown.data = json.dumps(shown)
    if form.validate_on_submit():
        try:
            shown = json.loads(form.shown.data or "{}")
        except ValueError:
            shown = {}
        now = _child_shown(child)
        wanted = {
            "name": form.name.data.strip(),
            "born": form.born.data,
            "nhs_number": form.nhs_number.data,
            "local_id": form.local_id.data,
        }
        # A detail left as the page showed it takes what is saved now (someone else's
        # correction stands); one changed here, that someone else changed too, is a clash.
        untouched = {k for k in now if k in shown and wanted[k] == shown[k]}
        wanted = {k: now[k] if k in untouched else wanted[k] for k in now}
        clashes = {
            k: now[k] for k in now if k in shown and shown[k] != now[k] and wanted[k] != now[k]
        }
        for name, value in clashes.items():
            shown_as = _day(dt.date.fromisoformat(value)) if name == "born" and value else value
            form[name].errors.append(_clash_message(name, shown_as))
        if not clashes:
            today = services.today()
            born = services.born_or_due(_date(wanted["born"]), today)
            problems = childplans.new_child_problems(
                g.case,
                childplans.NewChild(
                    name=wanted["name"], born=born["date_of_birth"], expected=born["expected_on"]
                ),
                today,
            )
            for problem in problems.values():
                form.born.errors.append(problem)
            twin = wanted["nhs_number"] and next(
                (
                    c
                    for c in g.case.children
                    if c.id != child.id and c.nhs_number == wanted["nhs_number"]
                ),
                None,
            )
            if twin:
                form.nhs_number.errors.append(
                    _(
                        "%(name)s has this NHS number. Check it against the child's records",
                        name=twin.name,
                    )
                )
            if not problems and not twin:
                if wanted != now:
                    child.name = wanted["name"]
                    child.date_of_birth, child.expected_on = (
                        born["date_of_birth"],
                        born["expected_on"],
                    )
                    child.nhs_number, child.local_id = wanted["nhs_number"], wanted["local_id"]
                    audit.record(
                        "child-details-changed", f"child {child.id}", current_user.id, case_id
                    )
                flash(_("%(name)s's details are saved.", name=child.name), "success")
                return redirect(url_for("cases.children", case_id=case_id))
        form.shown.data = json.dumps(now)
        # What this person left alone shows what is saved now, so saving again cannot put
        # back what someone else changed meanwhile.
        for name in untouched:
            if name == "born":
                form.born.process(None, data=now["born"])
            else:
                form[name].data = now[name]
    return render_template(
        "cases/child_details.html",
        form=form,
        specs=specs(form, "name", "born", "nhs_number", "local_id"),
        child=child,
    ), (400 if form.errors else 200)


@bp.route("/<int:case_id>/members/<int:member_id>/children", methods=["GET", "POST"])
@case_route("members.manage")
def family_links(case_id: int, member_id: int):
    """Which children a parent or carer is linked to: what of the plan they see."""
    member = next(
        (m for m in g.case.members if m.id == member_id and m.is_family and not m.has_left), None
    )
    if member is None:
        abort(404)
    form = forms.FamilyLinksForm()
    form.children.choices = [SelectChoice(str(c.id), c.name) for c in g.case.children]
    if request.method == "GET":
        form.children.data = [str(c.id) for c in member.children]
    if form.validate_on_submit():
        chosen = [c for c in g.case.children if str(c.id) in set(form.children.data or [])]
        if not chosen:
            form.children.errors.append(_("Select the children they are a parent or carer of"))
        else:
            childplans.link_family(member, chosen)
            audit.record("family-linked", f"member {member.id}", current_user.id, case_id)
            flash(_("%(name)s's children are saved.", name=member.name), "success")
            return redirect(url_for("cases.members", case_id=case_id))
    return render_template(
        "cases/family_links.html", form=form, specs=specs(form, "children"), member=member
    ), (400 if form.errors else 200)


def _review_specs(form, on_plan) -> list:
    fields = specs(form, "held", "chair")
    for child in on_plan:
        outcome, categories, reason, note = specs(
            form,
            f"outcome_{child.id}",
            f"categories_{child.id}",
            f"reason_{child.id}",
            f"note_{child.id}",
        )
        fields += [
            replace(outcome, label=_("%(name)s: what did the conference decide?", name=child.name)),
            replace(categories, show_if=(outcome.name, "continue")),
            replace(reason, show_if=(outcome.name, "end")),
            replace(note, show_if=(outcome.name, "end")),
        ]
    fields += specs(form, "next_review")
    return fields


@bp.route("/<int:case_id>/review-conference", methods=["GET", "POST"])
@case_route("case.manage")
def review_conference(case_id: int):
    """A review conference: its date and chair, each child's outcome (continue, with their
    categories, or end, with why), and the next review date."""
    on_plan = [c for c in g.case.children if c.current_plan is not None]
    allowed = childplans.case_rules(g.case).categories
    form = forms.review_form(on_plan, allowed)
    if request.method == "GET":
        form.held.process(None, data=services.today().isoformat())
        for child in on_plan:
            form[f"categories_{child.id}"].data = list(child.current_plan.categories)
    fields = _review_specs(form, on_plan)
    if request.method == "POST" and not on_plan:
        flash(_("No child is on a plan, so there is no review to record."), "error")
        return redirect(url_for("cases.children", case_id=case_id))
    form.validate_on_submit()
    if request.method == "POST" and "csrf_token" not in form.errors and not form.held.errors:
        # Every problem at once: the form's own, and each child's outcome, whenever the date
        # of the conference can be read.
        review = childplans.Review(
            held_on=_date(form.held.data),
            chair=form.chair.data or "",
            outcomes=_posted_outcomes(form, on_plan),
            next_review_on=None if form.next_review.errors else _date(form.next_review.data),
        )
        problems = childplans.review_problems(g.case, review, services.today())
        for name, problem in problems.items():
            target = form[_field_for(name, g.case)]
            if not target.errors:
                target.errors = [*target.errors, problem]
        if not problems and not form.errors:
            from coregroup.meetings import schedule

            next_meeting = schedule.arranged(g.case)
            untold = childplans.record_review(g.case, review, current_user)
            if g.case.is_closed and next_meeting is not None and not next_meeting.cancelled:
                # No core group meets now: whoever was invited to the next one is sent its
                # cancellation.
                reason = _("Every child's plan has ended.")
                schedule.send_due(
                    schedule.cancel(next_meeting, current_user, reason), services.today()
                )
            if g.case.is_closed and not untold:
                flash(
                    _(
                        "Review conference recorded. Every plan has ended, so the case is "
                        "closed. We have emailed the family members to tell them."
                    ),
                    "success",
                )
            elif g.case.is_closed:
                flash(
                    _(
                        "Review conference recorded. Every plan has ended, so the case is "
                        "closed. We could not email %(names)s: tell them another way that the "
                        "plan has ended and what happens next.",
                        names=format_list([m.name for m in untold]),
                    ),
                    "error",
                )
            else:
                flash(_("Review conference recorded."), "success")
            return redirect(url_for("cases.children", case_id=case_id))
    return render_template(
        "cases/review_conference.html",
        form=form,
        specs=fields,
        on_plan=on_plan,
        recommended=childplans.latest_recommendation(g.case, services.today()),
        requests=childplans.open_requests(g.case),
        review_due=childplans.next_review_due(g.case),
        rules=childplans.case_rules(g.case),
    ), (400 if form.errors else 200)


def _posted_outcomes(form, on_plan) -> dict:
    """Each child's outcome as posted, by ref; a posted outcome for a child of the case who is
    not on a plan (a stale page, a crafted request) is kept, to be refused by name."""
    outcomes = {}
    for child in g.case.children:
        raw = request.form.get(f"outcome_{child.id}")
        if child in on_plan:
            outcomes[child.ref] = childplans.Outcome(
                outcome=form[f"outcome_{child.id}"].data,
                categories=list(form[f"categories_{child.id}"].data or []),
                reason=form[f"reason_{child.id}"].data,
                note=form[f"note_{child.id}"].data,
            )
        elif raw:
            outcomes[child.ref] = childplans.Outcome(outcome=raw)
    ours = {f"outcome_{child.id}" for child in g.case.children}
    for name in request.form:
        if name.startswith("outcome_") and name not in ours and request.form[name]:
            # No child of this case: refused by name, never silently ignored.
            outcomes[f"c-unknown-{len(outcomes)}"] = childplans.Outcome(outcome="end")
    return outcomes


def _field_for(problem: str, case) -> str:
    """The form field a problem belongs to ("outcome-c-1a2b" -> "outcome_17")."""
    kind, _sep, ref = problem.partition("-")
    mapping = {"held": "held", "chair": "chair", "next": "next_review"}
    if problem in mapping:
        return mapping[problem]
    child = next((c for c in case.children if c.ref == ref), None)
    if child is None or child.current_plan is None:
        return "held"  # a child not on a plan has no field of their own on this page
    return f"{kind}_{child.id}"


@bp.route("/<int:case_id>/plans/new", methods=["GET", "POST"])
@case_route("case.manage", when_closed=True)
def start_plan(case_id: int):
    """A new plan for a child not on one, after a conference: the same record goes on, and
    the child's previous plans are counted."""
    free = [c for c in g.case.children if c.current_plan is None]
    form = forms.StartPlanForm()
    form.child.choices = [SelectChoice(str(c.id), c.name) for c in free]
    form.categories.choices = _category_choices(g.case)
    if request.method == "GET":
        form.plan_from.process(None, data=services.today().isoformat())
    if form.validate_on_submit():
        child = next((c for c in g.case.children if str(c.id) == form.child.data), None)
        if child is None:
            form.child.errors.append(_("Select the child"))
        else:
            on = _date(form.plan_from.data)
            categories = list(form.categories.data or [])
            problems = childplans.start_problems(g.case, child, on, categories, services.today())
            for name, problem in problems.items():
                form[name].errors.append(problem)
            if not problems:
                was_closed = g.case.is_closed
                childplans.start_plan(g.case, child, on, categories, current_user)
                message = _(
                    "A new plan for %(name)s starts on %(day)s.", name=child.name, day=_day(on)
                )
                if was_closed:
                    message += " " + _("The case is open again.")
                flash(message, "success")
                return redirect(url_for("cases.children", case_id=case_id))
    return render_template(
        "cases/plan_new.html",
        form=form,
        specs=specs(form, "child", "plan_from", "categories"),
        free=free,
    ), (400 if form.errors else 200)


def _day(value):
    from coregroup.i18n import format_date

    return format_date(value, "d MMMM yyyy")


@bp.route("/<int:case_id>/legal-hold", methods=["GET", "POST"])
@case_route("case.manage", when_closed=True)
def legal_hold(case_id: int):
    """A case on legal hold is never deleted by retention, however old."""
    form = forms.LegalHoldForm()
    if request.method == "GET":
        form.hold.data = "yes" if g.case.legal_hold else "no"
        form.reason.data = g.case.legal_hold_reason
    if form.validate_on_submit():
        g.case.legal_hold = form.hold.data == "yes"
        g.case.legal_hold_reason = (form.reason.data or "").strip() if g.case.legal_hold else None
        audit.record(
            "legal-hold" if g.case.legal_hold else "legal-hold-lifted",
            f"case {case_id}",
            current_user.id,
            case_id,
        )
        flash(
            _("The case is on legal hold.")
            if g.case.legal_hold
            else _("The legal hold is lifted."),
            "success",
        )
        return redirect(url_for("cases.children", case_id=case_id))
    profile = childplans.case_rules(g.case)
    return render_template(
        "cases/legal_hold.html",
        form=form,
        specs=specs(form, "hold", "reason"),
        profile=profile,
        retained_until=retained_until(g.case),
    ), (400 if form.errors else 200)


def retained_until(case) -> dt.date | None:
    if case.closed_on is None:
        return None
    born = [c.date_of_birth or c.expected_on for c in case.children]
    born = [b for b in born if b]
    return rules.retained_until(
        childplans.case_rules(case), case.closed_on, max(born) if born else None
    )


# --- Subject access -----------------------------------------------------------------------------


@bp.get("/<int:case_id>/subject-access")
@case_route("case.manage", when_closed=True)
def subject_access(case_id: int):
    """Anyone the case names can ask for the information held about them."""
    from coregroup.cases import disclosure

    return render_template(
        "cases/subject_access.html",
        people=disclosure.subjects(g.case),
        releases=disclosure.releases(g.case),
    )


@bp.route("/<int:case_id>/subject-access/<ref>", methods=["GET", "POST"])
@case_route("case.manage", when_closed=True)
def subject_access_review(case_id: int, ref: str):
    """What would be released to this person, item by item; the lead marks third-party
    information to withhold, with a reason for each."""
    from coregroup.cases import disclosure
    from coregroup.plans import services as plans
    from coregroup.webforms import Form

    person = disclosure.find(g.case, ref)
    if person is None:
        abort(404)
    latest = plans.latest_version(g.case)
    found = disclosure.items(g.case, person, latest.document if latest else {})
    form = Form()
    errors: dict[str, str] = {}
    keys = [i.seen for i in found]
    changed = False
    if request.method == "GET":
        chosen = {i.key: (i.suggest, "") for i in found if i.suggest}
    else:
        chosen = {
            i.key: (
                request.form.get(f"reason-{i.key}", ""),
                request.form.get(f"note-{i.key}", "").strip(),
            )
            for i in found
            if request.form.get(f"withhold-{i.key}") == "yes"
        }
        # Something added or changed since the page was shown (a member, a need, someone's
        # views, the plan's words) was never reviewed: nothing is released until it is seen.
        shown = set(request.form.get("shown", "").split())
        new = [i for i in found if i.seen not in shown]
        changed = bool(new)
        for i in new:
            if i.suggest:
                chosen[i.key] = (i.suggest, "")
        for i in found:
            if i.key in chosen and chosen[i.key][0] not in disclosure.REASONS:
                errors[i.key] = _("Select why “%(what)s” is withheld", what=i.label)
        if form.validate_on_submit() and not errors and not changed:
            record = disclosure.release(g.case, person, found, chosen, current_user)
            flash(
                _(
                    "The release to %(name)s is recorded. Download it and send it to them.",
                    name=person.name,
                ),
                "success",
            )
            return redirect(
                url_for("cases.subject_access_release", case_id=case_id, release_id=record.id)
            )
    return render_template(
        "cases/subject_access_review.html",
        person=person,
        items=found,
        keys=" ".join(keys),
        changed=changed,
        summary_errors=[
            {"text": errors[i.key], "href": "#reason-" + i.key.replace(":", "-")}
            for i in found
            if i.key in errors
        ],
        chosen=chosen,
        errors=errors,
        reasons=disclosure.REASONS,
        form=form,
        as_json=lambda value: json.dumps(value, ensure_ascii=False, indent=2, default=str),
    ), (409 if changed else 400 if errors else 200)


@bp.get("/<int:case_id>/subject-access/releases/<int:release_id>")
@case_route("case.manage", when_closed=True)
def subject_access_release(case_id: int, release_id: int):
    from flask import jsonify

    from coregroup.cases import disclosure

    record = next((r for r in disclosure.releases(g.case) if r.id == release_id), None)
    if record is None:
        abort(404)
    if request.args.get("format") == "json":
        response = jsonify(
            subject=record.subject_name,
            releasedAt=record.released_at.isoformat(),
            released=record.released,
            # Said generally, never naming the third party; the lead's notes stay here.
            withheld=[
                {
                    "item": str(disclosure.kind_label(w["item"])),
                    "reason": str(disclosure.REASONS.get(w["reason"], "")),
                }
                for w in record.withheld
            ],
        )
        response.headers["Content-Disposition"] = (
            f'attachment; filename="subject-access-{record.id}.json"'
        )
        return response
    return render_template(
        "cases/subject_access_release.html", record=record, reasons=disclosure.REASONS
    )
