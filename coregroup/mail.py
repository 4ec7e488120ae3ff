"""Sending e-mail through the configured SMTP server (the standard library's smtplib)."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app

from coregroup.i18n import gettext as _


class MailNotConfigured(RuntimeError):
    """No SMTP server is configured, so nothing can be sent by e-mail."""


@dataclass(frozen=True)
class Calendar:
    """A calendar invitation (iCalendar, RFC 5545/5546) sent with an e-mail: as its own
    text/calendar part, with its METHOD, which calendar programs act on, and as a file."""

    data: bytes
    method: str  # REQUEST or CANCEL
    filename: str = "invitation.ics"


def send(to: str, subject: str, body: str, calendar: Calendar | None = None) -> None:
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        raise MailNotConfigured(_("No mail server is configured, so nothing was sent"))
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if calendar is not None:
        message.add_attachment(
            calendar.data,
            maintype="text",
            subtype="calendar",
            filename=calendar.filename,
            params={"method": calendar.method, "charset": "UTF-8"},
        )
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
