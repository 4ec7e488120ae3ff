"""Handing the lead social worker role to another professional.

The social worker often changes several times in a core group's life (seeds: Harlow and
Shardlow). A hand-over names the new lead, the day, and whether the previous lead stays as an
ordinary member or leaves. It takes effect at once when the new lead has an account; otherwise
it waits until they accept their invitation, so a core group is never left with a lead who
cannot sign in (the previous lead keeps the role, and can cancel, meanwhile).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from coregroup import audit
from coregroup.extensions import db
from coregroup.models import Handover, Member, User, utcnow

PREVIOUS_ROLE = "social-worker"  # what a previous lead becomes, unless they were another role


def waiting_for_member(member: Member) -> Handover | None:
    return db.session.scalar(
        select(Handover).where(Handover.to_member_id == member.id, Handover.status == "waiting")
    )


def waiting(case) -> Handover | None:
    return db.session.scalar(
        select(Handover).where(Handover.case_id == case.id, Handover.status == "waiting")
    )


def history(case) -> list[Handover]:
    """The hand-overs that took effect, oldest first."""
    return list(
        db.session.scalars(
            select(Handover)
            .where(Handover.case_id == case.id, Handover.status == "done")
            .order_by(Handover.on, Handover.id)
        )
    )


def between(case, after: dt.date | None, until: dt.date | None) -> list[Handover]:
    """Hand-overs that took effect after `after` (exclusive) up to `until` (inclusive)."""
    return [
        h
        for h in history(case)
        if (after is None or h.on > after) and (until is None or h.on <= until)
    ]


def hand_over(
    case, lead: Member, to: Member, on: dt.date, previous_leaves: bool, user: User
) -> Handover:
    handover = Handover(
        case_id=case.id,
        from_member_id=lead.id,
        to_member_id=to.id,
        on=on,
        previous_lead_leaves=previous_leaves,
        recorded_by_id=user.id,
    )
    handover.from_member, handover.to_member = lead, to
    db.session.add(handover)
    db.session.flush()
    if to.user_id is not None and _fully_set_up(to.user):
        _complete(handover, on, user)
    else:
        audit.record("hand-over-waiting", _target(handover), user.id, case.id)
    return handover


def _fully_set_up(account: User) -> bool:
    """An account that can sign in as a lead: with its second factor, where one is required."""
    from flask import current_app

    return bool(account.totp_secret) or not current_app.config["COREGROUP_REQUIRE_SECOND_FACTOR"]


def _target(handover: Handover) -> str:
    return f"member {handover.from_member_id} → member {handover.to_member_id}"


def _role_before_lead(member: Member) -> str:
    """The role a lead had before they took the role over, or a social worker's."""
    before = db.session.scalar(
        select(Handover.to_role)
        .where(Handover.to_member_id == member.id, Handover.status == "done")
        .order_by(Handover.id.desc())
        .limit(1)
    )
    return before or PREVIOUS_ROLE


def _complete(handover: Handover, on: dt.date, user: User) -> None:
    previous, new = handover.from_member, handover.to_member
    handover.on = on
    handover.status = "done"
    handover.done_at = utcnow()
    handover.to_role = new.role
    new.role = "lead-social-worker"
    if previous.is_lead:
        previous.role = _role_before_lead(previous)
        if handover.previous_lead_leaves:
            previous.left_on = max(on, previous.joined_on or on)
    audit.record("hand-over", _target(handover), user.id, handover.case_id)


def complete_waiting_for(user: User) -> None:
    """Called when someone is fully signed in (their second factor too, for a professional):
    a hand-over waiting for them takes effect on that day (a hand-over is never dated ahead,
    so that is on or after the day it named)."""
    waiting_for = db.session.scalars(
        select(Handover)
        .join(Member, Member.id == Handover.to_member_id)
        .where(Member.user_id == user.id, Handover.status == "waiting")
    )
    for handover in waiting_for:
        if handover.to_member.is_current and not handover.to_member.is_family:
            _complete(handover, max(handover.on, dt.date.today()), user)


def cancel(handover: Handover, user: User) -> None:
    handover.status = "cancelled"
    audit.record("hand-over-cancelled", _target(handover), user.id, handover.case_id)
