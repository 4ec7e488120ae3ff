"""The next core group meeting as it stands, and each member's calendar invitation to it.

The conference sets the first core group's date; each meeting sets the next one's date, time
and place (its record's `nextMeeting`). That is the meeting as it was *set*. The lead social
worker or a professional may then *change* it — give it a time and a place, move it, cancel it —
and the change is kept as an ArrangedMeeting, never by rewriting the record that set it.

Each arranged meeting is one calendar event (RFC 5545): its UID is made from the case's uid and
what set the meeting, so it is the same on every host and through every change; its SEQUENCE
grows with each change. Every current member with an e-mail address gets their own invitation
(METHOD:REQUEST), naming only themselves as ATTENDEE — no member's address reaches another (the
seeds' confidentiality of contact details) — with the lead social worker's work address as
ORGANIZER, and the start in the case's own time zone with its VTIMEZONE. A change sends everyone
an update (the same UID, a higher SEQUENCE); a cancelled meeting sends METHOD:CANCEL to everyone
who was invited. Each e-mail that went is recorded (models.Reminder: member, kind, "uid#seq"), so
nobody is sent the same one twice, and one that could not go is sent by the next
`flask --app app reminders`.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import icalendar
from flask import current_app, url_for
from flask_babel import force_locale

from coregroup import mail, rules
from coregroup.extensions import db
from coregroup.i18n import email_notice, format_date, format_time
from coregroup.i18n import gettext as _
from coregroup.models import ArrangedMeeting, Case, Meeting, Member, Reminder, User, utcnow

LENGTH = dt.timedelta(hours=1, minutes=30)  # how long a core group meeting is put in a diary
INVITATION = "meeting-invitation"  # a Reminder's kind: a REQUEST (new, or an update)
CANCELLATION = "meeting-cancellation"


@dataclass(frozen=True)
class Arranged:
    """The next meeting as it stands (set, and changed since if it was)."""

    case: Case
    slot: str
    uid: str
    sequence: int
    date: dt.date
    time: str | None
    location: str | None
    cancelled: bool = False
    reason: str | None = None
    changed: ArrangedMeeting | None = None

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(rules.profile(self.case.jurisdiction).timezone)

    @property
    def start(self) -> dt.datetime | None:
        """When it starts, in the case's time zone; None until a time is set."""
        if not self.time:
            return None
        hours, minutes = (int(part) for part in self.time.split(":"))
        return dt.datetime.combine(self.date, dt.time(hours, minutes), self.timezone)

    @property
    def invitable(self) -> bool:
        """An invitation needs a time: a date alone (the conference's first core group) waits
        for someone to set the time and place."""
        return self.start is not None


def _set_by(case: Case, case_meetings: list[Meeting] | None) -> tuple[str, dict] | None:
    """What set the next meeting, and what it set: the last completed meeting of the plans now
    running, or else the conference that started them."""
    from coregroup.meetings import services

    running = services.running_meetings(case, case_meetings)
    if running:
        last = running[-1]
        planned = (last.record or {}).get("nextMeeting") or {}
        return (f"meeting-{last.number}", planned) if planned.get("date") else None
    if case.first_core_group_on:
        started = case.initial_conference.isoformat() if case.initial_conference else "none"
        return f"conference-{started}", {"date": case.first_core_group_on.isoformat()}
    return None


def _uid(case: Case, slot: str, n: int = 0) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://coregroup.example/{case.uid}/{slot}/{n}"))


def arranged(case: Case, case_meetings: list[Meeting] | None = None) -> Arranged | None:
    """The next meeting, or None (none set; the case is closed)."""
    if case.is_closed:
        return None
    found = _set_by(case, case_meetings)
    if found is None:
        return None
    slot, planned = found
    changed = [row for row in case.arranged_meetings if row.slot == slot]
    if changed:
        return _from_row(case, changed[-1])
    return Arranged(
        case,
        slot,
        _uid(case, slot),
        0,
        dt.date.fromisoformat(planned["date"]),
        planned.get("time"),
        planned.get("location"),
    )


def _from_row(case: Case, row: ArrangedMeeting) -> Arranged:
    return Arranged(
        case,
        row.slot,
        row.uid,
        row.sequence,
        row.date,
        row.time,
        row.location,
        row.cancelled,
        row.reason,
        row,
    )


def change(
    now: Arranged,
    user: User,
    date: dt.date,
    time: str | None,
    location: str | None,
    reason: str | None,
) -> Arranged:
    """Move the meeting, or give it its time and place: the same event, one sequence on. A
    cancelled meeting arranged again is a new event."""
    row = now.changed
    if row is None or row.cancelled:
        n = sum(1 for r in now.case.arranged_meetings if r.slot == now.slot)
        row = ArrangedMeeting(
            case_id=now.case.id,
            slot=now.slot,
            uid=now.uid if row is None else _uid(now.case, now.slot, n),
            sequence=now.sequence + 1 if row is None else 0,
        )
        now.case.arranged_meetings.append(row)
    else:
        row.sequence += 1
    row.date, row.time, row.location = date, time, location
    row.status, row.reason = "planned", reason
    row.changed_at, row.changed_by_id = utcnow(), user.id
    return arranged(now.case)


def cancel(now: Arranged, user: User, reason: str) -> Arranged:
    row = now.changed
    if row is None:
        row = ArrangedMeeting(
            case_id=now.case.id, slot=now.slot, uid=now.uid, sequence=now.sequence
        )
        row.date, row.time, row.location = now.date, now.time, now.location
        now.case.arranged_meetings.append(row)
    row.sequence += 1
    row.status, row.reason = "cancelled", reason
    row.changed_at, row.changed_by_id = utcnow(), user.id
    return _from_row(now.case, row)  # as it stands, even once the case has closed


# --- The invitation ------------------------------------------------------------------------


def organizer(case: Case) -> Member | None:
    """The lead social worker (their work address organises the meeting)."""
    return next((m for m in case.members if m.is_lead and m.is_current and m.email), None)


def ics(meeting: Arranged, member: Member, method: str, address: str | None = None) -> bytes:
    """One member's own invitation (REQUEST) or cancellation (CANCEL): only they are named
    (at `address`, or their e-mail address)."""
    start = meeting.start
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Core Group//coregroup//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = icalendar.Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", dt.datetime.now(dt.UTC))
    event.add("dtstart", start)
    event.add("dtend", start + LENGTH)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    with force_locale(member.language or "en_GB"):
        event.add("summary", _("Core group meeting"))
        event.add(
            "description",
            _(
                "The core group meets to review the plan. Please bring the latest plan: %(link)s",
                link=url_for("plans.read", case_id=meeting.case.id, _external=True),
            ),
        )
    if meeting.location:
        event.add("location", meeting.location)
    lead = organizer(meeting.case)
    organised_by = lead.email if lead else current_app.config["MAIL_FROM"]
    found = icalendar.vCalAddress(f"mailto:{organised_by}")
    found.params["cn"] = lead.name if lead else "Core Group"
    event.add("organizer", found)
    attendee = icalendar.vCalAddress(f"mailto:{address or member.email}")
    attendee.params.update(
        {"cn": member.name, "role": "REQ-PARTICIPANT", "partstat": "NEEDS-ACTION", "rsvp": "TRUE"}
    )
    event.add("attendee", attendee)
    calendar.add_component(event)
    calendar.add_missing_timezones(
        first_date=dt.date(start.year - 1, 1, 1), last_date=dt.date(start.year + 2, 1, 1)
    )
    return calendar.to_ical()


def _sent(case: Case, kind: str) -> dict[int, set[str]]:
    """Member id -> the "uid#sequence" of each such e-mail that went."""
    from sqlalchemy import select

    found: dict[int, set[str]] = {}
    for member_id, subject in db.session.execute(
        select(Reminder.member_id, Reminder.subject).where(
            Reminder.case_id == case.id, Reminder.kind == kind
        )
    ):
        found.setdefault(member_id, set()).add(subject)
    return found


def due(meeting: Arranged | None, today: dt.date) -> list[tuple[Member, str]]:
    """Who is owed an e-mail about the next meeting now, and which (REQUEST or CANCEL)."""
    if meeting is None or not meeting.invitable or meeting.date < today:
        return []
    if meeting.start <= dt.datetime.now(meeting.timezone):
        return []  # over, or under way: nobody is invited to it now
    this = f"{meeting.uid}#{meeting.sequence}"
    invited = _sent(meeting.case, INVITATION)
    owed = []
    if meeting.cancelled:
        told = _sent(meeting.case, CANCELLATION)
        for member in meeting.case.members:
            had = any(s.startswith(meeting.uid + "#") for s in invited.get(member.id, ()))
            if member.email and had and this not in told.get(member.id, ()):
                owed.append((member, "CANCEL"))
        return owed
    for member in meeting.case.members:
        if member.is_current and member.email and this not in invited.get(member.id, ()):
            owed.append((member, "REQUEST"))
    return owed


def owes_invitation(meeting: Arranged | None, member: Member) -> bool:
    """Whether `member` has yet to be sent this version of the meeting's invitation."""
    if meeting is None or meeting.cancelled or not meeting.invitable or not member.email:
        return False
    this = f"{meeting.uid}#{meeting.sequence}"
    return this not in _sent(meeting.case, INVITATION).get(member.id, set())


def record_sent(meeting: Arranged, member: Member, kind: str) -> None:
    db.session.add(
        Reminder(
            case_id=meeting.case.id,
            member_id=member.id,
            kind=kind,
            subject=f"{meeting.uid}#{meeting.sequence}",
        )
    )
    db.session.flush()


def _message(
    meeting: Arranged, member: Member, method: str, update: bool, tell_reason: bool = True
) -> tuple[str, str]:
    with force_locale(member.language or "en_GB"):
        when = _(
            "%(day)s at %(time)s",
            day=format_date(meeting.date, "EEEE d MMMM yyyy"),
            time=format_time(meeting.start.replace(tzinfo=None), "short", rebase=False),
        )
        where = meeting.location or _("The place is not set yet.")
        plan = url_for("plans.read", case_id=meeting.case.id, _external=True)
        if method == "CANCEL":
            subject = _("Core group meeting cancelled")
            body = _(
                "Hello %(name)s,\n\nThe core group meeting on %(when)s is cancelled. We will "
                "tell you when the next one is.\n",
                name=member.name,
                when=when,
            )
            if meeting.reason:
                body += "\n" + _("Why: %(reason)s", reason=meeting.reason) + "\n"
        else:
            subject = (
                _("Core group meeting changed: %(when)s", when=when)
                if update
                else _("Core group meeting: %(when)s", when=when)
            )
            if member.is_family:
                body = _(
                    "Hello %(name)s,\n\nThe core group is the group of people who work with "
                    "your family on the plan. It meets on:\n\n%(when)s\n%(where)s\n\nPlease "
                    "come, and bring the latest plan: %(plan)s\n\nThe invitation is attached. "
                    "Open it to add the meeting to your calendar.\n",
                    name=member.name,
                    when=when,
                    where=where,
                    plan=plan,
                )
            else:
                body = _(
                    "Hello %(name)s,\n\nThe core group for %(reference)s meets on:\n\n"
                    "%(when)s\n%(where)s\n\nPlease bring the latest plan: %(plan)s\n\nThe "
                    "invitation is attached.\n",
                    name=member.name,
                    reference=meeting.case.reference,
                    when=when,
                    where=where,
                    plan=plan,
                )
            if update:
                body = _("The meeting has changed.") + "\n\n" + body
                if meeting.reason and tell_reason:
                    body += "\n" + _("Why: %(reason)s", reason=meeting.reason) + "\n"
        body += email_notice()
    return subject, body


def send_due(
    meeting: Arranged | None, today: dt.date, send=mail.send, tell_reason: bool = True
) -> tuple[int, int]:
    """E-mail everyone owed an invitation or a cancellation; record each that went. Returns
    (sent, not sent)."""
    sent = failed = 0
    for member, method in due(meeting, today):
        kind = CANCELLATION if method == "CANCEL" else INVITATION
        earlier = _sent(meeting.case, INVITATION).get(member.id, set())
        update = any(s.startswith(meeting.uid + "#") for s in earlier)
        subject, body = _message(meeting, member, method, update, tell_reason)
        attachment = mail.Calendar(ics(meeting, member, method), method)
        try:
            send(member.email, subject, body, attachment)
        except (mail.MailNotConfigured, smtplib.SMTPException, OSError) as problem:
            current_app.logger.warning(
                "meeting e-mail to member %s not sent: %r", member.id, problem
            )
            failed += 1
            continue
        record_sent(meeting, member, kind)
        sent += 1
    return sent, failed
