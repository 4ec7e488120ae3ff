"""Error pages in the Design System's words, and JSON errors for the API."""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import traceback

from flask import render_template, request
from flask_wtf.csrf import CSRFError
from limits.errors import StorageError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from coregroup import textpolicy
from coregroup.extensions import db, login_manager
from coregroup.i18n import gettext as _
from coregroup.problems import problem

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    """The API, and any request that sent JSON or asks for JSON alone, gets problem details."""
    return request.path.startswith("/api/") or (
        request.is_json
        or request.accept_mimetypes.best in ("application/json", "application/problem+json")
    )


def busy_response(error: OperationalError):
    """A change (or a page's record of reading) waited longer than COREGROUP_LOCK_WAIT_SECONDS
    for another change: 503 with Retry-After, and nothing lost. A form's answers come back in a
    page that sends them again; the page asks nothing of the database (it is busy). The form
    had passed its CSRF check to get this far, so what it carried is the person's own."""
    from flask import g

    g.database_down = True  # the unit of work is over: nothing more is asked of the database
    log.warning("lock wait ran out: %s", type(error.orig).__name__)
    headers = {"Retry-After": "5"}
    if request.method in ("GET", "HEAD"):
        title = _("Sorry, the service is busy")
        body = _("Try again in a few seconds.")
    else:
        title = _("Someone else is saving a change to this case")
        body = _("Your change is not saved yet. Wait a few seconds, then send it again.")
    if _wants_json():
        return problem(503, "busy", body, headers=headers)
    from coregroup.resume import MACHINERY, NEVER_KEPT, typed_fields

    blueprint = (request.endpoint or "").split(".")[0]
    kept = request.method == "POST" and blueprint not in NEVER_KEPT
    page = render_template(
        "errors/busy.html",
        title=title,
        body=body,
        fields=typed_fields() if kept else {},
        machinery=MACHINERY,
        action=request.full_path.rstrip("?"),
    )
    return page, 503, headers


def waited_too_long(error: OperationalError) -> bool:
    """A lock wait that ran out: PostgreSQL's lock_timeout (SQLSTATE 55P03, lock not
    available), or SQLite's busy timeout ("database is locked")."""
    found = error.orig
    if getattr(found, "sqlstate", None) == "55P03":
        return True
    return type(found).__module__.startswith("sqlite3") and "locked" in str(found)


def _page(status: int, title: str, body: str, headers=None):
    """An error page; what the failed request had written is rolled back first."""
    db.session.rollback()
    if _wants_json():
        return problem(status, detail=body, headers=headers)
    page = render_template("errors/error.html", title=title, body=body, status=status)
    return page, status, headers or {}


def register(app) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error):
        from flask import redirect, url_for
        from flask_login import current_user

        from coregroup import resume

        db.session.rollback()
        if resume.is_form_post():
            pending_id = resume.keep_typed()
            if pending_id and current_user.is_authenticated:
                return redirect(url_for("resume.show", pending_id=pending_id))
            if pending_id:
                return redirect(
                    url_for("auth.login", next=request.full_path.rstrip("?"), resume=pending_id)
                )
        return _page(
            400,
            _("Your session has ended"),
            _("For your security, the form could not be sent. Go back, and send it again."),
        )

    @app.errorhandler(textpolicy.BadText)
    def _bad_text(error: textpolicy.BadText):
        """A JSON body holding text the policy refuses: 422, naming where (a JSON Pointer)."""
        db.session.rollback()
        message = textpolicy.message(error.reason)
        # The pointer names a key that may itself hold the bad character; a lone surrogate
        # cannot be sent at all (UTF-8), so it alone is shown as U+FFFD.
        where = re.sub("[\ud800-\udfff]", "\ufffd", error.pointer)
        errors = [{"pointer": where, "code": error.reason, "detail": message}]
        return problem(422, "invalid_text", errors=errors)

    @app.errorhandler(textpolicy.RepeatedKey)
    def _repeated_key(error: textpolicy.RepeatedKey):
        db.session.rollback()
        message = _(
            "The key “%(key)s” is given twice in one object.", key=textpolicy.scrub(error.key)
        )
        return problem(
            422, "repeated_key", errors=[{"pointer": "", "code": "repeated-key", "detail": message}]
        )

    @app.errorhandler(textpolicy.TooDeep)
    def _too_deep(error: textpolicy.TooDeep):
        db.session.rollback()
        detail = _(
            "The JSON is nested more than %(limit)s levels deep.", limit=textpolicy.MAX_DEPTH
        )
        return problem(400, "too_deep", detail)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        titles = {
            400: (_("Something in the request was not right"), _("Go back and try again.")),
            404: (
                _("Page not found"),
                _(
                    "If you typed the web address, check it is correct. "
                    "If you followed a link, you may not have access to it."
                ),
            ),
            405: (_("That cannot be done here"), _("Go back and try again.")),
            413: (
                _("What you sent is too large"),
                _("Send less at once, or split it into smaller parts."),
            ),
            429: (_("Too many tries"), _("For your security, wait a minute, then try again.")),
        }
        title, body = titles.get(error.code, (error.name, error.description))
        # What the error itself says in headers stays: Allow on a 405, Retry-After on a 429.
        kept = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        return _page(error.code, title, body, kept)

    @app.errorhandler(StorageError)
    def _limits_unavailable(error):
        """The shared store of the sign-in limits cannot be reached: the limited page is
        refused (closed, never open) until it is back."""
        log.error("rate limit store unavailable: %s", type(error.storage_error).__name__)
        title = _("Sorry, signing in is paused for a moment")
        body = _("Try again shortly. Nothing you have saved is affected.")
        headers = {"Retry-After": "30"}
        db.session.rollback()
        if _wants_json():
            return problem(503, "unavailable", body, headers=headers)
        page = render_template("errors/error.html", title=title, body=body, status=503)
        return page, 503, headers

    @app.errorhandler(OperationalError)
    def _database_down(error):
        """The database cannot be reached: say so with 503, and recover when it is back."""
        from flask import g

        with contextlib.suppress(Exception):  # the connection may be gone already
            db.session.rollback()
        g.database_down = True  # nothing on this page may ask the database (not even who you are)
        if "_login_user" not in g:
            from flask_login import AnonymousUserMixin

            g._login_user = AnonymousUserMixin()
        if waited_too_long(error):
            return busy_response(error)
        log.error("database unavailable: %s", type(error.orig).__name__)
        title = _("Sorry, the service is not available right now")
        body = _("Try again in a minute. If you were sending something, go back and send it again.")
        headers = {"Retry-After": "30"}
        if _wants_json():
            return problem(503, "unavailable", body, headers=headers)
        return render_template("errors/unavailable.html", title=title, body=body), 503, headers

    @app.errorhandler(InternalServerError)
    def _server(error):
        request_id = secrets.token_hex(6)
        original = error.original_exception or error
        # Where it failed, never what it said: a message can carry a child's name or plan text.
        frames = traceback.extract_tb(original.__traceback__)
        where = "; ".join(f"{f.filename}:{f.lineno} in {f.name}" for f in frames[-6:])
        # The driver's own error class (e.g. DeadlockDetected) says what happened, not whose data.
        kind = type(original).__name__
        if getattr(original, "orig", None) is not None:
            kind += f" ({type(original.orig).__name__})"
        log.error("request %s failed: %s at %s", request_id, kind, where)
        return _page(
            500,
            _("Sorry, there is a problem with the service"),
            _(
                "Try again later. If you contact support, give them this reference: %(id)s",
                id=request_id,
            ),
        )

    @login_manager.unauthorized_handler
    def _unauthorised():
        from flask import redirect, url_for

        if _wants_json():
            return problem(
                401,
                "unauthorised",
                "Sign in first, or send a valid bearer token.",
                headers={"WWW-Authenticate": 'Bearer realm="Core Group"'},
            )
        from coregroup import resume

        if resume.is_form_post():
            return resume.sign_in_again()
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
