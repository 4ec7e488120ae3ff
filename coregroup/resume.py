"""Nothing typed is lost when a session ends or a form's security token has expired.

The typed answers are kept (server-side, under an unguessable id) and, once the person is signed
in again, shown back to them in a form that sends them to where they were going.
"""

from __future__ import annotations

import datetime as dt
import secrets

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from coregroup.extensions import db
from coregroup.models import PendingSubmission, utcnow

bp = Blueprint("resume", __name__)
KEEP_FOR = dt.timedelta(hours=24)


def keep_typed() -> str:
    """Store this request's form answers; return the id to resume them with."""
    fields = {k: v for k, v in request.form.to_dict(flat=False).items() if k != "csrf_token"}
    pending_id = secrets.token_urlsafe(24)
    db.session.rollback()
    db.session.add(
        PendingSubmission(
            id=pending_id,
            path=request.full_path.rstrip("?"),
            form={"fields": fields, "user": session.get("_user_id")},
        )
    )
    db.session.commit()
    return pending_id


# Secrets are never kept: a sign-in or passcode form is simply shown again.
NEVER_KEPT = {"auth", "invitations", "resume"}


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
@login_required
def show(pending_id: str):
    pending = db.session.get(PendingSubmission, pending_id)
    if (
        pending is None
        or utcnow() - pending.created_at > KEEP_FOR
        or (pending.form.get("user") and str(current_user.id) != str(pending.form["user"]))
    ):
        abort(404)
    return render_template("resume.html", pending=pending, fields=pending.form["fields"])


def after_sign_in(target: str) -> str:
    """Where to go after signing in: back to what was being typed, if anything was kept."""
    pending_id = request.args.get("resume")
    if pending_id and db.session.get(PendingSubmission, pending_id):
        return url_for("resume.show", pending_id=pending_id)
    return target


def sign_in_again():
    """An ended session met a form being sent: keep the answers, then ask to sign in."""
    pending_id = keep_typed()
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?"), resume=pending_id))
