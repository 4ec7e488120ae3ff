"""Signing in and out. Passwords are hashed with argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import EmailField, PasswordField
from wtforms.validators import InputRequired

from coregroup.extensions import db, login_manager
from coregroup.models import User

bp = Blueprint("auth", __name__)
# argon2id with the library's recommended parameters; tests set COREGROUP_FAST_HASHES to save time.
_HASHERS = {
    False: PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY),
    True: PasswordHasher.from_parameters(profiles.CHEAPEST),
}
_DUMMY_HASHES: dict[bool, str] = {}


def _hasher() -> PasswordHasher:
    return _HASHERS[bool(current_app and current_app.config.get("COREGROUP_FAST_HASHES"))]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(user: User | None, password: str) -> bool:
    """Check a password; an unknown account costs the same work as a wrong password."""
    hasher = _hasher()
    fast = hasher is _HASHERS[True]
    if fast not in _DUMMY_HASHES:
        _DUMMY_HASHES[fast] = hasher.hash("not-a-real-password")
    try:
        stored = user.password_hash if user else _DUMMY_HASHES[fast]
        return hasher.verify(stored, password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


class SignInForm(FlaskForm):
    email = EmailField(
        _l("Email address"), validators=[InputRequired(message=_l("Enter your email address"))]
    )
    password = PasswordField(
        _l("Password"), validators=[InputRequired(message=_l("Enter your password"))]
    )


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


@bp.route("/sign-in", methods=["GET", "POST"])
def login():
    form = SignInForm()
    if form.validate_on_submit():
        user = find_user(form.email.data)
        if check_password(user, form.password.data) and user.is_active:
            session.clear()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append(_("The email address or password is not right"))
    return render_template("auth/sign_in.html", form=form), (400 if form.errors else 200)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("main.cases")


@bp.post("/sign-out")
def logout():
    logout_user()
    session.clear()
    response = redirect(url_for("auth.login"))
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response
