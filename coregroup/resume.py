"""Nothing typed is lost when a session ends or a form's security token has expired.

The typed answers are kept (server-side, under an unguessable id) and, once the person is signed
in again, shown back to them in a form that sends them to where they were going.
"""

from __future__ import annotations

import datetime as dt
import secrets

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import delete

from coregroup import audit, textpolicy
from coregroup.extensions import db
from coregroup.models import PendingSubmission, UserSession, utcnow
from coregroup.unitofwork import writes

bp = Blueprint("resume", __name__)
KEEP_FOR = dt.timedelta(hours=24)


# Fields a page's form carries for its own working, not what the person typed: kept to send
# again, never shown as their answers.
MACHINERY = {"csrf_token", "page_state", "shown", "base", "action"}

SECRET_NAMES = ("password", "passcode", "again", "code", "secret", "token")


def _owner() -> int | None:
    """Whose answers these are: the signed-in user, or the user of the session that just ended,
    known from the server's own session record (never from what the cookie claims)."""
    if current_user.is_authenticated:
        return current_user.id
    sid = session.get("sid")
    found = db.session.get(UserSession, sid) if sid else None
    return found.user_id if found else None


def typed_fields() -> dict[str, list[str]]:
    """What this request's form carried that a person typed or chose, never a secret or the
    form's token. As it may be stored: a character the text policy refuses is kept as U+FFFD
    (the form it goes back to refuses it again, at its field)."""
    return {
        textpolicy.scrub(k): [textpolicy.scrub(v) for v in values]
        for k, values in request.form.to_dict(flat=False).items()
        if k != "csrf_token" and not any(word in k.lower() for word in SECRET_NAMES)
    }


def keep_typed() -> str | None:
    """Store this request's answers for their owner; None when there is no known owner."""
    db.session.rollback()
    owner = _owner()
    if owner is None:
        return None
    fields = typed_fields()
    pending_id = secrets.token_urlsafe(24)
    db.session.execute(
        delete(PendingSubmission).where(PendingSubmission.created_at < utcnow() - KEEP_FOR)
    )
    db.session.add(
        PendingSubmission(
            id=pending_id,
            path=textpolicy.scrub(request.full_path.rstrip("?"))[:2000],
            form={"fields": fields, "user": owner},
        )
    )
    audit.record("answers-kept", textpolicy.scrub(request.path)[:400], owner)
    return pending_id


# Secrets are never kept: a sign-in or passcode form is simply shown again.
NEVER_KEPT = {"auth", "invitations", "resume", "admin"}


def _from_our_own_page() -> bool:
    """The form was sent from one of our pages: another site's form is never kept, or it could
    trick someone into sending what it wrote with their own fresh token."""
    own = request.host_url.rstrip("/")
    origin = request.headers.get("Origin")
    if origin:
        return origin.rstrip("/") == own
    return (request.referrer or "").startswith(own + "/")


def is_form_post() -> bool:
    """A page's form of answers (not the API, not a sign-in or passcode form), from our site."""
    blueprint = (request.endpoint or "").split(".")[0]
    return (
        request.method == "POST"
        and not request.path.startswith("/api/")
        and blueprint not in NEVER_KEPT
        and bool(request.form)
        and _from_our_own_page()
    )


@bp.get("/resume/<pending_id>")
@writes  # shown once: the kept answers are deleted as the page is read
@login_required
def show(pending_id: str):
    pending = db.session.get(PendingSubmission, pending_id)
    if (
        pending is None
        or utcnow() - pending.created_at > KEEP_FOR
        or pending.form.get("user") != current_user.id
    ):
        abort(404)
    # Shown once, to its owner only: the page itself now holds the answers.
    page = render_template("resume.html", pending=pending, fields=pending.form["fields"])
    db.session.execute(delete(PendingSubmission).where(PendingSubmission.id == pending_id))
    return page


def after_sign_in(target: str, user) -> str:
    """Where to go after signing in: back to what this person was typing, if it was kept."""
    pending_id = request.args.get("resume")
    pending = db.session.get(PendingSubmission, pending_id) if pending_id else None
    if pending is not None and pending.form.get("user") == user.id:
        return url_for("resume.show", pending_id=pending_id)
    return target


def sign_in_again():
    """An ended session met a form being sent: keep the answers, then ask to sign in."""
    pending_id = keep_typed()
    args = {"next": request.full_path.rstrip("?")}
    if pending_id:
        args["resume"] = pending_id
    return redirect(url_for("auth.login", **args))
