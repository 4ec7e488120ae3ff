"""Everything held about one person (subject access, UK GDPR article 15), as JSON: for the
administrator's page and `flask people export`."""

from __future__ import annotations

import json

from sqlalchemy import select

from coregroup.extensions import db
from coregroup.models import AuditEvent, Circulation, Meeting, Member, PlanVersion, User


def _mentions(node, ref: str) -> bool:
    return ref in json.dumps(node)


def receipt(c: Circulation) -> dict:
    """The plan and minutes sent to a member, and what they said of them."""
    return {
        "meeting": c.meeting.number,
        "method": c.method,
        "sentAt": c.sent_at.isoformat(),
        "receivedAt": c.received_at.isoformat() if c.received_at else None,
        "agrees": c.agrees,
        "disagreement": c.disagreement,
    }


def subject_access(user: User) -> dict:
    """Everything held about one person, as JSON (no password hash or second-factor secret)."""
    members = list(db.session.scalars(select(Member).where(Member.user_id == user.id)))
    out = {
        "account": {
            "name": user.name,
            "email": user.email,
            "createdAt": user.created_at.isoformat(),
            "preferredLanguage": user.preferred_language,
            "active": user.active,
            "administrator": user.is_admin,
            "professional": user.professional,
            "secondFactorSetUp": bool(user.totp_secret),
        },
        "memberships": [],
        "auditEvents": [
            {"at": e.at.isoformat(), "action": e.action, "target": e.target, "ip": e.ip}
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.user_id == user.id).order_by(AuditEvent.id)
            )
        ],
    }
    for member in members:
        case = member.case
        versions = db.session.scalars(
            select(PlanVersion).where(PlanVersion.case_id == case.id).order_by(PlanVersion.number)
        )
        meetings = db.session.scalars(select(Meeting).where(Meeting.case_id == case.id))
        circulations = db.session.scalars(
            select(Circulation).where(Circulation.member_id == member.id)
        )
        out["memberships"].append(
            {
                "case": case.reference,
                "memberId": member.ref,
                "role": member.role,
                "organisation": member.organisation,
                "email": member.email,
                "phone": member.phone,
                "language": member.language,
                "joined": member.joined_on.isoformat() if member.joined_on else None,
                "left": member.left_on.isoformat() if member.left_on else None,
                "planVersionsWritten": [v.number for v in versions if v.author_id == user.id],
                "planVersionsNamingThem": [],
                "meetingRecordsNamingThem": [
                    {"meeting": m.number, "record": m.record}
                    for m in meetings
                    if _mentions(m.record, member.ref)
                ],
                "circulation": [receipt(c) for c in circulations],
            }
        )
        latest = None
        for version in db.session.scalars(
            select(PlanVersion).where(PlanVersion.case_id == case.id).order_by(PlanVersion.number)
        ):
            if _mentions(version.document, member.ref):
                out["memberships"][-1]["planVersionsNamingThem"].append(version.number)
                latest = version
        if latest is not None:
            out["memberships"][-1]["theirViewsInTheLatestPlan"] = latest.document.get(
                "familyViews", {}
            ).get(member.ref)
    return out
