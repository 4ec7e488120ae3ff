"""Inviting a member of the core group: a single-use, expiring link, e-mailed in their language.

A family member sets up a passcode from it; a professional sets up a password and then their
second factor; someone who has an account already signs in to accept (the link never links an
account on its own). Only the newest invitation for a member works; the lead social worker can
send it again or withdraw it, and a member who leaves has theirs withdrawn.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import PasswordField
from wtforms.validators import InputRequired, ValidationError

from coregroup import audit
from coregroup.access import case_route
from coregroup.auth import (
    end_session,
    find_user,
    hash_password,
    needs_second_factor,
    password_problem,
    start_session,
)
from coregroup.cases import handovers
from coregroup.cases.invitations import (
    expiry_text,
    find,
    lookup,
    retire_others,
    send,
    withdraw,
)
from coregroup.extensions import db, limiter
from coregroup.i18n import format_date
from coregroup.i18n import gettext as _
from coregroup.models import Invitation, Member, User, utcnow
from coregroup.redirects import local_target
from coregroup.webforms import Form

bp = Blueprint("invitations", __name__)


def _why_not(token: str):
    """The page for a link that does not work, saying why and what to do."""
    invitation = lookup(token)
    if invitation is None:
        return render_template("invitations/not_valid.html", state="unknown", lead=None), 404
    member = invitation.member
    state = invitation.state
    if state == "waiting":  # the member left or changed address, or has an account already
        moved = invitation.email is not None and invitation.email != member.email
        state = "withdrawn" if member.has_left or moved else "used"
    lead = next((m.name for m in member.case.members if m.is_lead and m.is_current), None)
    return render_template("invitations/not_valid.html", state=state, lead=lead), 410


@bp.post("/cases/<int:case_id>/members/<int:member_id>/invite")
@case_route("members.manage")
@limiter.limit("20 per hour")
def invite(case_id: int, member_id: int):
    """Send an invitation, or send it again (the older link stops working)."""
    member = next((m for m in g.case.members if m.id == member_id), None)
    if member is None or member.user_id or member.has_left:
        abort(404)
    if not member.email:
        flash(
            _("Add %(name)s's email address first: they sign in with it.", name=member.name),
            "error",
        )
        return redirect(url_for("cases.details", case_id=case_id, member_id=member_id))
    sent = send(member, g.member.user)
    return render_template(
        "invitations/created.html",
        member=member,
        link=sent.link,
        sent=sent.emailed,
        until=expiry_text(sent.expires, None),
    )


@bp.post("/cases/<int:case_id>/members/<int:member_id>/withdraw-invitation")
@case_route("members.manage")
def withdraw_invitation(case_id: int, member_id: int):
    member = next((m for m in g.case.members if m.id == member_id), None)
    if member is None:
        abort(404)
    if handovers.waiting_for_member(member) is not None:
        flash(
            _(
                "%(name)s is to become the lead social worker. Cancel the hand-over first",
                name=member.name,
            ),
            "error",
        )
    elif withdraw(member, g.member.user):
        flash(
            _(
                "The invitation for %(name)s is withdrawn. Its link no longer works.",
                name=member.name,
            ),
            "success",
        )
    else:
        flash(_("%(name)s has no invitation waiting.", name=member.name), "error")
    return redirect(url_for("cases.members", case_id=case_id))


class PasscodeForm(Form):
    """A family member's passcode."""

    passcode = PasswordField(
        _l("Choose a passcode"),
        description=_l("At least 10 characters. Three or four words you will remember work well."),
        validators=[InputRequired(message=_l("Choose a passcode"))],
    )
    again = PasswordField(
        _l("Type your passcode again"),
        validators=[InputRequired(message=_l("Type your passcode again"))],
    )
    mismatch = _l("The two passcodes are not the same")

    def validate_passcode(self, field):
        problem = password_problem(field.data or "", email=self.email, name=self.name)
        if problem:
            raise ValidationError(problem)

    def validate_again(self, field):
        if field.data != self.passcode.data:
            raise ValidationError(str(self.mismatch))

    def __init__(self, *args, email: str = "", name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.email, self.name = email, name


class PasswordForm(PasscodeForm):
    """A professional's password (their second factor is set up next)."""

    passcode = PasswordField(
        _l("Choose a password"),
        description=_l("At least 10 characters. Three or four random words work well."),
        validators=[InputRequired(message=_l("Choose a password"))],
    )
    again = PasswordField(
        _l("Type your password again"),
        validators=[InputRequired(message=_l("Type your password again"))],
    )
    mismatch = _l("The two passwords are not the same")


def _step_up(user: User, target: str, language: str | None):
    """A professional's account is theirs once their second factor is set up (or given): the
    half-signed-in state auth.set_up_code and auth.code take over from. The invitation's
    language goes on with them."""
    kept = {k: session[k] for k in ("lang", "_flashes") if k in session}
    if language and "lang" not in kept:
        kept["lang"] = language
    end_session()
    session.update(kept)
    session["pending_user"] = user.id
    session["pending_at"] = utcnow().timestamp()
    session["pending_next"] = target
    return redirect(url_for("auth.code" if user.totp_secret else "auth.set_up_code"))


def _joined(invitation: Invitation, user: User) -> str:
    """Link the member to the account and say where to go next."""
    member = invitation.member
    member.user_id = user.id
    invitation.used_at = utcnow()
    retire_others(member, keep_id=invitation.id)
    audit.record("invitation-accepted", f"member {member.id}", user.id, member.case_id)
    if not member.is_current:  # joining on a later day: the case opens to them then
        flash(
            _(
                "You are in the core group from %(day)s. You can see the case from then.",
                day=format_date(member.joined_on, "d MMMM yyyy"),
            ),
            "success",
        )
        return url_for("main.cases")
    fallback = url_for("cases.overview", case_id=member.case_id)
    return local_target(invitation.next_path) or fallback


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def accept(token: str):
    invitation = find(token)
    if invitation is None:
        return _why_not(token)
    member = invitation.member
    owner = find_user(member.email)
    if owner is not None:
        return _accept_as_owner(token, member, owner)
    form_class = PasscodeForm if member.is_family else PasswordForm
    form = form_class(email=member.email or "", name=member.name)
    if current_user.is_authenticated and request.method == "POST":
        # Someone signed in opening another person's invitation: never a silent switch.
        form.validate_on_submit()
        form.passcode.errors = [_("You are signed in as someone else. Sign out first.")]
    elif form.validate_on_submit():
        invitation = find(token, lock=True)  # again, under the write lock: single use
        if invitation is None:
            return _why_not(token)
        member = invitation.member
        if find_user(member.email) is not None:  # an account made meanwhile: its owner signs in
            return redirect(url_for("invitations.accept", token=token))
        user = User(
            email=member.email,
            name=member.name,
            professional=False,  # opening cases is for social workers (coregroup.access)
            password_hash=hash_password(form.passcode.data),
            preferred_language=member.language,
        )
        db.session.add(user)
        db.session.flush()
        target = _joined(invitation, user)
        if needs_second_factor(user):
            return _step_up(user, target, member.language)
        start_session(user)
        return redirect(target)
    return render_template(
        "invitations/accept.html",
        form=form,
        member=member,
        someone_else=current_user.is_authenticated,
    ), (400 if form.errors else 200)


def _accept_as_owner(token: str, member: Member, owner: User):
    """An invitation for an e-mail address that has an account already. Opening the link
    proves nothing about who holds it: the account's owner signs in (password and, for a
    professional, the second factor) in this browser, then adds the case to their account."""
    form = Form()
    is_owner = current_user.is_authenticated and current_user.id == owner.id
    if is_owner and request.method == "POST" and form.validate():
        invitation = find(token, lock=True)
        if invitation is None:
            return _why_not(token)
        member = invitation.member
        already = next(
            (m for m in member.case.members if m.user_id == owner.id and m.id != member.id), None
        )
        if already is not None and already.is_current:
            invitation.used_at = utcnow()
            audit.record("invitation-accepted", f"member {member.id}", owner.id, member.case_id)
            flash(_("You are in this core group already."), "success")
            return redirect(url_for("cases.overview", case_id=member.case_id))
        if already is not None:
            # They were a member before and left: the account moves to the new membership.
            already.user_id = None
            db.session.flush()
        target = _joined(invitation, owner)
        flash(_("The case is added to your account."), "success")
        if needs_second_factor(owner) and not session.get("second_factor"):
            # A family account joining as a professional (or any account signed in without a
            # second factor): it sets one up, or gives it, before the membership is used.
            return _step_up(owner, target, member.language)
        handovers.complete_waiting_for(owner)
        return redirect(target)
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
            invitation = lookup(token) if token else None
            if invitation and invitation.member.language:
                g.invited_language = invitation.member.language
