"""Administration: accounts, and everything held about one person (subject access)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from coregroup import audit
from coregroup.access import can_account
from coregroup.auth import find_user, hash_password, password_problem
from coregroup.extensions import db
from coregroup.i18n import gettext as _
from coregroup.models import User
from coregroup.subject_access import subject_access
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
