"""Database rows: people and their accounts, cases and memberships, plan versions and drafts."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coregroup import textpolicy
from coregroup.extensions import db
from coregroup.i18n import format_list

Document = JSON().with_variant(JSONB(), "postgresql")


class TypedText(TypeDecorator):
    """Text a person typed: read back with U+FFFD in place of any character the text policy
    refuses (stored before it, or by a path that slipped past it), so no stored value can turn
    a page or an export into an error. Never rewritten: `flask check-text` lists such rows."""

    impl = String
    cache_ok = True

    def process_result_value(self, value, dialect):
        return textpolicy.scrub(value) if value else value


FAMILY_ROLES = ("parent", "carer", "child")
PROFESSIONAL_ROLES = (
    "lead-social-worker",
    "social-worker",
    "health-visitor",
    "school-nurse",
    "teacher",
    "gp",
    "police",
    "other-professional",
)
ROLES = FAMILY_ROLES + PROFESSIONAL_ROLES
ROLE_LABELS = {
    "parent": _l("parent"),
    "carer": _l("carer"),
    "child": _l("child or young person"),
    "lead-social-worker": _l("lead social worker"),
    "social-worker": _l("social worker"),
    "health-visitor": _l("health visitor"),
    "school-nurse": _l("school nurse"),
    "teacher": _l("teacher"),
    "gp": _l("GP"),
    "police": _l("police"),
    "other-professional": _l("professional"),
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class User(UserMixin, db.Model):
    """An account that can sign in: a professional, or a family member."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(TypedText(320), unique=True)
    name: Mapped[str] = mapped_column(TypedText(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(default=False)
    # Professionals open cases; accounts made from a family invitation are not professionals.
    professional: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    preferred_language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Sign-in protection: consecutive failures, a lock, and the second factor.
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None]  # a code's time step is accepted once only

    @property
    def is_active(self) -> bool:
        return self.active


class Case(db.Model):
    """The children (any number: siblings, a new baby, an unborn child) and their core group.
    The core group, its meetings and its plan are shared; each child has their own plan status
    (ChildPlan). The case closes when the last child's plan ends."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # Recognises the case in any installation: made once, carried by every export, and an
    # import of a case whose uid (or reference) is here already is refused.
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    reference: Mapped[str] = mapped_column(TypedText(40), unique=True)
    jurisdiction: Mapped[str] = mapped_column(String(40), default="guernsey")
    # The conference that started the plans now running (a new plan after the case closed
    # moves it on; each child's own start is on their ChildPlan).
    initial_conference: Mapped[dt.date | None]
    # Set by the initial conference: the first core group's date and how often the group meets.
    first_core_group_on: Mapped[dt.date | None]
    core_group_every_weeks: Mapped[int | None]
    # This case's own values in place of its jurisdiction's (coregroup.rules.OVERRIDABLE).
    rule_overrides: Mapped[dict | None] = mapped_column(Document)
    status: Mapped[str] = mapped_column(String(20), default="open")  # "closed"
    closed_on: Mapped[dt.date | None]
    # Never deleted by retention while held (e.g. proceedings, an inquiry), with why.
    legal_hold: Mapped[bool] = mapped_column(default=False)
    legal_hold_reason: Mapped[str | None] = mapped_column(TypedText(500))
    # Retention removed its content: only the reference, the dates and the audit chain's
    # shape are left.
    reduced_on: Mapped[dt.date | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    children: Mapped[list[Child]] = relationship(
        back_populates="case", order_by="Child.id", cascade="all, delete-orphan"
    )
    members: Mapped[list[Member]] = relationship(
        back_populates="case", order_by="Member.id", cascade="all, delete-orphan"
    )
    review_conferences: Mapped[list[ReviewConference]] = relationship(
        back_populates="case",
        order_by="ReviewConference.held_on, ReviewConference.id",
        cascade="all, delete-orphan",
    )
    # Changes to the next meeting as it was set: moved, or cancelled (coregroup.meetings.schedule).
    arranged_meetings: Mapped[list[ArrangedMeeting]] = relationship(
        order_by="ArrangedMeeting.id", cascade="all, delete-orphan"
    )
    # What is due, kept for the dashboard and My tasks (coregroup.dueitems).
    due_items: Mapped[list[DueItem]] = relationship(cascade="all, delete-orphan")
    task_items: Mapped[list[TaskItem]] = relationship(cascade="all, delete-orphan")
    dates: Mapped[CaseDates | None] = relationship(cascade="all, delete-orphan")

    # For a family member's request: only their own children are named (coregroup.access).
    shown_children = None  # set[int] of Child.id, or None: every child

    @property
    def title(self) -> str:
        shown = [
            child.name
            for child in self.children
            if self.shown_children is None or child.id in self.shown_children
        ]
        return format_list(shown) or self.reference

    @property
    def is_closed(self) -> bool:
        return self.status == "closed"

    @property
    def categories(self) -> list[str]:
        """Every category of concern on a plan running now (each child's are on their plan)."""
        found = []
        for child in self.children:
            plan = child.current_plan
            found += [c for c in (plan.categories if plan else []) if c not in found]
        return found

    @property
    def last_review_conference(self) -> dt.date | None:
        """The latest review conference since the conference that started the plans now (one
        held that day is the one that closed the case before, not a review of these plans)."""
        held = [
            r.held_on
            for r in self.review_conferences
            if self.initial_conference is None or r.held_on > self.initial_conference
        ]
        return max(held) if held else None

    @property
    def first_conference(self) -> dt.date | None:
        """The conference that started the case's first plan: dates in the plan are judged from
        it, so a plan's old dates stay valid after the case opens again."""
        started = [p.started_on for c in self.children for p in c.plans]
        if self.initial_conference is not None:
            started.append(self.initial_conference)
        return min(started) if started else None


member_child = db.Table(
    "member_child",
    db.Column("member_id", ForeignKey("member.id"), primary_key=True),
    db.Column("child_id", ForeignKey("child.id"), primary_key=True, index=True),
)


def new_child_ref() -> str:
    return "c-" + secrets.token_hex(6)


class Child(db.Model):
    """A child of the case: born (a date of birth) or not yet (the date the baby is due)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(48), unique=True, default=new_child_ref)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    name: Mapped[str] = mapped_column(TypedText(200))
    date_of_birth: Mapped[dt.date | None]
    expected_on: Mapped[dt.date | None]  # unborn: a pre-birth plan
    added_on: Mapped[dt.date | None]  # added after the case opened (a new baby, moved in)
    # Identifiers other services know the child by: the NHS number (10 digits, its last a
    # modulus 11 check digit) and the local authority's own child identifier (the census'
    # LAchildID). Both optional: a family's plan does not wait for them.
    nhs_number: Mapped[str | None] = mapped_column(String(10))
    local_id: Mapped[str | None] = mapped_column(String(20))

    case: Mapped[Case] = relationship(back_populates="children")
    plans: Mapped[list[ChildPlan]] = relationship(
        back_populates="child", order_by="ChildPlan.number", cascade="all, delete-orphan"
    )
    # The family members who are this child's parent or carer (and the child themself).
    family: Mapped[list[Member]] = relationship(
        secondary=member_child, back_populates="children", order_by="Member.id"
    )

    @property
    def unborn(self) -> bool:
        return self.date_of_birth is None and self.expected_on is not None

    @property
    def current_plan(self) -> ChildPlan | None:
        return next((p for p in reversed(self.plans) if p.ended_on is None), None)

    @property
    def previous_plans(self) -> int:
        """Plans ended before the one running now (or before now): the census asks for it."""
        current = self.current_plan
        return sum(1 for p in self.plans if p is not current and p.ended_on is not None)


PLAN_END_REASONS = {
    "no-longer-at-risk": _l("No longer at risk of significant harm"),
    "moved-away": _l("Moved to another area, which takes over the plan"),
    "in-care": _l("Looked after by the local authority, with a care plan instead"),
    "turned-18": _l("Turned 18"),
    "died": _l("Died"),
    "other": _l("Another reason"),
}


class ChildPlan(db.Model):
    """One child's child protection plan, from the conference that started it to the one that
    ended it: its categories of concern (as the latest conference set them). A child can have
    several over the years; only the newest can be running."""

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    number: Mapped[int]  # 1 for the child's first plan
    categories: Mapped[list] = mapped_column(Document, default=list)
    initial_categories: Mapped[list] = mapped_column(Document, default=list)
    started_on: Mapped[dt.date]
    ended_on: Mapped[dt.date | None]
    end_reason: Mapped[str | None] = mapped_column(String(40))
    end_note: Mapped[str | None] = mapped_column(TypedText(1000))
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("review_conference.id"), index=True)

    child: Mapped[Child] = relationship(back_populates="plans")

    __table_args__ = (UniqueConstraint("child_id", "number", name="uq_child_plan_number"),)

    @classmethod
    def starting(cls, number: int, categories, on: dt.date) -> ChildPlan:
        """A plan a conference has just started: its categories now are those it started with."""
        return cls(
            number=number,
            categories=list(categories),
            initial_categories=list(categories),
            started_on=on,
        )

    @property
    def end_reason_label(self) -> str:
        return str(PLAN_END_REASONS.get(self.end_reason or "", self.end_reason or ""))


class ReviewConference(db.Model):
    """A review child protection conference: when, who chaired it, each child's outcome
    (`outcomes`: {child ref: {"outcome": "continue"|"end", "categories": [...], "reason",
    "note", "recommendation"}}) and when the next review is due."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    held_on: Mapped[dt.date]
    chair: Mapped[str | None] = mapped_column(TypedText(200))
    outcomes: Mapped[dict] = mapped_column(Document, default=dict)
    next_review_on: Mapped[dt.date | None]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="review_conferences")


class ConferenceRequest(db.Model):
    """The core group asking for a child protection conference before the review is due (the
    seeds: "consider if another child protection conference is needed"), until the
    conference that answers it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    requested_on: Mapped[dt.date]
    meeting_number: Mapped[int | None]  # the core group that asked, if one did
    reason: Mapped[str | None] = mapped_column(TypedText(2000))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    answered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("review_conference.id"), index=True
    )

    answered_by: Mapped[ReviewConference | None] = relationship()


class SubjectAccessRelease(db.Model):
    """What was released to a person who asked for the information held about them, and what
    was withheld from it and why (third-party information), reviewed by the lead social worker.
    `released` holds the items released; `withheld` [{"item", "label", "reason"}]."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    subject: Mapped[str] = mapped_column(String(48))  # a member's or a child's ref
    subject_name: Mapped[str] = mapped_column(TypedText(200))
    released: Mapped[dict] = mapped_column(Document)
    withheld: Mapped[list] = mapped_column(Document, default=list)
    released_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    released_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Reminder(db.Model):
    """One reminder sent to one member: never sent twice. `subject` names what it is about and
    when it fell due (an action's id and date, a meeting's date), so a changed date is a new
    reminder. Written only once the e-mail has gone (coregroup.reminders)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    kind: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(120))
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("member_id", "kind", "subject", name="uq_reminder_once"),)


def new_member_ref() -> str:
    return "m-" + secrets.token_hex(6)


class Member(db.Model):
    """A person's membership of one case's core group, with their role and dates."""

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(48), unique=True, default=new_member_ref)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(TypedText(200))
    role: Mapped[str] = mapped_column(String(40))
    organisation: Mapped[str | None] = mapped_column(TypedText(200))
    # Contact details: who may see them is decided in coregroup.contacts, never here.
    email: Mapped[str | None] = mapped_column(TypedText(320))
    phone: Mapped[str | None] = mapped_column(TypedText(40))
    address: Mapped[str | None] = mapped_column(TypedText(500))
    # Confidential (e.g. a parent fleeing abuse): only the lead social worker and the chair
    # see this member's contact details.
    confidential: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str | None] = mapped_column(String(16))
    joined_on: Mapped[dt.date | None]
    left_on: Mapped[dt.date | None]  # no access from this day on
    co_opted: Mapped[bool] = mapped_column(default=False)
    # E-mail reminders of their actions and meetings (coregroup.reminders): on unless they say no.
    wants_reminders: Mapped[bool] = mapped_column(default=True, server_default=true())

    case: Mapped[Case] = relationship(back_populates="members")
    user: Mapped[User | None] = relationship()
    # A family member: the children they are a parent or carer of (a child: themself). They
    # see the parts of the plan that concern these children.
    children: Mapped[list[Child]] = relationship(
        secondary="member_child", back_populates="family", order_by="Child.id"
    )

    __table_args__ = (UniqueConstraint("case_id", "user_id", name="uq_member_case_user"),)

    @property
    def role_label(self) -> str:
        return str(ROLE_LABELS.get(self.role, self.role))

    @property
    def is_family(self) -> bool:
        return self.role in FAMILY_ROLES

    @property
    def audience(self) -> str:
        return "family" if self.is_family else "professional"

    @property
    def is_lead(self) -> bool:
        return self.role == "lead-social-worker"

    def current_on(self, day: dt.date) -> bool:
        """In the core group on `day`: joined by then (or no date recorded), not yet left."""
        return (self.joined_on is None or self.joined_on <= day) and (
            self.left_on is None or self.left_on > day
        )

    @property
    def is_current(self) -> bool:
        return self.current_on(dt.date.today())

    @property
    def has_left(self) -> bool:
        return self.left_on is not None and self.left_on <= dt.date.today()


class PlanVersion(db.Model):
    """One immutable version of a case's plan: never updated, only followed by another."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    number: Mapped[int]
    document: Mapped[dict] = mapped_column(Document)
    schema_version: Mapped[str] = mapped_column(String(20))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    # The author as a member of this case's core group: kept with the version, so that an
    # export names them in any installation (filled in on insert, see _member_refs below).
    author_ref: Mapped[str | None] = mapped_column(String(48))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    changes: Mapped[list] = mapped_column(Document, default=list)
    note: Mapped[str | None] = mapped_column(Text)

    author: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("case_id", "number", name="uq_plan_version_number"),)


class PlanDraft(db.Model):
    """One person's unsaved work on a case's plan, kept so nothing typed is lost."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    base_number: Mapped[int]
    document: Mapped[dict] = mapped_column(Document)
    # What the draft is relative to, field by field: version `base_number`'s document, except
    # where a page shown from another version was answered (coregroup.plans.drafts). None for
    # a draft written before these existed: then version `base_number` itself.
    base_document: Mapped[dict | None] = mapped_column(Document)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("case_id", "user_id", name="uq_plan_draft_case_user"),)


class Presence(db.Model):
    """Who has the plan open, and on which section: shown to the others, for a minute."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    section: Mapped[str | None] = mapped_column(String(80))
    seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("case_id", "user_id", name="uq_presence_case_user"),)


class SetAside(db.Model):
    """An answer that lost a clash because its author chose the other one: kept, not lost."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    pointer: Mapped[str] = mapped_column(TypedText(500))
    value: Mapped[dict] = mapped_column(Document)  # {"value": ...}

    user: Mapped[User] = relationship()


MEETING_KINDS = ("first", "subsequent", "last-before-review")


class Meeting(db.Model):
    """One core group meeting and its record (minutes), valid against the meeting schema."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default="open")
    record: Mapped[dict] = mapped_column(Document)
    # The plan version the meeting started from, and the one it left (the updated plan).
    reviewed_plan_number: Mapped[int | None]
    plan_number: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[dt.datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    completed_by_ref: Mapped[str | None] = mapped_column(String(48))

    case: Mapped[Case] = relationship()
    circulations: Mapped[list[Circulation]] = relationship(
        back_populates="meeting", order_by="Circulation.id"
    )

    __table_args__ = (UniqueConstraint("case_id", "number", name="uq_meeting_number"),)

    @property
    def is_completed(self) -> bool:
        return self.status == "completed"

    @property
    def date(self) -> dt.date | None:
        value = (self.record or {}).get("date")
        return dt.date.fromisoformat(value) if value else None


class ArrangedMeeting(db.Model):
    """The next core group meeting as it now stands, where it differs from what the conference
    or the meeting before set: moved (a new date, time or place) or cancelled. It is the
    calendar invitation's event: its uid never changes, its sequence grows with each change.
    `slot` names what set the meeting ("meeting-3": meeting 3's next meeting; "conference-
    2026-11-02": the conference's first core group); a meeting arranged again after a cancelled
    one is a new row, with a new uid, for the same slot."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    slot: Mapped[str] = mapped_column(String(40))
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    date: Mapped[dt.date]
    time: Mapped[str | None] = mapped_column(String(5))
    location: Mapped[str | None] = mapped_column(TypedText(200))
    status: Mapped[str] = mapped_column(String(20), default="planned")  # or "cancelled"
    reason: Mapped[str | None] = mapped_column(TypedText(1000))
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"


class Circulation(db.Model):
    """The plan and minutes sent to one member after a meeting, and their receipt."""

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    method: Mapped[str] = mapped_column(String(20))  # "email", "by hand", "post"
    address: Mapped[str | None] = mapped_column(TypedText(320))
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    sent_by_ref: Mapped[str | None] = mapped_column(String(48))
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[dt.datetime | None]
    agrees: Mapped[bool | None]
    disagreement: Mapped[str | None] = mapped_column(Text)

    meeting: Mapped[Meeting] = relationship(back_populates="circulations")
    member: Mapped[Member] = relationship()


class DueItem(db.Model):
    """One thing due in a case (coregroup.rules.attention.Fact), kept so the dashboard reads a
    caseload's items in one indexed query instead of every plan and meeting: rewritten for a
    case whenever anything it comes from is (coregroup.dueitems), never edited by hand."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    due_on: Mapped[dt.date | None]
    meeting_number: Mapped[int | None]
    need_number: Mapped[int | None]
    location: Mapped[str | None] = mapped_column(Text)
    count: Mapped[int] = mapped_column(default=0)
    what: Mapped[str | None] = mapped_column(TypedText())


class TaskItem(db.Model):
    """One action in the latest plan and one member responsible for it, as that member may
    read the plan: kept, like DueItem, so My tasks reads a person's tasks across all their
    cases in one indexed query (coregroup.dueitems)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    need: Mapped[str | None] = mapped_column(TypedText())  # what must change
    what: Mapped[str | None] = mapped_column(TypedText())
    by_when: Mapped[dt.date | None]
    status: Mapped[str | None] = mapped_column(String(40))


class CaseDates(db.Model):
    """A case's next meeting as arranged, the latest the rules allow it, and when the review
    conference is due: kept with its due items (coregroup.dueitems)."""

    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), primary_key=True)
    next_meeting: Mapped[dt.date | None]
    next_meeting_due: Mapped[dt.date | None]
    review_due: Mapped[dt.date | None]


class RecoveryCode(db.Model):
    """A single-use code to sign in without the authenticator app; only its hash is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[dt.datetime | None]


class UserSession(db.Model):
    """A signed-in session, known to the server, so signing out or disabling really ends it."""

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None]
    ip: Mapped[str | None] = mapped_column(String(64))


class Invitation(db.Model):
    """A single-use, expiring link for a member to set up their account, or to add the case
    to the account they have. Only the newest for a member works."""

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]  # accepted
    # Why a link stopped working before it was used or expired, so its page can say so.
    withdrawn_at: Mapped[dt.datetime | None]
    replaced_at: Mapped[dt.datetime | None]
    # Where it leads once accepted (e.g. the minutes it was sent with); else the case.
    next_path: Mapped[str | None] = mapped_column(String(500))
    # The address it was sent to: changing a member's e-mail retires links sent to the old one.
    email: Mapped[str | None] = mapped_column(TypedText(320))

    member: Mapped[Member] = relationship()

    @property
    def state(self) -> str:
        if self.used_at is not None:
            return "used"
        if self.withdrawn_at is not None:
            return "withdrawn"
        if self.replaced_at is not None:
            return "replaced"
        if self.expires_at < utcnow():
            return "expired"
        return "waiting"


class Handover(db.Model):
    """The lead social worker role passing from one member to another, on a date. Waiting
    until the new lead has an account (they accept their invitation), so a core group is
    never left without a lead who can sign in."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    from_member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    to_member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    on: Mapped[dt.date]  # the day the new lead took over (once done)
    previous_lead_leaves: Mapped[bool] = mapped_column(default=False)
    # The new lead's role before, given back when they hand the role on (a health visitor
    # acting as lead is a health visitor again afterwards).
    to_role: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="waiting")  # done, cancelled
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    done_at: Mapped[dt.datetime | None]

    from_member: Mapped[Member] = relationship(foreign_keys=[from_member_id])
    to_member: Mapped[Member] = relationship(foreign_keys=[to_member_id])


class PendingSubmission(db.Model):
    """What someone typed when their session had ended: kept to send again after signing in."""

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(String(2000))
    form: Mapped[dict] = mapped_column(Document)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuditEvent(db.Model):
    """Append-only: who viewed or changed what, when, from where; chained by hash per case.

    The database refuses UPDATE and DELETE on this table (triggers below). Each event's `hash`
    covers its chain, its place in it, the hash before it and `content_hash` (the hash of what
    it says), so an edit made around the triggers is found by `flask --app app audit verify`,
    and signed checkpoints outside the database (coregroup.checkpoints) find a chain cut short
    or rebuilt.
    """

    __table_args__ = (
        UniqueConstraint("chain", "seq", name="uq_audit_event_chain_seq"),
        # A case's events by time (who has opened the latest plan since it was saved): read
        # from where it starts, however long the case's history.
        Index("ix_audit_event_case_id_at", "case_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(80))
    seq: Mapped[int]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(500))
    ip: Mapped[str | None] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    user: Mapped[User | None] = relationship()


class AuditChain(db.Model):
    """The end of each audit chain (a case's, a person's, or "system"): its length and last
    hash. Appending to a chain locks its row until the commit, so a chain is never forked."""

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    length: Mapped[int]
    head: Mapped[str] = mapped_column(String(64))


AUDIT_TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
        "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
        "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
    ],
}


@event.listens_for(AuditEvent.__table__, "after_create")
def _append_only(target, connection, **kw):
    for statement in AUDIT_TRIGGERS.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)


class ApiToken(db.Model):
    """A token another system uses to call the API as one person, with only the scopes it
    needs. Only a SHA-256 hash is kept (the token is 256 random bits, shown once)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(TypedText(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    scopes: Mapped[list] = mapped_column(Document, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()


def _member_ref(connection, case_id: int, user_id: int | None) -> str | None:
    if user_id is None or case_id is None:
        return None
    return connection.scalar(
        Member.__table__.select()
        .with_only_columns(Member.ref)
        .where(Member.case_id == case_id, Member.user_id == user_id)
    )


@event.listens_for(PlanVersion, "before_insert")
def _version_author_ref(mapper, connection, version):
    if version.author_ref is None:
        version.author_ref = _member_ref(connection, version.case_id, version.author_id)


@event.listens_for(Meeting, "before_insert")
@event.listens_for(Meeting, "before_update")
def _meeting_completed_by_ref(mapper, connection, meeting):
    if meeting.completed_by_ref is None and meeting.completed_by_id is not None:
        meeting.completed_by_ref = _member_ref(connection, meeting.case_id, meeting.completed_by_id)


@event.listens_for(Circulation, "before_insert")
def _circulation_sent_by_ref(mapper, connection, circulation):
    if circulation.sent_by_ref is None and circulation.sent_by_id is not None:
        case_id = connection.scalar(
            Meeting.__table__.select()
            .with_only_columns(Meeting.case_id)
            .where(Meeting.id == circulation.meeting_id)
        )
        circulation.sent_by_ref = _member_ref(connection, case_id, circulation.sent_by_id)


@event.listens_for(PlanVersion, "load")
@event.listens_for(PlanVersion, "refresh")
def _upgrade_as_read(version, context, attrs=None):
    """A version written under an earlier schema reads as the current schema (in memory only;
    `stored_document` keeps what was written, for exports)."""
    from flask import current_app, has_app_context
    from sqlalchemy.orm.attributes import set_committed_value

    from coregroup.schema_upgrades import upgrade

    state = version.__dict__
    if "document" not in state or not has_app_context():
        return
    current = current_app.extensions["coregroup.schemas"]["child-protection-plan"].version
    version.stored_document = state["document"]
    if version.schema_version != current:
        upgraded = upgrade(
            "child-protection-plan", state["document"], version.schema_version, current
        )
        set_committed_value(version, "document", upgraded)
