"""The start page, the list of a person's cases, and the health check."""

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import text

from coregroup import audit
from coregroup.access import my_memberships, with_children
from coregroup.extensions import db
from coregroup.models import User
from coregroup.params import page_number
from coregroup.redirects import safe_next

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for("main.cases"))


CASES_PER_PAGE = 50


@bp.get("/cases")
@login_required
def cases():
    """The person's cases by reference, a page at a time (`?page=`)."""
    try:
        number = page_number(request.args.get("page", "1"))
    except ValueError:
        abort(404)
    found = [m.case for m in my_memberships(current_user, children=False)]
    pages = max(1, -(-len(found) // CASES_PER_PAGE))
    number = min(number, pages)
    shown = with_children(found[(number - 1) * CASES_PER_PAGE : number * CASES_PER_PAGE])
    page = render_template(
        "cases/index.html", cases=shown, total=len(found), number=number, pages=pages
    )
    audit.record_each(
        "view", "GET " + request.full_path.rstrip("?"), current_user.id, [c.id for c in shown]
    )
    return page


@bp.get("/dashboard")
@login_required
def dashboard():
    """What needs doing across the person's cases, a page at a time (`?page=`), of one kind
    only with `?kind=overdue|attention|due`."""
    import datetime as dt

    from coregroup import dashboard as board

    kind = request.args.get("kind")
    if kind not in (None, *board.KINDS):
        abort(404)
    try:
        number = page_number(request.args.get("page", "1"))
    except ValueError:
        abort(404)
    found = board.page(current_user, dt.date.today(), number, kind)
    page = render_template("dashboard.html", board=found)
    shown = sorted({item.case.id for item in found.items})
    audit.record_each("view", "GET " + request.full_path.rstrip("?"), current_user.id, shown)
    return page


@bp.route("/language/<code>", methods=["GET", "POST"])
def language(code: str):
    """Choose a language: remembered in the session (its cookie); chosen with the switcher (a
    POST), also saved on a signed-in person's account. A GET (a link) writes no account."""
    from flask import abort, current_app, request, session

    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    if request.method == "POST" and current_user.is_authenticated:
        db.session.get(User, current_user.id).preferred_language = code
    return redirect(safe_next(request.values.get("next"), fallback="/"))


@bp.get("/languages")
def languages():
    """Each language's completeness, and honestly whether a qualified translator checked it."""
    from coregroup.i18n import WANTED, catalog_status, own_name

    rows = [(code, own_name(code), catalog_status(code)) for code in WANTED]
    return render_template("languages.html", rows=rows)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        db.session.rollback()
        return jsonify(status="unavailable", database="down"), 503
    return jsonify(status="ok", database="up")
