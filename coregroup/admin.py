"""Administration: accounts, and everything held about one person (subject access)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from coregroup import audit
from coregroup.access import can_account
from coregroup.auth import find_user, hash_password, password_problem
from coregroup.extensions import db
from coregroup.models import AuditEvent, Circulation, Meeting, Member, PlanVersion, User
from coregroup.webforms import Form

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _admin_only():
    if not can_account(current_user, "users.manage"):
        abort(404)


class AccountForm(Form):
    name = StringField(
        _l("Full name"), validators=[DataRequired(message=_l("Enter their name")), Length(max=200)]
    )
    email = EmailField(
        _l("Email address"),
        validators=[
            DataRequired(message=_l("Enter their email address")),
            Email(message=_l("Enter an email address like name@example.com")),
        ],
    )
    password = PasswordField(
        _l("First password"),
        description=_l("Give it to them in person. At least 10 characters, not a common password."),
        validators=[DataRequired(message=_l("Enter a first password"))],
    )
    admin = BooleanField(_l("They manage accounts (administrator)"))

    def validate_email(self, field):
        if find_user(field.data or ""):
            raise ValidationError(_("An account with this email address already exists"))

    def validate_password(self, field):
        problem = password_problem(
            field.data or "", email=self.email.data or "", name=self.name.data or ""
        )
        if problem:
            raise ValidationError(problem)


@bp.route("/users", methods=["GET", "POST"])
@login_required
def users():
    _admin_only()
    form = AccountForm()
    if form.validate_on_submit():
        user = User(
            name=form.name.data.strip(),
            email=form.email.data.strip(),
            password_hash=hash_password(form.password.data),
            is_admin=form.admin.data,
            professional=True,
        )
        db.session.add(user)
        db.session.flush()
        audit.record("account-created", f"user {user.id}", current_user.id)
        flash(_("Account created for %(name)s.", name=user.name), "success")
        return redirect(url_for("admin.users"))
    accounts = list(db.session.scalars(select(User).order_by(User.name)))
    return render_template("admin/users.html", form=form, accounts=accounts), (
        400 if form.errors else 200
    )


@bp.post("/users/<int:user_id>/active")
@login_required
def toggle_active(user_id: int):
    _admin_only()
    form = Form()
    user = db.session.get(User, user_id) or abort(404)
    if not form.validate() or user.id == current_user.id:
        abort(400)
    user.active = not user.active
    audit.record(
        "account-enabled" if user.active else "account-disabled", f"user {user.id}", current_user.id
    )
    return redirect(url_for("admin.users"))


def _mentions(node, ref: str) -> bool:
    return ref in json.dumps(node)


def subject_access(user: User) -> dict:
    """Everything held about one person, as JSON (no password hash or second-factor secret)."""
    members = list(db.session.scalars(select(Member).where(Member.user_id == user.id)))
    out = {
        "account": {
            "name": user.name,
            "email": user.email,
            "createdAt": user.created_at.isoformat(),
            "preferredLanguage": user.preferred_language,
            "active": user.active,
            "administrator": user.is_admin,
            "professional": user.professional,
            "secondFactorSetUp": bool(user.totp_secret),
        },
        "memberships": [],
        "auditEvents": [
            {"at": e.at.isoformat(), "action": e.action, "target": e.target, "ip": e.ip}
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.user_id == user.id).order_by(AuditEvent.id)
            )
        ],
    }
    for member in members:
        case = member.case
        versions = db.session.scalars(
            select(PlanVersion).where(PlanVersion.case_id == case.id).order_by(PlanVersion.number)
        )
        meetings = db.session.scalars(select(Meeting).where(Meeting.case_id == case.id))
        circulations = db.session.scalars(
            select(Circulation).where(Circulation.member_id == member.id)
        )
        out["memberships"].append(
            {
                "case": case.reference,
                "memberId": member.ref,
                "role": member.role,
                "organisation": member.organisation,
                "email": member.email,
                "phone": member.phone,
                "language": member.language,
                "joined": member.joined_on.isoformat() if member.joined_on else None,
                "left": member.left_on.isoformat() if member.left_on else None,
                "planVersionsWritten": [v.number for v in versions if v.author_id == user.id],
                "planVersionsNamingThem": [],
                "meetingRecordsNamingThem": [
                    {"meeting": m.number, "record": m.record}
                    for m in meetings
                    if _mentions(m.record, member.ref)
                ],
                "circulation": [
                    {
                        "meeting": c.meeting.number,
                        "method": c.method,
                        "sentAt": c.sent_at.isoformat(),
                        "receivedAt": c.received_at.isoformat() if c.received_at else None,
                        "agrees": c.agrees,
                        "disagreement": c.disagreement,
                    }
                    for c in circulations
                ],
            }
        )
        latest = None
        for version in db.session.scalars(
            select(PlanVersion).where(PlanVersion.case_id == case.id).order_by(PlanVersion.number)
        ):
            if _mentions(version.document, member.ref):
                out["memberships"][-1]["planVersionsNamingThem"].append(version.number)
                latest = version
        if latest is not None:
            out["memberships"][-1]["theirViewsInTheLatestPlan"] = latest.document.get(
                "familyViews", {}
            ).get(member.ref)
    return out


@bp.get("/users/<int:user_id>/export")
@login_required
def export(user_id: int):
    if not can_account(current_user, "people.subject-access"):
        abort(404)
    user = db.session.get(User, user_id) or abort(404)
    body = json.dumps(subject_access(user), ensure_ascii=False, indent=2)
    audit.record("subject-access-export", f"user {user.id}", current_user.id)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="subject-access-{user.id}.json"'},
    )
