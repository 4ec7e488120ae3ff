"""Sending the updated plan and minutes to every member, and their receipt and agreement."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from coregroup import mail
from coregroup.cases import invitations
from coregroup.extensions import db
from coregroup.i18n import email_notice
from coregroup.i18n import gettext as _
from coregroup.meetings import services
from coregroup.models import Circulation, Member, utcnow
from coregroup.webforms import Form


def _email_for(member: Member, meeting, user) -> tuple[str, str]:
    """The subject and body, in the member's own language. The link opens the minutes after
    they sign in; for a member with no account yet it is a new invitation that sets one up
    first (their older invitation stops working)."""
    path = url_for("meetings.minutes", case_id=meeting.case_id, number=meeting.number)
    if member.user_id is None:
        link = invitations.link_for(member, user, path)
    else:
        link = url_for(
            "meetings.minutes", case_id=meeting.case_id, number=meeting.number, _external=True
        )
    with force_locale(member.language or "en_GB"):
        subject = _("The plan and minutes from your core group meeting")
        body = _(
            "Hello %(name)s,\n\n"
            "The core group met. The updated plan and the notes of the "
            "meeting (the minutes) are ready for you.\n\n"
            "Read them here: %(link)s\n\n"
            "Please tell us that you have received them. You can also tell us what you think "
            "of the plan.\n",
            name=member.name,
            link=link,
        )
        if member.user_id is None:
            body += "\n" + _(
                "You have not set up your account yet. The link sets it up first. It works "
                "once, until %(until)s.\n",
                until=invitations.expiry_text(
                    utcnow() + current_app.config["COREGROUP_INVITATION_LIFETIME"],
                    member.language,
                ),
            )
        body += email_notice()
    return subject, body


def send_all(meeting, user) -> tuple[int, int]:
    """E-mail every member not yet reached; each attempt is recorded, sent or not."""
    sent = failed = 0
    for member in services.circulation_outstanding(meeting):
        if not member.email:
            continue
        subject, body = _email_for(member, meeting, user)
        try:
            mail.send(member.email, subject, body)
        except (mail.MailNotConfigured, smtplib.SMTPException, OSError) as problem:
            if isinstance(problem, mail.MailNotConfigured):
                error = str(problem)
            else:
                # The server's own words go to the log; the page says it plainly.
                current_app.logger.warning("e-mail to member %s failed: %r", member.id, problem)
                error = _("The mail server did not accept it")
            services.record_circulation(meeting, member, "email", user, member.email, error=error)
            failed += 1
        else:
            services.record_circulation(meeting, member, "email", user, member.email)
            sent += 1
    return sent, failed


def by_hand(meeting, member_id: int, user) -> None:
    member = next((m for m in meeting.case.members if m.id == member_id), None)
    if member is not None:
        services.record_circulation(meeting, member, "by-hand", user)


@dataclass
class StatusRow:
    member: Member
    sent: Circulation | None
    failed: Circulation | None


def status_rows(meeting) -> list[StatusRow]:
    rows = []
    for member in meeting.case.members:
        if not member.is_current or not services.member_at(member, meeting):
            continue
        mine = [c for c in meeting.circulations if c.member_id == member.id]
        sent = next((c for c in reversed(mine) if c.error is None), None)
        failed = next((c for c in reversed(mine) if c.error is not None), None)
        rows.append(StatusRow(member, sent, None if sent else failed))
    return rows


class ReceiptForm(Form):
    # Saying you received the plan is one thing, agreeing with it another: the question is
    # optional, its answers are statements in the same voice, and none is chosen for you.
    agrees = RadioField(
        _l("What do you think of the plan? (optional)"),
        choices=[
            SelectChoice("yes", _l("I agree with the plan")),
            SelectChoice("no", _l("I do not agree with all of the plan")),
            SelectChoice("unsaid", _l("I do not want to say now")),
        ],
        validators=[Optional()],
    )
    disagreement = TextAreaField(
        _l("What do you not agree with, and why?"),
        validators=[Length(max=4000, message=_l("Use 4000 characters or fewer"))],
    )

    def validate_disagreement(self, field):
        from coregroup.rules import procedure

        if self.agrees.data == "no" and not procedure.has_words(field.data):
            raise ValidationError(_("Tell us what you do not agree with"))


def confirm(meeting, member: Member, agrees: bool | None, disagreement: str | None) -> None:
    """The member says they received the plan and minutes, and whether they agree (None: they
    did not say)."""
    mine = [c for c in meeting.circulations if c.member_id == member.id and c.error is None]
    record = (
        mine[-1]
        if mine
        else Circulation(meeting_id=meeting.id, member_id=member.id, method="in-app")
    )
    record.received_at = utcnow()
    record.agrees = agrees
    record.disagreement = (disagreement or "").strip() or None if agrees is False else None
    db.session.add(record)
