"""Each child's own plan: adding a child, starting a plan, review conferences and their
outcomes, early conference requests, and the case closing when the last plan ends.

Every check returns its problems by field, in the user's language; nothing is written unless
all of them pass.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from flask import current_app, url_for
from flask_babel import force_locale
from sqlalchemy import select

from coregroup import audit, mail, rules
from coregroup.extensions import db
from coregroup.i18n import email_notice, format_date
from coregroup.i18n import gettext as _
from coregroup.models import (
    FAMILY_ROLES,
    PLAN_END_REASONS,
    Case,
    Child,
    ChildPlan,
    ConferenceRequest,
    Meeting,
    Member,
    ReviewConference,
    User,
)


def case_rules(case: Case) -> rules.Profile:
    return rules.profile(case.jurisdiction).with_overrides(case.rule_overrides)


def _day(value: dt.date) -> str:
    return format_date(value, "d MMMM yyyy")


# --- Children ---------------------------------------------------------------------------------


@dataclass
class NewChild:
    name: str
    born: dt.date | None = None
    expected: dt.date | None = None
    plan_from: dt.date | None = None  # None: no plan yet
    categories: list[str] = field(default_factory=list)
    family: list[Member] = field(default_factory=list)


def new_child_problems(case: Case, new: NewChild, today: dt.date) -> dict[str, str]:
    problems = {}
    if new.born and new.expected:
        problems["expected"] = _("Enter a date of birth or the date the baby is due, not both")
    if new.born and new.born > today:
        problems["born"] = _("The date of birth must be today or in the past")
    if new.expected and new.expected > today + relativedelta(months=10):
        problems["expected"] = _("The date the baby is due must be within 10 months")
    if new.expected and new.expected < today - dt.timedelta(days=31):
        problems["expected"] = _(
            "The date the baby is due is more than a month ago. If the baby is born, enter the "
            "date of birth"
        )
    if new.plan_from is not None:
        problems |= plan_start_problems(case, new.plan_from, new.categories, today)
    return problems


def plan_start_problems(
    case: Case, on: dt.date, categories: list[str], today: dt.date
) -> dict[str, str]:
    problems = {}
    if on > today:
        problems["plan_from"] = _("The conference date must be today or in the past")
    allowed = case_rules(case).categories
    if not categories:
        problems["categories"] = _("Select at least one category of concern")
    elif any(c not in allowed for c in categories):
        problems["categories"] = _("Select only categories these procedures use")
    return problems


def add_child(case: Case, new: NewChild, user: User, today: dt.date) -> Child:
    child = Child(
        name=new.name.strip(),
        date_of_birth=new.born,
        expected_on=new.expected,
        added_on=today if case.initial_conference else None,
    )
    case.children.append(child)
    for member in new.family:
        if member.role in FAMILY_ROLES:
            member.children.append(child)
    db.session.flush()
    audit.record("child-added", f"child {child.id}", user.id, case.id)
    if new.plan_from is not None:
        start_plan(case, child, new.plan_from, new.categories, user)
    return child


def start_plan(
    case: Case, child: Child, on: dt.date, categories: list[str], user: User
) -> ChildPlan:
    """A new plan for a child not on one (a conference decided it). A closed case opens again,
    from this conference: the next core group is due from it, as after any initial conference."""
    plan = ChildPlan.starting(len(child.plans) + 1, categories, on)
    child.plans.append(plan)
    if case.is_closed or case.initial_conference is None:
        case.status, case.closed_on = "open", None
        case.initial_conference = on
        case.first_core_group_on = None
        audit.record("case-reopened", f"case {case.id}", user.id, case.id)
    db.session.flush()
    audit.record("plan-started", f"child {child.id} plan {plan.number}", user.id, case.id)
    return plan


def start_problems(case: Case, child: Child, on: dt.date, categories, today) -> dict[str, str]:
    problems = plan_start_problems(case, on, categories, today)
    if child.current_plan is not None:
        problems["child"] = _(
            "%(name)s is on a plan already. Change their categories at a review conference",
            name=child.name,
        )
    last_end = max((p.ended_on for p in child.plans if p.ended_on), default=None)
    if not case.is_closed and case.initial_conference and on < case.initial_conference:
        problems["plan_from"] = _(
            "The case's plans started at the conference on %(day)s: a new plan cannot start "
            "before it",
            day=_day(case.initial_conference),
        )
    elif last_end and on < last_end:
        problems["plan_from"] = _(
            "%(name)s's last plan ended on %(day)s: a new one cannot start before that",
            name=child.name,
            day=_day(last_end),
        )
    return problems


def link_family(member: Member, children: list[Child]) -> None:
    """The children a family member is a parent or carer of (the child themself, for a child)."""
    member.children = [c for c in children if c.case_id == member.case_id]


# --- Review conferences -----------------------------------------------------------------------


@dataclass
class Outcome:
    outcome: str | None  # "continue" or "end"
    categories: list[str] = field(default_factory=list)
    reason: str | None = None
    note: str | None = None


@dataclass
class Review:
    held_on: dt.date
    chair: str
    outcomes: dict[str, Outcome]  # by child ref
    next_review_on: dt.date | None


def latest_recommendation(case: Case, before: dt.date) -> dict | None:
    """The core group's recommendation at its last meeting before this review (the seeds: at
    the last core group before review, the group's recommendation and why)."""
    found = db.session.scalars(
        select(Meeting)
        .where(Meeting.case_id == case.id, Meeting.status == "completed")
        .order_by(Meeting.number.desc())
    )
    last_review = case.last_review_conference
    for meeting in found:
        day = meeting.date
        if day is None or day > before or (last_review and day <= last_review):
            continue
        record = meeting.record or {}
        recommended = record.get("groupRecommendation") or {}
        each = {
            ref: given
            for ref, given in (record.get("childRecommendations") or {}).items()
            if given.get("recommendation")
        }
        if recommended.get("recommendation") or each:
            return recommended | {"meeting": meeting.number, "children": each}
    return None


def recommended_for(recommended: dict | None, child_ref: str) -> dict | None:
    """The core group's recommendation for one child: their own, else the one for all."""
    if not recommended:
        return None
    own = recommended.get("children", {}).get(child_ref)
    if own:
        return own
    return recommended if recommended.get("recommendation") else None


def review_problems(case: Case, review: Review, today: dt.date) -> dict[str, str]:
    """Everything wrong with this review conference's record, by field ("outcome-<ref>",
    "categories-<ref>", "reason-<ref>", "held", "next")."""
    problems: dict[str, str] = {}
    profile = case_rules(case)
    if review.held_on > today:
        problems["held"] = _("The date of the review conference must be today or in the past")
    elif case.initial_conference and review.held_on < case.initial_conference:
        problems["held"] = _(
            "The review conference must be on or after the initial conference, %(day)s",
            day=_day(case.initial_conference),
        )
    elif case.last_review_conference and review.held_on < case.last_review_conference:
        problems["held"] = _(
            "The last review conference was on %(day)s: this one cannot be before it",
            day=_day(case.last_review_conference),
        )
    if not review.chair.strip():
        problems["chair"] = _("Enter the name of the person who chaired the conference")
    on_plan = {c.ref: c for c in case.children if c.current_plan is not None}
    by_ref = {c.ref: c for c in case.children}
    for ref, outcome in review.outcomes.items():
        child = by_ref.get(ref)
        if child is None:
            problems[f"outcome-{ref}"] = _("This child is not in this case")
        elif ref not in on_plan and outcome.outcome:
            problems[f"outcome-{ref}"] = _(
                "%(name)s is not on a plan, so there is no plan to continue or end. To start "
                "a new plan, use “Start a new plan”",
                name=child.name,
            )
    for ref, child in on_plan.items():
        outcome = review.outcomes.get(ref) or Outcome(None)
        plan = child.current_plan
        if outcome.outcome not in ("continue", "end"):
            problems[f"outcome-{ref}"] = _(
                "Select whether %(name)s's plan continues or ends", name=child.name
            )
        elif outcome.outcome == "continue":
            if not outcome.categories:
                problems[f"categories-{ref}"] = _(
                    "Select at least one category of concern for %(name)s", name=child.name
                )
            elif any(c not in profile.categories for c in outcome.categories):
                problems[f"categories-{ref}"] = _("Select only categories these procedures use")
        else:
            if outcome.reason not in PLAN_END_REASONS:
                problems[f"reason-{ref}"] = _("Select why %(name)s's plan ends", name=child.name)
            elif outcome.reason == "other" and not (outcome.note or "").strip():
                problems[f"note-{ref}"] = _("Enter the reason the plan ends")
            if "held" not in problems and review.held_on < plan.started_on:
                problems[f"outcome-{ref}"] = _(
                    "%(name)s's plan started on %(day)s: it cannot end before it started",
                    name=child.name,
                    day=_day(plan.started_on),
                )
    continuing = [
        r for r in on_plan if (review.outcomes.get(r) or Outcome(None)).outcome == "continue"
    ]
    if continuing and "held" not in problems:
        latest = review.held_on + relativedelta(months=profile.review_then_months)
        if review.next_review_on is None:
            problems["next"] = _("Enter the date of the next review conference")
        elif review.next_review_on <= review.held_on:
            problems["next"] = _("The next review conference must be after this one")
        elif review.next_review_on > latest:
            problems["next"] = _(
                "The next review must be by %(day)s at the latest, as the procedures require",
                day=_day(latest),
            )
    elif not continuing and review.next_review_on is not None and on_plan:
        problems["next"] = _(
            "Every plan ends at this conference, so there is no next review. Remove this date"
        )
    return problems


def record_review(case: Case, review: Review, user: User) -> list[Member]:
    """Record the conference, end the plans it ended, answer the open requests for a
    conference, and close the case when no plan is left running. Returns the family members
    who could not be told by e-mail that the case closed (none if it did not)."""
    recommended = latest_recommendation(case, review.held_on)
    outcomes = {}
    for child in case.children:
        plan = child.current_plan
        outcome = review.outcomes.get(child.ref)
        if plan is None or outcome is None:
            continue
        entry = {"outcome": outcome.outcome, "plan": plan.number}
        mine = recommended_for(recommended, child.ref)
        if mine:
            entry["recommendation"] = mine["recommendation"]
        if outcome.outcome == "continue":
            entry["categories"] = list(outcome.categories)
        else:
            entry["reason"] = outcome.reason
            if outcome.note:
                entry["note"] = outcome.note.strip()
        outcomes[child.ref] = entry
    conference = ReviewConference(
        held_on=review.held_on,
        chair=review.chair.strip(),
        outcomes=outcomes,
        next_review_on=review.next_review_on,
        recorded_by_id=user.id,
    )
    case.review_conferences.append(conference)
    db.session.flush()
    for child in case.children:
        plan, entry = child.current_plan, outcomes.get(child.ref)
        if plan is None or entry is None:
            continue
        if entry["outcome"] == "continue":
            plan.categories = entry["categories"]
        else:
            plan.ended_on = review.held_on
            plan.end_reason = entry["reason"]
            plan.end_note = entry.get("note")
            plan.ended_by_id = conference.id
            audit.record("plan-ended", f"child {child.id} plan {plan.number}", user.id, case.id)
    for request in open_requests(case):
        if request.requested_on <= review.held_on:
            request.answered_by_id = conference.id
    audit.record("review-conference", f"review conference {conference.id}", user.id, case.id)
    if all(c.current_plan is None for c in case.children):
        return close(case, review.held_on, user)[1]
    return []


def next_review_due(case: Case) -> dt.date | None:
    """What the last review conference since the plans now running began set; else the rule's
    date from their conference (a conference held that day is the one that closed the case
    before, not a review of these plans)."""
    if case.is_closed or case.initial_conference is None:
        return None
    since = [r for r in case.review_conferences if r.held_on > case.initial_conference]
    profile = case_rules(case)
    if since and since[-1].next_review_on:
        return since[-1].next_review_on
    return rules.review_conference_due(
        case.initial_conference, profile, since[-1].held_on if since else None
    )


# --- Conference requests ----------------------------------------------------------------------


def open_requests(case: Case) -> list[ConferenceRequest]:
    return list(
        db.session.scalars(
            select(ConferenceRequest)
            .where(ConferenceRequest.case_id == case.id, ConferenceRequest.answered_by_id.is_(None))
            .order_by(ConferenceRequest.requested_on, ConferenceRequest.id)
        )
    )


def all_requests(case: Case) -> list[ConferenceRequest]:
    return list(
        db.session.scalars(
            select(ConferenceRequest)
            .where(ConferenceRequest.case_id == case.id)
            .order_by(ConferenceRequest.requested_on, ConferenceRequest.id)
        )
    )


def request_conference(
    case: Case, on: dt.date, user: User, meeting_number: int | None = None, reason: str = ""
) -> ConferenceRequest:
    request = ConferenceRequest(
        case_id=case.id,
        requested_on=on,
        meeting_number=meeting_number,
        reason=reason.strip() or None,
        requested_by_id=user.id,
    )
    db.session.add(request)
    db.session.flush()
    audit.record("conference-requested", f"request {request.id}", user.id, case.id)
    return request


def after_meeting(meeting: Meeting, user: User) -> None:
    """A core group that decided another conference is needed asks for one."""
    record = meeting.record or {}
    if record.get("conferenceDecision") == "request-conference" and meeting.date:
        request_conference(
            meeting.case,
            meeting.date,
            user,
            meeting_number=meeting.number,
            reason=record.get("conferenceDecisionReason") or "",
        )


# --- Closing ----------------------------------------------------------------------------------


def close(case: Case, on: dt.date, user: User) -> tuple[int, list[Member]]:
    """Close the case; returns how many family members were told by e-mail, and those who
    could not be (no address, or the e-mail failed): the lead tells them another way."""
    case.status, case.closed_on = "closed", on
    audit.record("case-closed", f"case {case.id}", user.id, case.id)
    return tell_family(case, user)


def readable_until(case: Case) -> dt.date | None:
    """The last day members (other than the last lead social worker) can read a closed case."""
    if not case.is_closed or case.closed_on is None:
        return None
    days = current_app.config["COREGROUP_CLOSED_READABLE_DAYS"]
    return case.closed_on + dt.timedelta(days=days)


def closed_to(member: Member, today: dt.date) -> bool:
    """A closed case past its reading period is closed to everyone but its lead social worker."""
    until = readable_until(member.case)
    return until is not None and today > until and not member.is_lead


def _family_message(case: Case, member: Member) -> tuple[str, str]:
    until = readable_until(case)
    with force_locale(member.language or "en_GB"):
        subject = _("The plan has ended")
        body = (
            _(
                "Hello %(name)s,\n\n"
                "The review conference on %(day)s decided that the plan can end. "
                "(A conference is the meeting that decides whether a child needs a plan.) There "
                "are no more core group meetings. The core group is the group of people who "
                "worked with your family on the plan.\n\n"
                "What happens next: your social worker will tell you about any help that goes "
                "on, for example from family support or the school. If you are worried about "
                "your children again, or you need help, contact your social worker or the "
                "children's services team.\n\n"
                "You can still read the plan and the minutes until %(until)s: %(link)s\n\n"
                "You can ask for a copy of the information we hold about you at any time.\n",
                name=member.name,
                day=format_date(case.closed_on, "d MMMM yyyy"),
                until=format_date(until, "d MMMM yyyy"),
                link=url_for("cases.overview", case_id=case.id, _external=True),
            )
            + email_notice()
        )
    return subject, body


def tell_family(case: Case, user: User) -> tuple[int, list[Member]]:
    """E-mail each current family member that the plan has ended and what happens next, in
    their own language: (how many were told, who could not be)."""
    told, untold = 0, []
    for member in case.members:
        if not (member.is_family and member.is_current):
            continue
        if not member.email:
            untold.append(member)
            continue
        subject, body = _family_message(case, member)
        try:
            mail.send(member.email, subject, body)
        except (mail.MailNotConfigured, smtplib.SMTPException, OSError) as problem:
            current_app.logger.warning("closing e-mail to member %s failed: %r", member.id, problem)
            untold.append(member)
        else:
            told += 1
            audit.record("told-plan-ended", f"member {member.id}", user.id, case.id)
    return told, untold
