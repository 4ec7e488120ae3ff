"""Opening a case at its initial conference, and keeping its membership."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select

from coregroup import audit
from coregroup.extensions import db
from coregroup.models import Case, Child, Member, User


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
        categories=list(form.categories.data),
        first_core_group_on=_date(form.first_core_group.data),
        core_group_every_weeks=form.every_weeks.data,
    )
    for name_field, born_field in (
        ("child1", "child1_born"),
        ("child2", "child2_born"),
        ("child3", "child3_born"),
    ):
        name = (form[name_field].data or "").strip()
        if name:
            case.children.append(Child(name=name, date_of_birth=_date(form[born_field].data)))
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


def add_member(case: Case, form) -> Member:
    """Add someone to the core group; after the conference they are co-opted."""
    joined = _date(form.joined.data)
    email = (form.email.data or "").strip() or None
    # An account is never linked here: a family member is linked by accepting an invitation,
    # so adding an e-mail address can neither reveal nor take over anyone's account.
    member = Member(
        case_id=case.id,
        name=form.name.data.strip(),
        role=form.role.data,
        organisation=(form.organisation.data or "").strip() or None,
        email=email,
        language=form.language.data,
        joined_on=joined,
        co_opted=bool(case.initial_conference and joined and joined > case.initial_conference),
    )
    db.session.add(member)
    return member


def record_review_conference(case: Case, held: str) -> str | None:
    day = _date(held)
    if case.initial_conference and day < case.initial_conference:
        return _("The review conference must be after the initial conference")
    case.last_review_conference = day
    return None


def leave(member: Member, left: str) -> str | None:
    """Record that someone left; their past part in the plan and meetings is kept."""
    day = _date(left)
    if member.joined_on and day < member.joined_on:
        return _("The date they left must be on or after the date they joined")
    member.left_on = day
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
