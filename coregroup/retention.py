"""Retention: a closed case is kept as its jurisdiction's profile says (coregroup.rules:
until its youngest child is old enough, and some years after it closed), then reduced.

Reducing deletes everything the case holds (children, members, plans, meetings, drafts,
conferences, releases) and erases what its audit events say, keeping each event's place and
hash in the case's chain, so `flask audit verify` still checks the whole chain (the audit is
designed for this: an event's hash covers a hash of its content, not the content). What is
left is the case's row: its reference, uid and dates, marked reduced, so that the record of
its existence and destruction stays. A case on legal hold is never reduced.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select, text, update

from coregroup import audit, rules
from coregroup.extensions import db
from coregroup.models import (
    AUDIT_TRIGGERS,
    ArrangedMeeting,
    AuditEvent,
    Case,
    CaseDates,
    Child,
    ChildPlan,
    Circulation,
    ConferenceRequest,
    DueItem,
    Handover,
    Invitation,
    Meeting,
    Member,
    PlanDraft,
    PlanVersion,
    Presence,
    Reminder,
    ReviewConference,
    SetAside,
    SubjectAccessRelease,
    TaskItem,
    member_child,
)


@dataclass(frozen=True)
class Decision:
    case: Case
    until: dt.date | None  # the first day it may be reduced
    verdict: str  # "reduce", "held" (legal hold), "keep" (not yet)

    @property
    def reason(self) -> str:
        if self.verdict == "held":
            return f"on legal hold: {self.case.legal_hold_reason or 'no reason recorded'}"
        if self.verdict == "keep":
            return f"kept until {self.until.isoformat()}"
        return f"kept until {self.until.isoformat()}: due"


class Refused(Exception):
    """A retention run refused for one case (held, not closed, not due): nothing was done."""


def retained_until(case: Case) -> dt.date | None:
    if case.closed_on is None:
        return None
    profile = rules.profile(case.jurisdiction)
    born = [c.date_of_birth or c.expected_on for c in case.children]
    born = [b for b in born if b]
    return rules.retained_until(profile, case.closed_on, max(born) if born else None)


def decide(case: Case, today: dt.date) -> Decision:
    until = retained_until(case)
    if case.legal_hold:
        return Decision(case, until, "held")
    if until is None or until > today:
        return Decision(case, until, "keep")
    return Decision(case, until, "reduce")


def closed_cases() -> list[Case]:
    """Every closed case not reduced yet, oldest closure first."""
    return list(
        db.session.scalars(
            select(Case)
            .where(Case.status == "closed", Case.reduced_on.is_(None))
            .order_by(Case.closed_on, Case.id)
        )
    )


def review(today: dt.date) -> list[Decision]:
    return [decide(case, today) for case in closed_cases()]


def counts(case: Case) -> dict[str, int]:
    """What reducing the case would delete, table by table, and the audit events erased."""
    members = select(Member.id).where(Member.case_id == case.id)
    meetings = select(Meeting.id).where(Meeting.case_id == case.id)
    children = select(Child.id).where(Child.case_id == case.id)

    def count(model, *where) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    return {
        "children": count(Child, Child.case_id == case.id),
        "child plans": count(ChildPlan, ChildPlan.child_id.in_(children)),
        "members": count(Member, Member.case_id == case.id),
        "plan versions": count(PlanVersion, PlanVersion.case_id == case.id),
        "drafts": count(PlanDraft, PlanDraft.case_id == case.id),
        "meetings": count(Meeting, Meeting.case_id == case.id),
        "circulations": count(Circulation, Circulation.meeting_id.in_(meetings)),
        "review conferences": count(ReviewConference, ReviewConference.case_id == case.id),
        "conference requests": count(ConferenceRequest, ConferenceRequest.case_id == case.id),
        "invitations": count(Invitation, Invitation.member_id.in_(members)),
        "reminders": count(Reminder, Reminder.case_id == case.id),
        "subject access releases": count(
            SubjectAccessRelease, SubjectAccessRelease.case_id == case.id
        ),
        "audit events erased": count(
            AuditEvent, AuditEvent.case_id == case.id, AuditEvent.action != audit.ERASED
        ),
    }


def reduce(case: Case, today: dt.date) -> dict[str, int]:
    """Delete the case's content and erase its audit events' content; refuse (Refused) a case
    on legal hold, open, or not yet due. Part of the caller's unit of work."""
    found = decide(case, today)
    if not case.is_closed:
        raise Refused(f"{case.reference} is not closed: nothing was deleted.")
    if found.verdict == "held":
        raise Refused(f"{case.reference} is {found.reason}. Nothing was deleted.")
    if found.verdict == "keep":
        raise Refused(f"{case.reference} is {found.reason}. Nothing was deleted.")
    done = counts(case)
    members = select(Member.id).where(Member.case_id == case.id).scalar_subquery()
    meetings = select(Meeting.id).where(Meeting.case_id == case.id).scalar_subquery()
    children = select(Child.id).where(Child.case_id == case.id).scalar_subquery()
    statements = [
        delete(member_child).where(member_child.c.child_id.in_(children)),
        delete(member_child).where(member_child.c.member_id.in_(members)),
        delete(ChildPlan).where(ChildPlan.child_id.in_(children)),
        delete(ConferenceRequest).where(ConferenceRequest.case_id == case.id),
        delete(ReviewConference).where(ReviewConference.case_id == case.id),
        delete(Child).where(Child.case_id == case.id),
        delete(Circulation).where(Circulation.meeting_id.in_(meetings)),
        delete(Meeting).where(Meeting.case_id == case.id),
        delete(Invitation).where(Invitation.member_id.in_(members)),
        delete(Handover).where(Handover.case_id == case.id),
        delete(DueItem).where(DueItem.case_id == case.id),
        delete(TaskItem).where(TaskItem.case_id == case.id),
        delete(CaseDates).where(CaseDates.case_id == case.id),
        delete(ArrangedMeeting).where(ArrangedMeeting.case_id == case.id),
        delete(Reminder).where(Reminder.case_id == case.id),
        delete(Member).where(Member.case_id == case.id),
        delete(PlanVersion).where(PlanVersion.case_id == case.id),
        delete(PlanDraft).where(PlanDraft.case_id == case.id),
        delete(Presence).where(Presence.case_id == case.id),
        delete(SetAside).where(SetAside.case_id == case.id),
        delete(SubjectAccessRelease).where(SubjectAccessRelease.case_id == case.id),
    ]
    for statement in statements:
        db.session.execute(statement.execution_options(synchronize_session=False))
    _erase_audit(case.id)
    case.reduced_on = today
    case.first_core_group_on = case.rule_overrides = case.legal_hold_reason = None
    db.session.expire(case, ["children", "members", "review_conferences"])
    audit.record(
        "retention-reduced",
        f"case {case.id} reduced under the {case.jurisdiction} profile",
        None,
        case.id,
    )
    return done


def _erase_audit(case_id: int) -> None:
    """What each event of the case says goes; its place in the chain and its hashes stay.
    The append-only triggers are lifted for this one statement, inside the transaction, so
    nothing else can slip through meanwhile (PostgreSQL: the table is locked by ALTER TABLE;
    SQLite: one writer at a time)."""
    erase = (
        update(AuditEvent)
        .where(AuditEvent.case_id == case_id, AuditEvent.action != audit.ERASED)
        .values(action=audit.ERASED, target="", ip=None, user_id=None)
        .execution_options(synchronize_session=False)
    )
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        db.session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change"))
        db.session.execute(erase)
        db.session.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_change"))
        return
    db.session.execute(text("DROP TRIGGER audit_event_no_update"))
    db.session.execute(erase)
    db.session.execute(text(AUDIT_TRIGGERS["sqlite"][0]))
