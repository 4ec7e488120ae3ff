"""Opening a case at its initial conference, and keeping its membership."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from coregroup import audit
from coregroup.extensions import db
from coregroup.i18n import format_date
from coregroup.i18n import gettext as _
from coregroup.models import FAMILY_ROLES, Case, Child, ChildPlan, Member, User


def today() -> dt.date:
    return dt.date.today()


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def reference_taken(reference: str) -> bool:
    return db.session.scalar(select(Case.id).where(Case.reference == reference.strip())) is not None


def open_case(form, user: User) -> Case:
    """The case as the initial conference left it; whoever records it is the lead social worker."""
    conference = _date(form.conference.data)
    case = Case(
        reference=form.reference.data.strip(),
        jurisdiction=form.jurisdiction.data,
        initial_conference=conference,
        first_core_group_on=_date(form.first_core_group.data),
        core_group_every_weeks=form.every_weeks.data,
    )
    for n in (1, 2, 3):
        name = (form[f"child{n}"].data or "").strip()
        if name:
            born = _date(form[f"child{n}_born"].data)
            categories = list(form[f"child{n}_categories"].data)
            child = Child(name=name, **born_or_due(born, conference or today()))
            child.plans.append(ChildPlan.starting(1, categories, conference))
            case.children.append(child)
    case.members.append(
        Member(
            name=user.name,
            role="lead-social-worker",
            email=user.email,
            user=user,
            joined_on=conference,
            language=user.preferred_language,
        )
    )
    db.session.add(case)
    db.session.flush()
    audit.record("case-opened", f"case {case.id}", user.id, case.id)
    return case


def born_or_due(day: dt.date | None, on: dt.date) -> dict:
    """A date after `on` is when an unborn baby is due; else a date of birth."""
    if day is not None and day > on:
        return {"expected_on": day, "date_of_birth": None}
    return {"date_of_birth": day, "expected_on": None}


def email_problem(case: Case, email: str | None, member: Member | None = None) -> str | None:
    """Why this e-mail address cannot be this member's: someone in the core group has it."""
    if not email:
        return None
    wanted = email.strip().lower()
    for other in case.members:
        if other is member or other.has_left:
            continue
        if (other.email or "").strip().lower() == wanted or (
            other.user is not None and other.user.email.lower() == wanted
        ):
            return _(
                "%(name)s is in this core group already with this email address",
                name=other.name,
            )
    return None


def new_member_problems(case: Case, form) -> dict[str, str]:
    """What the form's own checks cannot know: the case's members and its conference."""
    problems = {}
    email = email_problem(case, form.email.data)
    if email:
        problems["email"] = email
    if form.role.data not in FAMILY_ROLES and not (form.organisation.data or "").strip():
        problems["organisation"] = _("Enter the organisation they work for")
    if form.role.data in FAMILY_ROLES and len(case.children) > 1:
        chosen = set(form.children.data or [])
        if not chosen & {str(c.id) for c in case.children}:
            problems["children"] = _("Select the children they are a parent or carer of")
    joined = _date(form.joined.data)
    if case.initial_conference and joined and joined < case.initial_conference:
        problems["joined"] = _(
            "The date they joined must be on or after the initial conference, %(day)s",
            day=format_date(case.initial_conference, "d MMMM yyyy"),
        )
    return problems


def details_problems(case: Case, member: Member, form) -> dict[str, str]:
    problems = {}
    email = email_problem(case, form.email.data, member)
    if email:
        problems["email"] = email
    from coregroup.cases import handovers

    new_email = (form.email.data or "").strip() or None
    if new_email != member.email and handovers.waiting_for_member(member) is not None:
        problems["email"] = _(
            "%(name)s is to become the lead social worker. Cancel the hand-over first",
            name=member.name,
        )
    if not member.is_family and not (form.organisation.data or "").strip():
        problems["organisation"] = _("Enter the organisation they work for")
    return problems


def _contact_from(form) -> dict:
    return {
        "organisation": (form.organisation.data or "").strip() or None,
        "email": (form.email.data or "").strip() or None,
        "phone": (form.phone.data or "").strip() or None,
        "address": (form.address.data or "").strip() or None,
        "confidential": "yes" in (form.confidential.data or []),
        "language": form.language.data,
    }


def add_member(case: Case, form, user: User) -> Member:
    """Add someone to the core group; after the conference they are co-opted."""
    joined = _date(form.joined.data)
    # An account is never linked here: a member is linked by accepting an invitation, so
    # adding an e-mail address can neither reveal nor take over anyone's account.
    member = Member(
        case_id=case.id,
        name=form.name.data.strip(),
        role=form.role.data,
        joined_on=joined,
        co_opted=bool(case.initial_conference and joined and joined > case.initial_conference),
        **_contact_from(form),
    )
    case.members.append(member)
    if member.is_family:
        chosen = set(form.children.data or [])
        member.children = [
            c for c in case.children if str(c.id) in chosen or len(case.children) == 1
        ]
    db.session.flush()
    audit.record("member-added", f"member {member.id}", user.id, case.id)
    return member


DETAIL_FIELDS = ("organisation", "email", "phone", "address", "confidential", "language")


def shown_details(member: Member) -> dict:
    return {name: getattr(member, name) for name in DETAIL_FIELDS}


def update_details(member: Member, form, shown: dict, user: User) -> dict[str, str]:
    """Save the member's contact details. A detail someone else changed since the page was
    shown, to something other than what was typed, is a clash: nothing is saved, and the
    page says what it is now."""
    wanted = _contact_from(form)
    for name in DETAIL_FIELDS:  # left as shown: someone else's change since stands
        if name in shown and wanted[name] == shown[name]:
            wanted[name] = getattr(member, name)
    clashes = {}
    for name in DETAIL_FIELDS:
        now = getattr(member, name)
        if name in shown and shown[name] != now and wanted[name] != now:
            clashes[name] = now
    if clashes:
        return clashes
    if all(wanted[name] == getattr(member, name) for name in DETAIL_FIELDS):
        return {}  # saved as it was: nothing to record
    if wanted["email"] != member.email:
        from coregroup.cases import invitations

        invitations.withdraw(member, user)  # links sent to the old address stop working
    for name, value in wanted.items():
        setattr(member, name, value)
    audit.record("member-details-changed", f"member {member.id}", user.id, member.case_id)
    return {}


def leave(member: Member, left: str, user: User) -> str | None:
    """Record that someone left: no access from that day, and any invitation withdrawn; their
    past part in the plan and meetings is kept."""
    day = _date(left)
    if member.is_lead:
        return _("Hand the lead social worker role to someone else first")
    from coregroup.cases import handovers

    if handovers.waiting_for_member(member) is not None:
        return _(
            "%(name)s is to become the lead social worker. Cancel the hand-over first",
            name=member.name,
        )
    if member.joined_on and day < member.joined_on:
        return _("The date they left must be on or after the date they joined")
    from coregroup.cases import invitations

    member.left_on = day
    invitations.withdraw(member, user)
    audit.record("member-left", f"member {member.id} on {day.isoformat()}", user.id, member.case_id)
    return None


def triangle(plan: dict) -> dict:
    """The My World Triangle's areas, side by side, each marked if the plan has a need there."""
    from coregroup.plans.services import plan_schema
    from coregroup.schema import narrowed_options

    need_schema = plan_schema().at(["needs", "*"])
    areas = narrowed_options(need_schema, "area", "side")
    side_labels = plan_schema().at(["needs", "*", "side"])["x-enum-labels"]
    area_labels = plan_schema().at(["needs", "*", "area"])["x-enum-labels"]
    with_needs = {need.get("area") for need in plan.get("needs", [])}
    return {
        side: {
            "label": _(side_labels[side]),
            "areas": [(_(area_labels[a]), a in with_needs) for a in areas[side]],
        }
        for side in side_labels
    }


def handover_target(case: Case, form) -> Member | str:
    """The member the lead role passes to, or why it cannot. Someone new is a new Member, not
    yet added (`add_new_lead`), joining on the hand-over's date; an existing member must be a
    current professional."""
    choice = form.to.data
    if choice == "new":
        problem = email_problem(case, form.new_email.data)
        if problem:
            form.new_email.errors.append(problem)
            return _("Check the new lead social worker's details")
        on = _date(form.on.data)
        return Member(
            case_id=case.id,
            name=form.new_name.data.strip(),
            role="social-worker",
            organisation=(form.new_organisation.data or "").strip() or None,
            email=form.new_email.data.strip(),
            language=form.new_language.data or "en_GB",
            joined_on=on,
            co_opted=bool(case.initial_conference and on > case.initial_conference),
        )
    member = next((m for m in case.members if str(m.id) == choice), None)
    if member is None or not member.is_current:
        return _("Select someone who is in the core group now, or someone new")
    if member.is_lead:
        return _("%(name)s is the lead social worker already", name=member.name)
    if member.is_family:
        return _(
            "%(name)s is a %(role)s, not a professional. Only a professional can be the lead "
            "social worker",
            name=member.name,
            role=member.role_label,
        )
    if member.user_id is None and not member.email:
        return _(
            "%(name)s has no email address to be invited with. Add it first, from the core "
            "group page",
            name=member.name,
        )
    return member


def add_new_lead(case: Case, member: Member, user: User) -> None:
    case.members.append(member)
    db.session.flush()
    audit.record("member-added", f"member {member.id}", user.id, case.id)


def handover_problem(case: Case, to, on: str) -> str | None:
    from coregroup.cases import handovers

    day = _date(on)
    if case.initial_conference and day < case.initial_conference:
        return _("The hand-over must be on or after the initial conference")
    done = handovers.history(case)
    if done and day < done[-1].on:
        return _(
            "The last hand-over was on %(day)s: this one cannot be before it",
            day=format_date(done[-1].on, "d MMMM yyyy"),
        )
    if isinstance(to, Member) and to.joined_on and day < to.joined_on:
        return _(
            "%(name)s joined the core group on %(day)s: the hand-over cannot be before that",
            name=to.name,
            day=format_date(to.joined_on, "d MMMM yyyy"),
        )
    return None
