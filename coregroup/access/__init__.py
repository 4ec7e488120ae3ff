"""The one place that decides who may see a case, and what they may do with it.

Every case route names the permission it needs (`@case_route("plan.edit")`). A person who is not
a current member of the case gets 404 for every URL of it, and so does a member whose role lacks
the permission: a 404 tells nobody whether the case, or the page, exists.
"""

from __future__ import annotations

import datetime as dt
from functools import wraps

from flask import abort, current_app, g, make_response, request, session
from flask_login import current_user, login_required
from sqlalchemy import and_, bindparam, false, or_, select, text
from sqlalchemy.orm import contains_eager, selectinload

from coregroup import audit, tokens
from coregroup.extensions import db
from coregroup.models import FAMILY_ROLES, Case, Member
from coregroup.problems import problem

ADMIN, LEAD, PROFESSIONAL, FAMILY, VIEWER = (
    "administrator",
    "lead social worker",
    "core group professional",
    "family member",
    "read-only viewer",
)

# The permission matrix: which case roles may do what. The README shows the same table.
PERMISSIONS: dict[str, frozenset[str]] = {
    "case.view": frozenset({LEAD, PROFESSIONAL, FAMILY, VIEWER}),
    "plan.contribute": frozenset({LEAD, PROFESSIONAL, FAMILY}),  # through their own flow
    "plan.edit": frozenset({LEAD, PROFESSIONAL}),  # the whole plan, e.g. through the API
    "plan.history": frozenset({LEAD, PROFESSIONAL, VIEWER}),
    "plan.export": frozenset({LEAD, PROFESSIONAL, FAMILY, VIEWER}),  # family: family fields
    "case.export": frozenset({LEAD, PROFESSIONAL}),  # the whole case, to move or report it
    "meeting.view": frozenset({LEAD, PROFESSIONAL, FAMILY, VIEWER}),
    "meeting.record": frozenset({LEAD, PROFESSIONAL}),
    "meeting.circulate": frozenset({LEAD, PROFESSIONAL}),
    "meeting.confirm-receipt": frozenset({FAMILY, LEAD, PROFESSIONAL}),
    "members.manage": frozenset({LEAD}),
    "case.manage": frozenset({LEAD}),  # e.g. record that a review conference was held
    "audit.view": frozenset({LEAD}),
}
# Account-wide permissions, not tied to one case.
ACCOUNT_PERMISSIONS = {
    "users.manage": frozenset({ADMIN}),
    "people.subject-access": frozenset({ADMIN}),
}


def role_kind(role: str) -> str:
    """The case role (a column of the matrix) of a member's role, e.g. "teacher"."""
    if role == "lead-social-worker":
        return LEAD
    if role in FAMILY_ROLES:
        return FAMILY
    if role == "viewer":
        return VIEWER
    return PROFESSIONAL


def case_role(member: Member) -> str:
    return role_kind(member.role)


def role_may(role: str, permission: str) -> bool:
    return role_kind(role) in PERMISSIONS[permission]


def can(member: Member | None, permission: str) -> bool:
    return member is not None and role_may(member.role, permission)


def current_on(day):
    """The condition for a membership in force on `day` (the same as Member.current_on): from
    the day they joined, up to the day before they left."""
    return and_(
        or_(Member.joined_on.is_(None), Member.joined_on <= day),
        or_(Member.left_on.is_(None), Member.left_on > day),
    )


_MEMBER_AND_CASE = (
    select(Member)
    .join(Case)
    .options(contains_eager(Member.case))
    .where(
        Member.case_id == bindparam("case_id"),
        Member.user_id == bindparam("user_id"),
        current_on(bindparam("today")),
    )
)


def membership(user, case_id: int) -> Member | None:
    """The user's current membership of the case (with the case), or None: leavers (from the
    day they left), people not yet joined, and strangers see nothing. One query, run on every
    case page."""
    if not user.is_authenticated:
        return None
    return db.session.scalar(
        _MEMBER_AND_CASE, {"case_id": case_id, "user_id": user.id, "today": dt.date.today()}
    )


def case_route(
    permission: str, audited: bool = True, when_closed: bool = False, own_rows: bool = False
):
    """Load the case named by `case_id` for a member whose role has `permission`; else 404.

    `audited=False` only for polling that shows no case content beyond what the pages showed.
    A closed case is read-only: a change is refused with a page that says so and shows what
    was typed, unless the route says it is for a closed case too (`when_closed`: starting a
    new plan, a legal hold, a subject access release, confirming receipt).
    `own_rows`: a change that writes only the person's own rows in the case (their draft and
    the answers it sets aside): it waits for nobody else's change to the case, only for their
    own in another window (PostgreSQL: their membership's row lock instead of the case's).
    """
    if permission not in PERMISSIONS:
        raise KeyError(permission)

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapped(*args, case_id: int, **kwargs):
            member = membership(current_user, case_id)
            if not can(member, permission):
                abort(404)
            token = tokens.current()
            if token is not None and not tokens.allows(tokens.PERMISSION_SCOPES[permission]):
                needed = tokens.PERMISSION_SCOPES[permission]
                detail = f"This token needs the {needed} scope."
                return problem(403, "insufficient_scope", detail, "/scope")
            if token is None and _needs_second_factor_now(member):
                return _sign_in_again()
            g.member, g.case = member, narrowed(member)
            g.can = lambda name: can(member, name)
            if member.case.is_closed:
                from coregroup.cases import childplans

                if childplans.closed_to(member, dt.date.today()):
                    return _closed_page(member.case, 410)
            if g.get("case_audited") == case_id:  # a view of this request calling another
                return view(*args, case_id=case_id, **kwargs)
            g.case_audited = case_id
            target = tokens.audit_target()
            if request.method in ("GET", "HEAD"):
                if audited:  # committed with the request's unit of work, before it is sent
                    action = "export" if request.path.startswith("/api/") else "view"
                    audit.record(action, target, current_user.id, case_id)
                return view(*args, case_id=case_id, **kwargs)
            # Changes to one case are applied one after another (PostgreSQL: the case's row
            # lock, held to the commit; SQLite has one writer at a time anyway). FOR NO KEY
            # UPDATE, as every row lock here: rows that refer to the case (an audit event, a
            # version) still take their foreign-key lock on it, so a reader's audit record
            # never waits in a circle with a change.
            wait_for_locks_at_most(current_app.config["COREGROUP_LOCK_WAIT_SECONDS"])
            if own_rows:
                lock = select(Member.id).where(Member.id == member.id)
            else:
                lock = select(Case.id).where(Case.id == case_id)
            db.session.execute(lock.with_for_update(key_share=True))
            db.session.refresh(member.case, ["status"])  # closed by someone meanwhile?
            if member.case.is_closed and not when_closed:
                response = make_response(_closed_page(member.case, 409))
            else:
                response = make_response(view(*args, case_id=case_id, **kwargs))
            # A request that was refused (4xx: invalid, a clash, a precondition) is recorded
            # as such, never as a change.
            action = "change" if response.status_code < 400 else "refused"
            audit.record(action, target, current_user.id, case_id)
            return response

        wrapped.case_permission = permission
        return wrapped

    return decorate


def wait_for_locks_at_most(seconds: float) -> None:
    """PostgreSQL: a lock this transaction waits for longer than `seconds` ends it with
    LockNotAvailable (answered 503 with Retry-After: coregroup.errors). SQLite's one writer
    waits as long (its busy timeout, set when it connects)."""
    if db.session.get_bind().dialect.name == "postgresql":
        milliseconds = max(1, int(seconds * 1000))
        db.session.execute(text(f"SET LOCAL lock_timeout = {milliseconds}"))


# Form fields that carry the page's machinery, not what a person typed.
_MACHINERY = {"csrf_token", "page_state", "shown", "base", "action"}


def typed_answers() -> list[tuple[str, str]]:
    """What the person typed into the form they sent (not its machinery), to show back."""
    return [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in _MACHINERY and value.strip()
    ]


def _closed_page(case: Case, status: int):
    """The case closed: nothing can change (409, with what was typed to copy), or its reading
    period is over (410)."""
    from flask import render_template

    from coregroup.cases import childplans

    if request.path.startswith("/api/") or request.is_json:
        return problem(status, "case_closed", "This case is closed: nothing in it can change.")
    typed = typed_answers()
    page = render_template(
        "cases/closed.html",
        case=case,
        typed=typed if status == 409 else [],
        until=childplans.readable_until(case),
    )
    return page, status


def professional_memberships_allowed() -> bool:
    """Whether this request may use professional memberships: a session that gave a second
    factor (or a bearer token, made by the person for another system), or any session where
    no second factor is required. An account that signed in with a family member's passcode
    alone and was then invited as a professional (or handed the lead) signs in again with one
    first; until then its professional cases are not even listed."""
    return (
        not current_app.config["COREGROUP_REQUIRE_SECOND_FACTOR"]
        or bool(session.get("second_factor"))
        or tokens.current() is not None
    )


def _needs_second_factor_now(member: Member) -> bool:
    return not member.is_family and not professional_memberships_allowed()


def _sign_in_again():
    from flask import flash, redirect, url_for
    from flask_login import logout_user
    from sqlalchemy import update

    from coregroup.i18n import gettext as _
    from coregroup.models import UserSession, utcnow

    sid = session.get("sid")
    if sid:
        db.session.execute(
            update(UserSession).where(UserSession.id == sid).values(ended_at=utcnow())
        )
    logout_user()
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    if request.path.startswith("/api/"):
        return problem(401, "unauthorised", "Sign in again with your second factor.")
    flash(_("Sign in again with the code from your authenticator app to see this case."))
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def still_readable(today: dt.date):
    """The condition for a case its member may still open: not closed, closed within the
    reading period (COREGROUP_CLOSED_READABLE_DAYS), or they are its lead social worker (as
    coregroup.cases.childplans.closed_to decides for one case)."""
    days = current_app.config["COREGROUP_CLOSED_READABLE_DAYS"]
    return or_(
        Case.status != "closed",
        Case.closed_on >= today - dt.timedelta(days=days),
        Member.role == "lead-social-worker",
    )


def narrowed(member: Member) -> Case:
    """The member's case, named for them: a family member's pages name only the children
    they are a parent or carer of (a half-sibling's father sees his child's name alone)."""
    case = member.case
    case.shown_children = {c.id for c in member.children} if member.is_family else None
    return case


def my_memberships(user, children: bool = True) -> list[Member]:
    """The person's current memberships of the cases they may open, ordered by reference, each
    case named for them (narrowed), in a fixed number of queries however many. `children`:
    False leaves the cases' children to `with_children` (a page showing a few of many)."""
    today = dt.date.today()
    loads = contains_eager(Member.case)
    query = (
        select(Member)
        .join(Case)
        # Each case's title names its children: loaded for all the cases in one query.
        .options(loads.selectinload(Case.children) if children else loads)
        .where(Member.user_id == user.id, current_on(today), still_readable(today))
        .order_by(Case.reference)
    )
    if not professional_memberships_allowed():
        query = query.where(Member.role.in_(FAMILY_ROLES))
    found = list(db.session.scalars(query))
    family = [m.id for m in found if m.is_family]
    if family:  # their own children, which name the case for them (none for a professional)
        db.session.scalars(
            select(Member).where(Member.id.in_(family)).options(selectinload(Member.children))
        ).all()
    for member in found:
        narrowed(member)
    return found


def with_children(cases: list[Case]) -> list[Case]:
    """These cases with their children loaded, in one query (to name them)."""
    if cases:
        db.session.scalars(
            select(Case)
            .where(Case.id.in_([c.id for c in cases]))
            .options(selectinload(Case.children))
        ).all()
    return cases


def my_cases(user) -> list[Case]:
    return [member.case for member in my_memberships(user)]


def professional_case_ids(user, today: dt.date):
    """The ids of the cases where this person is a current professional member, as a SELECT
    for IN (the dashboard reads nothing else of them)."""
    query = (
        select(Member.case_id)
        .join(Case)
        .where(
            Member.user_id == user.id,
            current_on(today),
            still_readable(today),
            Member.role.not_in(FAMILY_ROLES),
        )
    )
    if not professional_memberships_allowed():
        query = query.where(false())
    return query


SOCIAL_WORK_ROLES = ("lead-social-worker", "social-worker")


def can_open_cases(user) -> bool:
    """Only social workers open cases (whoever records the initial conference becomes its lead
    social worker): an account an administrator made as a professional's, or someone who is a
    social worker in a core group now, signed in with their second factor. A GP or police
    officer invited to one core group is not; nor is someone who was once a social worker."""
    if user.professional:
        return True
    if not professional_memberships_allowed():
        return False
    roles = set(
        db.session.scalars(
            select(Member.role).where(Member.user_id == user.id, current_on(dt.date.today()))
        )
    )
    return bool(roles & set(SOCIAL_WORK_ROLES))


def can_account(user, permission: str) -> bool:
    return bool(
        user.is_authenticated and user.is_admin and ADMIN in ACCOUNT_PERMISSIONS[permission]
    )
