"""Inviting a parent, carer or young person: a single-use, expiring link to set a passcode."""

from __future__ import annotations

import hashlib
import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import PasswordField
from wtforms.validators import InputRequired, ValidationError

from coregroup import audit, mail
from coregroup.access import case_route
from coregroup.auth import find_user, hash_password, password_problem, start_session
from coregroup.extensions import db, limiter
from coregroup.models import Invitation, User, utcnow
from coregroup.webforms import Form

bp = Blueprint("invitations", __name__)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(member, user) -> str:
    """A new invitation for `member`; returns the token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    _retire_others(member)
    db.session.add(
        Invitation(
            token_hash=_digest(token),
            member_id=member.id,
            created_by_id=user.id,
            expires_at=utcnow() + current_app.config["COREGROUP_INVITATION_LIFETIME"],
        )
    )
    audit.record("invite", f"member {member.id}", user.id, member.case_id)
    return token


def find(token: str, lock: bool = False) -> Invitation | None:
    """The invitation if the link still works: known, unused, unexpired, and for a member who
    is still in the core group and has no account yet."""
    query = select(Invitation).where(Invitation.token_hash == _digest(token))
    found = db.session.scalar(query.with_for_update(key_share=True) if lock else query)
    if found is None or found.used_at is not None or found.expires_at < utcnow():
        return None
    if found.member.left_on is not None or found.member.user_id is not None:
        return None
    return found


def _retire_others(member, keep_id: int | None = None) -> None:
    """Only the newest invitation for a member works."""
    for other in db.session.scalars(
        select(Invitation).where(Invitation.member_id == member.id, Invitation.used_at.is_(None))
    ):
        if other.id != keep_id:
            other.used_at = utcnow()


@bp.post("/cases/<int:case_id>/members/<int:member_id>/invite")
@case_route("members.manage")
@limiter.limit("20 per hour")
def invite(case_id: int, member_id: int):
    member = next((m for m in g.case.members if m.id == member_id), None)
    if member is None or not member.is_family or member.user_id or member.left_on:
        abort(404)
    if not member.email:
        flash(
            _("Add %(name)s's email address first: they sign in with it.", name=member.name),
            "error",
        )
        return redirect(url_for("cases.members", case_id=case_id))
    token = create(member, g.member.user)
    link = url_for("invitations.accept", token=token, _external=True)
    sent = True
    with force_locale(member.language or "en_GB"):
        subject = _("You are invited to see your family's plan")
        body = _(
            "Hello %(name)s,\n\nYou are invited to Core Group, where you can read your "
            "family's child protection plan and give your views.\n\nOpen this link to set up "
            "your passcode: %(link)s\n\nThe link works once, for 48 hours.\n",
            name=member.name,
            link=link,
        )
    try:
        mail.send(member.email, subject, body)
    except (mail.MailNotConfigured, OSError):
        sent = False
    return render_template("invitations/created.html", member=member, link=link, sent=sent)


class PasscodeForm(Form):
    passcode = PasswordField(
        _l("Choose a passcode"),
        description=_l("At least 10 characters. Three or four words you will remember work well."),
        validators=[InputRequired(message=_l("Choose a passcode"))],
    )
    again = PasswordField(
        _l("Type your passcode again"),
        validators=[InputRequired(message=_l("Type your passcode again"))],
    )

    def validate_passcode(self, field):
        problem = password_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    def validate_again(self, field):
        if field.data != self.passcode.data:
            raise ValidationError(_("The two passcodes are not the same"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def accept(token: str):
    invitation = find(token)
    if invitation is None:
        return render_template("invitations/not_valid.html"), 404
    member = invitation.member
    owner = find_user(member.email)
    if owner is not None:
        return _accept_as_owner(token, member, owner)
    form = PasscodeForm()
    if form.validate_on_submit():
        invitation = find(token, lock=True)  # again, under the write lock: single use
        if invitation is None:
            return render_template("invitations/not_valid.html"), 404
        member = invitation.member
        if find_user(member.email) is not None:  # an account made meanwhile: its owner signs in
            return redirect(url_for("invitations.accept", token=token))
        user = User(
            email=member.email,
            name=member.name,
            professional=False,
            password_hash=hash_password(form.passcode.data),
            preferred_language=member.language,
        )
        db.session.add(user)
        db.session.flush()
        member.user_id = user.id
        invitation.used_at = utcnow()
        _retire_others(member, keep_id=invitation.id)
        audit.record("invitation-accepted", f"member {member.id}", user.id, member.case_id)
        start_session(user)
        return redirect(url_for("cases.overview", case_id=member.case_id))
    return render_template("invitations/accept.html", form=form, member=member), (
        400 if form.errors else 200
    )


def _accept_as_owner(token: str, member, owner: User):
    """An invitation for an e-mail address that has an account already. Opening the link
    proves nothing about who holds it: the account's owner signs in (password and, for a
    professional, the second factor) in this browser, then adds the case to their account."""
    form = Form()
    is_owner = current_user.is_authenticated and current_user.id == owner.id
    if is_owner and request.method == "POST" and form.validate():
        invitation = find(token, lock=True)
        if invitation is None:
            return render_template("invitations/not_valid.html"), 404
        member = invitation.member
        already = any(m.user_id == owner.id and m.id != member.id for m in member.case.members)
        if not already:
            member.user_id = owner.id
        invitation.used_at = utcnow()
        _retire_others(member, keep_id=invitation.id)
        audit.record("invitation-accepted", f"member {member.id}", owner.id, member.case_id)
        if already:
            flash(_("You are in this core group already."), "success")
        else:
            flash(_("The case is added to your account."), "success")
        return redirect(url_for("cases.overview", case_id=member.case_id))
    sign_in = url_for("auth.login", next=url_for("invitations.accept", token=token))
    return render_template(
        "invitations/existing.html",
        member=member,
        is_owner=is_owner,
        someone_else=current_user.is_authenticated and not is_owner,
        sign_in_url=sign_in,
        form=form,
    ), (400 if request.method == "POST" else 200)


def register_language(app) -> None:
    """Open an invitation in the invited person's language unless they chose another."""

    @app.before_request
    def _invitation_language():
        if request.endpoint == "invitations.accept" and "lang" not in request.args:
            token = (request.view_args or {}).get("token", "")
            invitation = find(token) if token else None
            if invitation and invitation.member.language:
                g.invited_language = invitation.member.language
