"""Reminders by e-mail, in each member's own language: run by `flask --app app reminders` from
cron (the line is in the README).

- Each member, a few working days before an action of theirs is due, and once when it is
  overdue (COREGROUP_REMINDER_WORKING_DAYS).
- Every member, a few working days before the next core group meeting: the notice, with a link
  to the latest plan, so that everyone comes with it (the seeds: "It is the responsibility of
  the lead social worker to ensure that all attendees have a copy of the most recent child
  protection plan to review at the meeting"; COREGROUP_NOTICE_WORKING_DAYS).
- The lead social worker, before a core group meeting falls due and before the plan and
  minutes must have reached every member.

Each reminder is recorded (models.Reminder, unique per member, kind and subject) only once its
e-mail has gone, and committed at once: a run repeated never repeats a reminder, and a run
killed half way sends again, on its next run, at most the one it was sending, and loses none.
A member who chose not to receive reminders is sent none.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import force_locale
from sqlalchemy import select

from coregroup import mail, rules
from coregroup.extensions import db
from coregroup.i18n import email_notice, format_date
from coregroup.i18n import gettext as _
from coregroup.meetings import schedule
from coregroup.models import AuditEvent, Case, Member, Reminder


@dataclass(frozen=True)
class Due:
    """A reminder the rules say is due today, not yet known to be sent."""

    case: Case
    member: Member
    kind: str  # action-due, action-overdue, meeting-notice, meeting-due, circulation-due
    subject: str  # what it is about and its date: sent once per member, kind and subject
    on: dt.date  # the date it is about
    what: str = ""  # the action's words, for its reminders


def _profile(case: Case) -> rules.Profile:
    return rules.profile(case.jurisdiction).with_overrides(case.rule_overrides)


def _before(day: dt.date, working_days: int, profile: rules.Profile) -> dt.date:
    """`working_days` working days before `day`."""
    return rules.add_working_days(day, -working_days, profile) if working_days else day


def _reachable(member: Member) -> bool:
    return bool(member.is_current and member.email and member.wants_reminders)


def due(today: dt.date) -> Iterator[Due]:
    """Every reminder the rules make due today, across the open cases."""
    from coregroup.meetings import services as meetings
    from coregroup.plans import services as plans

    config = current_app.config
    action_days = config["COREGROUP_REMINDER_WORKING_DAYS"]
    notice_days = config["COREGROUP_NOTICE_WORKING_DAYS"]
    for case in db.session.scalars(select(Case).where(Case.status != "closed").order_by(Case.id)):
        profile = _profile(case)
        members = {m.ref: m for m in case.members}
        latest = plans.latest_version(case)
        for need in (latest.document if latest else {}).get("needs", []):
            for action in need.get("actions", []):
                if action.get("status") in ("done", "cannot-be-done") or not action.get("byWhen"):
                    continue
                by = dt.date.fromisoformat(action["byWhen"])
                subject = f"{action['id']}@{by.isoformat()}"
                for ref in action.get("who", []):
                    member = members.get(ref)
                    if member is None or not _reachable(member):
                        continue
                    if by < today:
                        yield Due(case, member, "action-overdue", subject, by, action["what"])
                    elif _before(by, action_days, profile) <= today:
                        yield Due(case, member, "action-due", subject, by, action["what"])
        case_meetings = meetings.meetings(case)
        timeline = meetings.timeline(case, case_meetings)
        planned = timeline.next_core_group_planned
        if planned and today <= planned and _before(planned, notice_days, profile) <= today:
            where = schedule.arranged(case, case_meetings)
            at = " · ".join(v for v in (where.time, where.location) if v) if where else ""
            for member in case.members:
                if _reachable(member):
                    yield Due(case, member, "meeting-notice", planned.isoformat(), planned, at)
        leads = [m for m in case.members if m.is_lead and _reachable(m)]
        next_due = timeline.next_core_group_due
        if next_due and _before(next_due, notice_days, profile) <= today:
            for lead in leads:
                yield Due(case, lead, "meeting-due", next_due.isoformat(), next_due)
        for meeting in case_meetings:
            by = timeline.circulation_due.get(meeting.number)
            if not (meeting.is_completed and by and meetings.circulation_outstanding(meeting)):
                continue
            if _before(by, min(notice_days, profile.circulation_working_days), profile) <= today:
                for lead in leads:
                    yield Due(case, lead, "circulation-due", f"meeting-{meeting.number}", by)


def _message(reminder: Due) -> tuple[str, str]:
    """The e-mail, in the member's own language."""
    member, case = reminder.member, reminder.case
    with force_locale(member.language or "en_GB"):
        day = format_date(reminder.on, "EEEE d MMMM yyyy")
        tasks = url_for("tasks.mine", _external=True)
        plan = url_for("plans.read", case_id=case.id, _external=True)
        meetings_page = url_for("meetings.index", case_id=case.id, _external=True)
        stop = _(
            "You can choose not to get these reminders on your tasks page: %(link)s",
            link=tasks,
        )
        if reminder.kind == "action-due":
            subject = _("Reminder: something you agreed to do is due on %(day)s", day=day)
            body = _(
                "Hello %(name)s,\n\nIn the plan, you agreed to do this by "
                "%(day)s:\n\n%(what)s\n\nSee all your tasks: %(link)s\n",
                name=member.name,
                day=day,
                what=reminder.what,
                link=tasks,
            )
        elif reminder.kind == "action-overdue" and not member.is_family:
            subject = _("Overdue: something you agreed to do was due on %(day)s", day=day)
            body = _(
                "Hello %(name)s,\n\nIn the plan, you agreed to do this by "
                "%(day)s. It is not marked as done yet:\n\n%(what)s\n\nIf it is done, or it "
                "cannot be done, say so in the plan: %(link)s\n",
                name=member.name,
                day=day,
                what=reminder.what,
                link=plan,
            )
        elif reminder.kind == "action-overdue":
            subject = _("Overdue: something you agreed to do was due on %(day)s", day=day)
            body = _(
                "Hello %(name)s,\n\nIn the plan, you agreed to do this by "
                "%(day)s. It is not marked as done yet:\n\n%(what)s\n\nIf it is done, or it "
                "cannot be done, tell your social worker. See all your tasks: %(link)s\n",
                name=member.name,
                day=day,
                what=reminder.what,
                link=tasks,
            )
        elif reminder.kind == "meeting-notice":
            subject = _("The next core group meeting is on %(day)s", day=day)
            body = _(
                "Hello %(name)s,\n\nThe next core group meeting is on %(day)s. (The core group "
                "is the family and the people who help them, who meet to check the plan "
                "together.)\n\nPlease read the latest plan before the meeting, and "
                "bring what you want to say about it: %(link)s\n",
                name=member.name,
                day=day,
                link=plan,
            )
            if reminder.what:  # the time and place set at the last meeting
                body += "\n" + _("When and where: %(at)s", at=reminder.what) + "\n"
        elif reminder.kind == "meeting-due":
            subject = _("A core group meeting is due by %(day)s", day=day)
            body = _(
                "Hello %(name)s,\n\nThe procedures say the next core group meeting for %(case)s "
                "must be held by %(day)s. Check that it is arranged: %(link)s\n",
                name=member.name,
                case=case.reference,
                day=day,
                link=meetings_page,
            )
        else:  # circulation-due
            number = reminder.subject.removeprefix("meeting-")
            subject = _(
                "The plan and minutes of meeting %(number)s must reach every member by %(day)s",
                number=number,
                day=day,
            )
            body = _(
                "Hello %(name)s,\n\nNot every member of the core group for %(case)s has been "
                "sent the plan and minutes of meeting %(number)s yet. The procedures say they "
                "must have them by %(day)s: %(link)s\n",
                name=member.name,
                case=case.reference,
                number=number,
                day=day,
                link=url_for(
                    "meetings.circulate", case_id=case.id, number=int(number), _external=True
                ),
            )
        if reminder.kind in ("action-due", "action-overdue", "meeting-notice"):
            body += "\n" + _("Case reference: %(reference)s", reference=case.reference) + "\n"
        return subject, body + "\n" + stop + "\n" + email_notice()


def sent_already(reminder: Due) -> bool:
    return (
        db.session.scalar(
            select(Reminder.id).where(
                Reminder.member_id == reminder.member.id,
                Reminder.kind == reminder.kind,
                Reminder.subject == reminder.subject,
            )
        )
        is not None
    )


@dataclass
class Run:
    sent: list[Due]
    failed: list[tuple[Due, str]]


def run(today: dt.date, send: Callable[[str, str, str], None] = mail.send) -> Run:
    """Send every reminder due today that was not sent before, each committed as it goes."""
    from coregroup import audit

    result = Run([], [])
    for reminder in list(due(today)):
        if sent_already(reminder):
            continue
        subject, body = _message(reminder)
        invitation = meeting = None
        if reminder.kind == "meeting-notice":  # with their own invitation, unless they have it
            meeting = schedule.arranged(reminder.case)
            if schedule.owes_invitation(meeting, reminder.member):
                invitation = mail.Calendar(
                    schedule.ics(meeting, reminder.member, "REQUEST"), "REQUEST"
                )
        try:
            send(reminder.member.email, subject, body, invitation)
        except (mail.MailNotConfigured, smtplib.SMTPException, OSError) as problem:
            db.session.rollback()
            result.failed.append((reminder, str(problem)))
            continue
        db.session.add(
            Reminder(
                case_id=reminder.case.id,
                member_id=reminder.member.id,
                kind=reminder.kind,
                subject=reminder.subject,
            )
        )
        if invitation is not None:
            schedule.record_sent(meeting, reminder.member, schedule.INVITATION)
        audit.record(
            f"reminder-{reminder.kind}", f"member {reminder.member.id}", None, reminder.case.id
        )
        db.session.commit()  # at once: a run killed after this never sends it again
        result.sent.append(reminder)
    # Invitations, updates and cancellations of the next meeting that could not go when it was
    # arranged (coregroup.meetings.schedule): sent now, each recorded as it goes.
    for case in db.session.scalars(select(Case).where(Case.status != "closed").order_by(Case.id)):
        sent, _failed = schedule.send_due(schedule.arranged(case), today, send)
        if sent:
            audit.record("meeting-invitations", f"{sent} sent", None, case.id)
        db.session.commit()
    return result


def opened_latest(case: Case) -> dict[int, dt.datetime | None]:
    """For each current member with an account: when they first opened the latest version of
    the plan (read it in the app, or through the API), or None. From the audit trail, which
    records every reading."""
    from coregroup.plans import services as plans

    latest = plans.latest_version(case, document=False)
    found: dict[int, dt.datetime | None] = {m.id: None for m in case.members if m.user_id}
    if latest is None:
        return found
    paths = (f"GET /cases/{case.id}/plan/read", f"GET /api/v1/cases/{case.id}/plan")
    events = db.session.execute(
        select(AuditEvent.user_id, AuditEvent.at, AuditEvent.target)
        .where(
            AuditEvent.case_id == case.id,
            AuditEvent.action.in_(("view", "export")),
            AuditEvent.at >= latest.created_at,
        )
        .order_by(AuditEvent.at)
    ).all()
    by_user = {m.user_id: m.id for m in case.members if m.user_id}
    for user_id, at, target in events:
        member_id = by_user.get(user_id)
        if member_id is None or found.get(member_id) is not None:
            continue
        if (target or "").split(" (token")[0] in paths:  # the plan itself, not another page
            found[member_id] = at
    return found
