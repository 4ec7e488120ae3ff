"""Subject access for anyone a case names (a member, with an account or not, or a child):
what would be released, item by item, with third-party information suggested for
withholding; the lead social worker decides, and the release records what was withheld and
why."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from coregroup import audit
from coregroup.extensions import db
from coregroup.i18n import format_date
from coregroup.i18n import gettext as _
from coregroup.models import (
    AuditEvent,
    Case,
    Child,
    Circulation,
    Meeting,
    Member,
    SubjectAccessRelease,
    User,
)
from coregroup.plans.audience import concerns

REASONS = {
    "other-parent": _l("The other parent's or another family member's views"),
    "police": _l("Police information"),
    "contact": _l("Another member's contact details"),
    "third-party": _l("Other information about someone else"),
    "serious-harm": _l("Releasing it would be likely to cause serious harm"),
}


KINDS = {
    "details": _l("Personal details"),
    "plan": _l("Part of the plan"),
    "need": _l("A need in the plan"),
    "views": _l("Someone's views on the plan"),
    "contact": _l("Another member's contact details"),
    "meeting": _l("Minutes of a meeting"),
    "review": _l("A review conference"),
    "circulation": _l("Plans and minutes sent"),
    "audit": _l("What was viewed and changed"),
}


def kind_label(key: str):
    """What kind of item this is, naming no one: for the requester's copy."""
    return KINDS.get(key.partition(":")[0], key)


@dataclass
class Item:
    key: str  # stable within one case: "details", "need:<id>", "views:<ref>", …
    label: str
    content: object
    suggest: str | None = None  # a reason code: suggested for withholding

    @property
    def seen(self) -> str:
        """The item as the lead saw it: its key and a fingerprint of what it holds, so an item
        changed (not only added) since the review page was shown is noticed."""
        body = json.dumps(self.content, sort_keys=True, ensure_ascii=False, default=str)
        return f"{self.key}={hashlib.sha256(body.encode()).hexdigest()[:16]}"


def subjects(case: Case) -> list[tuple[str, str]]:
    """Everyone the case names: (ref, label), members first (leavers too), then children."""
    people = [(m.ref, f"{m.name} ({m.role_label})") for m in case.members]
    people += [(c.ref, f"{c.name} ({_('child')})") for c in case.children]
    return people


def find(case: Case, ref: str) -> Member | Child | None:
    for person in [*case.members, *case.children]:
        if person.ref == ref:
            return person
    return None


def _children_of(person, case: Case) -> set[str]:
    if isinstance(person, Child):
        return {person.ref}
    if person.is_family:
        return {c.ref for c in person.children}
    return {c.ref for c in case.children}


def items(case: Case, person, plan: dict) -> list[Item]:
    """Everything held about `person` in this case, as items the lead social worker reviews."""
    found: list[Item] = []
    if isinstance(person, Member):
        found.append(
            Item(
                "details",
                _("Their details as a member of the core group"),
                {
                    "name": person.name,
                    "role": person.role,
                    "organisation": person.organisation,
                    "email": person.email,
                    "phone": person.phone,
                    "address": person.address,
                    "language": person.language,
                    "joined": person.joined_on.isoformat() if person.joined_on else None,
                    "left": person.left_on.isoformat() if person.left_on else None,
                },
            )
        )
    else:
        found.append(
            Item(
                "details",
                _("The child's details"),
                {
                    "name": person.name,
                    "dateOfBirth": person.date_of_birth.isoformat()
                    if person.date_of_birth
                    else None,
                    "expectedOn": person.expected_on.isoformat() if person.expected_on else None,
                    "plans": [
                        {
                            "number": p.number,
                            "categories": p.categories,
                            "startedOn": p.started_on.isoformat(),
                            "endedOn": p.ended_on.isoformat() if p.ended_on else None,
                            "endReason": p.end_reason,
                        }
                        for p in person.plans
                    ],
                },
            )
        )
    theirs = _children_of(person, case)
    police = {m.ref for m in case.members if m.role == "police"}
    for key in ("aims", "contingency", "childViews"):
        if plan.get(key):
            found.append(Item(f"plan:{key}", _plan_label(key), plan[key]))
    if plan.get("concerns"):
        found.append(Item("plan:concerns", _("The causes of concern"), plan["concerns"]))
    for n, need in enumerate(plan.get("needs", []), start=1):
        if not concerns(need, theirs):
            continue
        by_police = any(police & set(a.get("who", [])) for a in need.get("actions", []))
        found.append(
            Item(
                f"need:{need['id']}",
                _("Need %(number)s: %(what)s", number=n, what=need.get("whatMustChange", "")),
                need,
                "police" if by_police else None,
            )
        )
    if plan.get("professionalNotes"):
        found.append(
            Item(
                "plan:professionalNotes",
                _("Information for professionals only"),
                plan["professionalNotes"],
                "third-party",
            )
        )
    for ref, views in (plan.get("familyViews") or {}).items():
        other = find(case, ref)
        name = other.name if other is not None else ref
        own = isinstance(person, Member) and ref == person.ref
        found.append(
            Item(
                f"views:{ref}",
                _("%(name)s's views on the plan", name=name),
                views,
                None if own else "other-parent",
            )
        )
    for member in case.members:
        if isinstance(person, Member) and member.id == person.id:
            continue
        contact = {k: getattr(member, k) for k in ("email", "phone", "address")}
        if any(contact.values()):
            found.append(
                Item(
                    f"contact:{member.ref}",
                    _("%(name)s's contact details", name=member.name),
                    contact,
                    "contact",
                )
            )
    family_refs = {m.ref for m in case.members if m.is_family}
    own = {person.ref} if isinstance(person, Member) else set()
    for meeting in db.session.scalars(
        select(Meeting)
        .where(Meeting.case_id == case.id, Meeting.status == "completed")
        .order_by(Meeting.number)
    ):
        record = dict(meeting.record or {})
        if "needsReview" in record and not (isinstance(person, Member) and not person.is_family):
            shown = {n["id"] for n in plan.get("needs", []) if concerns(n, theirs)}
            record["needsReview"] = {k: v for k, v in record["needsReview"].items() if k in shown}
        # Another family member's own words (their score, recommendation, update): review.
        others = family_refs - own
        words = ("scores", "recommendations", "writtenUpdates")
        by_others = any(set(record.get(key) or {}) & others for key in words)
        found.append(
            Item(
                f"meeting:{meeting.number}",
                _("The minutes of meeting %(number)s", number=meeting.number),
                record,
                "other-parent" if by_others else None,
            )
        )
    for review in case.review_conferences:
        outcomes = {ref: o for ref, o in (review.outcomes or {}).items() if ref in theirs}
        if outcomes:
            found.append(
                Item(
                    f"review:{review.id}",
                    _(
                        "The review conference on %(day)s",
                        day=format_date(review.held_on, "d MMMM yyyy"),
                    ),
                    {"heldOn": review.held_on.isoformat(), "outcomes": outcomes},
                )
            )
    if isinstance(person, Member):
        sent = db.session.scalars(select(Circulation).where(Circulation.member_id == person.id))
        from coregroup.subject_access import receipt

        receipts = [receipt(c) for c in sent]
        if receipts:
            found.append(Item("circulation", _("Plans and minutes sent to them"), receipts))
        if person.user_id is not None:
            events = db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.case_id == case.id, AuditEvent.user_id == person.user_id)
                .order_by(AuditEvent.seq)
            )
            trail = [
                {"at": e.at.isoformat(), "action": e.action, "target": e.target} for e in events
            ]
            if trail:
                found.append(Item("audit", _("What they viewed and changed in the case"), trail))
    return found


def _plan_label(key: str) -> str:
    return {
        "aims": _("What the core group is trying to achieve"),
        "contingency": _("What will happen if things do not change (the contingency plan)"),
        "childViews": _("What the child thinks and feels"),
    }[key]


def release(
    case: Case, person, all_items: list[Item], withheld: dict[str, tuple[str, str]], user: User
) -> SubjectAccessRelease:
    """Record the release: every item not withheld, and each withheld item with its reason
    (`withheld`: {item key: (reason code, note)})."""
    released = {i.key: copy.deepcopy(i.content) for i in all_items if i.key not in withheld}
    record = SubjectAccessRelease(
        case_id=case.id,
        subject=person.ref,
        subject_name=person.name,
        released=json.loads(json.dumps(released, default=str)),
        withheld=[
            {
                "item": i.key,
                "label": i.label,
                "reason": withheld[i.key][0],
                "note": withheld[i.key][1] or None,
            }
            for i in all_items
            if i.key in withheld
        ],
        released_by_id=user.id,
    )
    db.session.add(record)
    db.session.flush()
    audit.record("subject-access-released", f"release {record.id}", user.id, case.id)
    return record


def releases(case: Case) -> list[SubjectAccessRelease]:
    return list(
        db.session.scalars(
            select(SubjectAccessRelease)
            .where(SubjectAccessRelease.case_id == case.id)
            .order_by(SubjectAccessRelease.released_at.desc())
        )
    )
