"""The one place that decides who may see a case, and what they may do with it."""

from __future__ import annotations

from functools import wraps

from flask import abort, g
from flask_login import current_user, login_required
from sqlalchemy import select

from coregroup.extensions import db
from coregroup.models import Case, Member


def membership(user, case_id: int) -> Member | None:
    """The user's current membership of the case, or None: leavers and strangers see nothing."""
    if not user.is_authenticated:
        return None
    return db.session.scalar(
        select(Member)
        .join(Case)
        .where(Member.case_id == case_id, Member.user_id == user.id, Member.left_on.is_(None))
    )


def case_route(view):
    """Load the case named by `case_id` for a member of it; anyone else gets 404, not 403.

    A 404 tells a stranger nothing about whether the case exists.
    """

    @login_required
    @wraps(view)
    def wrapped(*args, case_id: int, **kwargs):
        member = membership(current_user, case_id)
        if member is None:
            abort(404)
        g.member = member
        g.case = member.case
        return view(*args, case_id=case_id, **kwargs)

    wrapped.case_checked = True
    return wrapped


def my_cases(user) -> list[Case]:
    return list(
        db.session.scalars(
            select(Case)
            .join(Member)
            .where(Member.user_id == user.id, Member.left_on.is_(None))
            .order_by(Case.reference)
        )
    )


def can_open_cases(user) -> bool:
    """Professionals open cases; someone who is only ever a family member does not."""
    from coregroup.models import FAMILY_ROLES

    roles = set(db.session.scalars(select(Member.role).where(Member.user_id == user.id)))
    return not roles or not roles <= set(FAMILY_ROLES)
