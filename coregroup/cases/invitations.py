"""Invitations: a single-use, expiring link for a member of the core group, e-mailed in their
language. Only a SHA-256 hash of the link's token is kept; only the newest for a member works.
The pages that use them are in coregroup.invitations."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import force_locale
from sqlalchemy import select

from coregroup import audit, mail
from coregroup.extensions import db
from coregroup.i18n import email_notice, format_datetime
from coregroup.i18n import gettext as _
from coregroup.models import Invitation, Member, User, utcnow


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def retire_others(member: Member, keep_id: int | None = None) -> None:
    """Only the newest invitation for a member works."""
    for other in db.session.scalars(
        select(Invitation).where(Invitation.member_id == member.id, Invitation.used_at.is_(None))
    ):
        if other.id != keep_id and other.state == "waiting":
            other.replaced_at = utcnow()


def create(member: Member, user: User, next_path: str | None = None) -> str:
    """A new invitation for `member`; returns the token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    retire_others(member)
    db.session.add(
        Invitation(
            token_hash=_digest(token),
            member_id=member.id,
            created_by_id=user.id,
            expires_at=utcnow() + current_app.config["COREGROUP_INVITATION_LIFETIME"],
            next_path=next_path,
            email=member.email,
        )
    )
    audit.record("invitation-sent", f"member {member.id}", user.id, member.case_id)
    return token


@dataclass
class Sent:
    link: str
    emailed: bool
    expires: object  # a datetime


def expiry_text(expires, language: str | None) -> str:
    with force_locale(language or "en_GB"):
        return format_datetime(expires, "d MMMM yyyy, HH:mm")


def _message(member: Member, sender: User, link: str, expires) -> tuple[str, str]:
    """The invitation e-mail, in the member's own language. It names neither child nor family:
    e-mail can be read by others."""
    with force_locale(member.language or "en_GB"):
        until = format_datetime(expires, "d MMMM yyyy, HH:mm")
        if member.is_family:
            subject = _("You are invited to see your family's plan")
            body = _(
                "Hello %(name)s,\n\n"
                "You are invited to Core Group. The core group is the group of people who work "
                "with your family to keep your children safe. Here you can read your family's "
                "plan and give your views.\n\n"
                "Open this link to set up your passcode: %(link)s\n\n"
                "The link works once, until %(until)s. If it does not work, ask %(lead)s for a "
                "new one.\n",
                name=member.name,
                link=link,
                until=until,
                lead=sender.name,
            )
        else:
            subject = _(
                "You are in the core group for case %(reference)s", reference=member.case.reference
            )
            body = _(
                "Hello %(name)s,\n\n"
                "%(lead)s has added you to the core group for a child's plan, case "
                "%(reference)s, as %(role)s. The core group writes, follows and reviews the "
                "plan together.\n\n"
                "Open this link to set up your account (a password, then a code from an "
                "authenticator app): %(link)s\n"
                "If you have an account already, the link asks you to sign in.\n\n"
                "The link works once, until %(until)s. If it does not work, ask %(lead)s for a "
                "new one.\n",
                name=member.name,
                lead=sender.name,
                reference=member.case.reference,
                role=member.role_label,
                link=link,
                until=until,
            )
        body += email_notice()
    return subject, body


def send(member: Member, sender: User, next_path: str | None = None) -> Sent:
    """Make an invitation and e-mail it; whether the e-mail went is in the result (the link
    can then be given in person)."""
    token = create(member, sender, next_path)
    link = url_for("invitations.accept", token=token, _external=True)
    expires = utcnow() + current_app.config["COREGROUP_INVITATION_LIFETIME"]
    subject, body = _message(member, sender, link, expires)
    try:
        mail.send(member.email, subject, body)
    except (mail.MailNotConfigured, OSError) as problem:
        current_app.logger.warning("invitation to member %s not sent: %r", member.id, problem)
        return Sent(link, False, expires)
    return Sent(link, True, expires)


def link_for(member: Member, sender: User, next_path: str) -> str:
    """A fresh invitation link leading to `next_path`, for an e-mail the app sends anyway
    (e.g. the plan and minutes) to a member who has no account yet."""
    return url_for("invitations.accept", token=create(member, sender, next_path), _external=True)


def withdraw(member: Member, user: User) -> bool:
    """Stop every waiting invitation for the member; True if there was one."""
    found = False
    for invitation in db.session.scalars(
        select(Invitation).where(Invitation.member_id == member.id, Invitation.used_at.is_(None))
    ):
        if invitation.state == "waiting":
            invitation.withdrawn_at = utcnow()
            found = True
    if found:
        audit.record("invitation-withdrawn", f"member {member.id}", user.id, member.case_id)
    return found


def newest(case) -> dict[int, Invitation]:
    """Each member's newest invitation, in one query."""
    ids = [m.id for m in case.members]
    found: dict[int, Invitation] = {}
    if ids:
        for invitation in db.session.scalars(
            select(Invitation).where(Invitation.member_id.in_(ids)).order_by(Invitation.id)
        ):
            found[invitation.member_id] = invitation
    return found


def lookup(token: str, lock: bool = False) -> Invitation | None:
    """The invitation this link names, whatever its state."""
    query = select(Invitation).where(Invitation.token_hash == _digest(token))
    return db.session.scalar(query.with_for_update(key_share=True) if lock else query)


def find(token: str, lock: bool = False) -> Invitation | None:
    """The invitation if the link still works: known, waiting (not used, withdrawn, replaced or
    expired), and for a member who is in the core group and has no account linked yet."""
    found = lookup(token, lock)
    if found is None or found.state != "waiting":
        return None
    member = found.member
    if member.has_left or member.user_id is not None:
        return None
    if found.email is not None and found.email != member.email:
        return None  # sent to an address the member no longer has
    return found
