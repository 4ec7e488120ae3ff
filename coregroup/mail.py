"""Sending e-mail through the configured SMTP server (the standard library's smtplib)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app

from coregroup.i18n import gettext as _


class MailNotConfigured(RuntimeError):
    """No SMTP server is configured, so nothing can be sent by e-mail."""


def send(to: str, subject: str, body: str) -> None:
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        raise MailNotConfigured(_("No mail server is configured, so nothing was sent"))
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
