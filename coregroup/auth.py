"""Signing in and out: argon2id passwords, a second factor for professionals, server-side sessions.

A session is a row in `user_session`, named by a random id in the signed cookie. Signing out ends
the row, so a copied cookie replayed afterwards is refused; so is a session idle for too long, one
older than the absolute limit, or one whose user has been disabled.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import unicodedata

import pyotp
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from sqlalchemy import bindparam, func, select, update
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import InputRequired
from zxcvbn import zxcvbn

from coregroup import audit, unitofwork
from coregroup.extensions import db, limiter, login_manager
from coregroup.i18n import gettext as _
from coregroup.models import FAMILY_ROLES, Member, RecoveryCode, User, UserSession, utcnow
from coregroup.webforms import Form

bp = Blueprint("auth", __name__)
# argon2id with the library's recommended parameters; tests set COREGROUP_FAST_HASHES to save time.
_HASHERS = {
    False: PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY),
    True: PasswordHasher.from_parameters(profiles.CHEAPEST),
}
_DUMMY_HASHES: dict[bool, str] = {}
MAX_FAILURES = 10
PENDING_FOR = dt.timedelta(minutes=5)  # time to give the second factor after the password
BACKGROUND_ENDPOINTS = {"plans.live_state", "offline.session_token"}
LOCKED_FOR = dt.timedelta(minutes=15)


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


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why a new password or passcode is refused, or None: long enough, and not a common one."""
    if len(password) < 10:
        return _("Use at least 10 characters")
    if zxcvbn(password[:100], user_inputs=[email, name])["score"] < 3:
        return _("This is a common password, or too easy to guess. Use three or four random words")
    return None


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def needs_second_factor(user: User) -> bool:
    """Professionals and administrators use a second factor; an account that is only ever a
    family member's signs in with its passcode alone."""
    if not current_app.config["COREGROUP_REQUIRE_SECOND_FACTOR"]:
        return False
    if user.professional or user.is_admin or user.totp_secret:
        return True
    roles = set(db.session.scalars(select(Member.role).where(Member.user_id == user.id)))
    return bool(roles - set(FAMILY_ROLES))


# --- Sessions ----------------------------------------------------------------------------------


def start_session(user: User, second_factor: bool = False) -> None:
    """A new session id at every sign-in: the old session's contents are not carried over,
    except the language the person chose on the way in and messages waiting to be shown.

    `second_factor`: the person gave their authenticator's code (or a recovery code) too. A
    professional membership is used only by a session that did (coregroup.access), and a
    hand-over waiting for this person completes only then."""
    from coregroup.cases import handovers

    kept = {k: session[k] for k in ("lang", "_flashes") if k in session}
    session.clear()
    session.update(kept)
    session["second_factor"] = second_factor
    if second_factor or not needs_second_factor(user):
        handovers.complete_waiting_for(user)
    sid = secrets.token_urlsafe(32)
    db.session.add(UserSession(id=sid, user_id=user.id, ip=audit.client_address()))
    user.failed_logins = 0
    user.locked_until = None
    audit.record("sign-in", "sign-in", user.id)
    session["sid"] = sid
    session.permanent = True
    login_user(user)


def end_session() -> None:
    sid = session.get("sid")
    if sid:
        found = db.session.get(UserSession, sid)
        if found and found.ended_at is None:
            found.ended_at = utcnow()
            audit.record("sign-out", "sign-out", found.user_id)
    logout_user()
    session.clear()


# The session and its person, in one query on every request (the join makes sure the session
# is this person's).
_SESSION_AND_USER = (
    select(User, UserSession)
    .join(UserSession, User.id == UserSession.user_id)
    .where(UserSession.id == bindparam("sid"), User.id == bindparam("user_id"))
)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    from coregroup import tokens

    if tokens.bearer() and request.path.startswith("/api/"):
        return None  # a bearer token speaks for itself (coregroup/tokens.py), never a cookie
    sid = session.get("sid")
    if not sid:
        return None
    # The session and its person in one query: this runs on every request.
    try:
        found = db.session.execute(_SESSION_AND_USER, {"sid": sid, "user_id": int(user_id)}).first()
    except ValueError:
        return None
    if found is None:
        return None
    user, seen = found
    now = utcnow()
    config = current_app.config
    if (
        seen.ended_at is not None
        or not user.active
        or now - seen.last_seen_at > config["COREGROUP_IDLE_TIMEOUT"]
        or now - seen.created_at > config["COREGROUP_ABSOLUTE_TIMEOUT"]
    ):
        return None
    background = request.endpoint in BACKGROUND_ENDPOINTS  # polling is not someone at work
    if not background and now - seen.last_seen_at > dt.timedelta(seconds=60):
        unitofwork.later(update(UserSession).where(UserSession.id == sid).values(last_seen_at=now))
    g.session_seen = now
    return user


# --- Forms and pages ---------------------------------------------------------------------------


class SignInForm(Form):
    email = EmailField(
        _l("Email address"), validators=[InputRequired(message=_l("Enter your email address"))]
    )
    password = PasswordField(
        _l("Password or passcode"),
        validators=[InputRequired(message=_l("Enter your password or passcode"))],
    )


class CodeForm(Form):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[InputRequired(message=_l("Enter the code"))],
    )


def _safe_next(target: str | None) -> str:
    from coregroup.redirects import safe_next

    return safe_next(target)


def _fail(user: User | None) -> None:
    if user is not None:
        fresh = db.session.get(User, user.id)
        fresh.failed_logins += 1
        if fresh.failed_logins >= MAX_FAILURES:
            fresh.locked_until = utcnow() + LOCKED_FOR
    audit.record("sign-in-failed", "sign-in", user.id if user else None)


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["COREGROUP_SIGN_IN_LIMIT"], methods=["POST"])
def login():
    form = SignInForm()
    if form.validate_on_submit():
        user = find_user(form.email.data)
        locked = bool(user and user.locked_until and user.locked_until > utcnow())
        # Always check the password, so a locked or unknown account answers in the same time.
        right = check_password(user, form.password.data)
        if right and not locked and user.is_active:
            from coregroup.resume import after_sign_in

            target = after_sign_in(_safe_next(request.args.get("next")), user)
            if needs_second_factor(user):
                session.clear()
                session["pending_user"] = user.id
                session["pending_at"] = utcnow().timestamp()
                session["pending_next"] = target
                endpoint = "auth.code" if user.totp_secret else "auth.set_up_code"
                return redirect(url_for(endpoint))
            start_session(user)
            return redirect(target)
        _fail(user)
        form.password.errors.append(
            _(
                "The email address or password is not right. After 10 wrong tries, you must "
                "wait 15 minutes."
            )
        )
    return render_template("auth/sign_in.html", form=form), (400 if form.errors else 200)


def _pending_user() -> User | None:
    """The account half signed in (password given), for 5 minutes, if still allowed in."""
    user_id, since = session.get("pending_user"), session.get("pending_at")
    if not user_id or not since or utcnow().timestamp() - since > PENDING_FOR.total_seconds():
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or (user.locked_until and user.locked_until > utcnow()):
        return None
    return user


def _ascii_digits(text: str) -> str:
    """Digits typed on any keyboard (Arabic-Indic, Bengali, ...) as 0-9."""
    return "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in text)


def verify_code(user: User, code: str) -> bool:
    """A TOTP code (each time step accepted once only) or an unused recovery code.

    Call with the user's row locked (with_for_update), so one code cannot be used twice at once.
    """
    code = _ascii_digits(code.replace(" ", "").replace("-", "-").strip())
    if not code.isascii():
        return False
    if user.totp_secret and code.isdigit() and len(code) == 6:
        totp = pyotp.TOTP(user.totp_secret)
        now = utcnow().replace(tzinfo=dt.UTC)
        for drift in (-1, 0, 1):
            step = totp.timecode(now) + drift
            if secrets.compare_digest(totp.generate_otp(step), code):
                if user.totp_last_step is not None and step <= user.totp_last_step:
                    return False  # a replayed code
                user.totp_last_step = step
                return True
        return False
    digest = hashlib.sha256(code.lower().encode()).hexdigest()
    # Marked used by one statement that succeeds once only, whoever else tries at the same time.
    used = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == digest,
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    return used.rowcount == 1


@bp.route("/sign-in/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["COREGROUP_SIGN_IN_LIMIT"], methods=["POST"])
def code():
    user = _pending_user()
    if user is None or not user.totp_secret:
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        user = db.session.get(User, user.id, with_for_update={"key_share": True})
        ok = verify_code(user, form.code.data)
        if ok:
            target = session.get("pending_next")
            start_session(user, second_factor=True)
            return redirect(_safe_next(target))
        _fail(user)
        form.code.errors.append(_("The code is not right, or it has been used already"))
    return render_template("auth/code.html", form=form), (400 if form.errors else 200)


def new_recovery_codes(user: User) -> list[str]:
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _n in range(10)]
    for old in db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        old.used_at = old.used_at or utcnow()
    for value in codes:
        db.session.add(
            RecoveryCode(user_id=user.id, code_hash=hashlib.sha256(value.encode()).hexdigest())
        )
    return codes


@bp.route("/sign-in/set-up-code", methods=["GET", "POST"])
def set_up_code():
    """First sign-in of a professional: link an authenticator app, get recovery codes."""
    user = _pending_user()
    if user is None or user.totp_secret:
        return redirect(url_for("auth.login"))
    secret = session.setdefault("pending_secret", pyotp.random_base32())
    form = CodeForm()
    if form.validate_on_submit():
        if pyotp.TOTP(secret).verify(form.code.data.replace(" ", ""), valid_window=1):
            user = db.session.get(User, user.id)
            user.totp_secret = secret
            user.totp_last_step = pyotp.TOTP(secret).timecode(utcnow().replace(tzinfo=dt.UTC))
            codes = new_recovery_codes(user)
            audit.record("second-factor-set-up", "sign-in", user.id)
            target = session.get("pending_next")
            start_session(user, second_factor=True)
            return render_template(
                "auth/recovery_codes.html", codes=codes, next_url=_safe_next(target)
            )
        form.code.errors.append(_("The code is not right. Check the time on your phone"))
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="Core Group")
    import segno

    qr = segno.make(uri).svg_inline(scale=4, omitsize=True, title=_("QR code for your app"))
    return render_template("auth/set_up_code.html", form=form, secret=secret, qr=qr), (
        400 if form.errors else 200
    )


@bp.post("/sign-out")
def logout():
    end_session()
    response = redirect(url_for("auth.login"))
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


@bp.post("/session/keep-alive")
def keep_alive():
    """Called by the page's idle warning: being here counts as activity."""
    if not current_user.is_authenticated:
        return {"signedIn": False}, 401
    return {"signedIn": True}
