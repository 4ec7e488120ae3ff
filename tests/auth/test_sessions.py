"""Sign-in, sessions, the second factor, throttling, and the audit trail of them."""

import datetime as dt

import pyotp
import pytest
from sqlalchemy import text

from coregroup import audit
from coregroup.models import AuditEvent, RecoveryCode, User, UserSession
from tests.conftest import PASSWORD, make_user, page, sign_in


def test_a_copied_cookie_is_refused_after_signing_out(client, signed_in, app):
    case, user, _ = signed_in
    cookie = client.get_cookie("session").value
    assert client.get("/cases").status_code == 200
    client.post("/sign-out")
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    assert replay.get("/cases").status_code == 302, "the ended session is refused"


def test_a_new_session_id_at_each_sign_in(client, db):
    user = make_user()
    sign_in(client, user)
    first = db.session.query(UserSession).one().id
    client.post("/sign-out")
    sign_in(client, user)
    ids = [s.id for s in db.session.query(UserSession).order_by(UserSession.created_at)]
    assert len(ids) == 2 and ids[0] == first and ids[1] != first


@pytest.mark.parametrize(
    "field, age",
    [("last_seen_at", dt.timedelta(minutes=31)), ("created_at", dt.timedelta(hours=12, minutes=1))],
)
def test_idle_and_absolute_timeouts(client, signed_in, db, field, age):
    session_row = db.session.query(UserSession).one()
    setattr(session_row, field, getattr(session_row, field) - age)
    if field == "created_at":
        session_row.last_seen_at = session_row.last_seen_at  # still active
    db.session.commit()
    assert client.get("/cases").status_code == 302


def test_a_disabled_user_is_refused_on_their_next_request(client, signed_in, db):
    _, user, _ = signed_in
    user.active = False
    db.session.commit()
    assert client.get("/cases").status_code == 302


def test_authenticated_pages_are_not_stored(client, signed_in):
    assert client.get("/cases").headers["Cache-Control"] == "no-store"


def test_ten_wrong_passwords_lock_the_account_with_the_same_answer(client, db):
    user = make_user()
    for _n in range(10):
        response = client.post("/sign-in", data={"email": user.email, "password": "wrong"})
    assert user.locked_until is not None
    locked = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    unknown = client.post("/sign-in", data={"email": "nobody@example.com", "password": "x"})
    assert locked.status_code == unknown.status_code == response.status_code == 400
    summary = [page(r).select_one(".govuk-error-summary").text for r in (locked, unknown)]
    assert summary[0] == summary[1], "no difference between a locked and an unknown account"


@pytest.fixture
def second_factor(app):
    app.config["COREGROUP_REQUIRE_SECOND_FACTOR"] = True
    return app


def test_a_professional_sets_up_a_second_factor_and_gets_recovery_codes(client, second_factor, db):
    user = make_user()
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/sign-in/set-up-code"
    html = page(client.get("/sign-in/set-up-code"))
    secret = html.select_one("#totp-secret").get_text(strip=True)
    assert html.select_one(".app-qr svg") is not None
    assert client.get("/cases").status_code == 302, "not signed in yet"
    bad = client.post("/sign-in/set-up-code", data={"code": "000000"})
    assert bad.status_code == 400
    done = page(client.post("/sign-in/set-up-code", data={"code": pyotp.TOTP(secret).now()}))
    codes = [c.get_text() for c in done.select("#recovery-codes code")]
    assert len(codes) == 10 and db.session.query(RecoveryCode).count() == 10
    assert client.get("/cases").status_code == 200
    stored = db.session.query(RecoveryCode).first().code_hash
    assert all(code not in stored for code in codes), "only hashes are kept"


def test_a_totp_code_cannot_be_used_twice(client, second_factor, db):
    secret = pyotp.random_base32()
    user = make_user(totp_secret=secret)
    code = pyotp.TOTP(secret).now()
    client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert client.post("/sign-in/code", data={"code": code}).status_code == 302
    client.post("/sign-out")
    client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    again = client.post("/sign-in/code", data={"code": code})
    assert again.status_code == 400
    assert "used already" in page(again).text


def test_a_recovery_code_works_once(client, second_factor, db, app):
    user = make_user(totp_secret=pyotp.random_base32())
    with app.test_request_context():
        from coregroup.auth import new_recovery_codes

        code = new_recovery_codes(user)[0]
    db.session.commit()
    client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert client.post("/sign-in/code", data={"code": code}).status_code == 302
    client.post("/sign-out")
    client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert client.post("/sign-in/code", data={"code": code}).status_code == 400


def test_family_members_sign_in_without_a_second_factor(client, planned, second_factor):
    case, members = planned
    client.post("/sign-out")
    response = client.post(
        "/sign-in", data={"email": members["layla"].user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/cases"


def test_views_changes_exports_and_sign_ins_are_audited(client, planned, db, runner):
    case, members = planned
    client.get(f"/cases/{case.id}")
    client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": "Audited change"})
    client.get(f"/api/v1/cases/{case.id}/plan")
    actions = [(e.action, e.target) for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert actions[0] == ("sign-in", "sign-in")
    assert ("view", f"GET /cases/{case.id}") in actions
    assert ("change", f"POST /cases/{case.id}/plan/aims/aims") in actions
    assert ("export", f"GET /api/v1/cases/{case.id}/plan") in actions
    html = page(client.get(f"/cases/{case.id}/audit"))
    assert "Viewed" in html.text and "Sam" in html.text
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "intact" in result.output


def test_the_database_refuses_to_change_or_delete_audit_events(planned, db, app):
    with app.test_request_context():
        audit.record("view", "test", None, None)
    db.session.commit()
    for statement in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text(statement))
            db.session.commit()
        db.session.rollback()


def test_tampering_around_the_triggers_is_found_and_named(planned, db, app, runner):
    with app.test_request_context():
        for n in range(3):
            audit.record("view", f"page {n}", None, None)
    db.session.commit()
    second = db.session.query(AuditEvent).order_by(AuditEvent.id).all()[1]
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("DROP TRIGGER audit_event_no_update"))
    else:
        db.session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change"))
    db.session.execute(
        text("UPDATE audit_event SET target = 'edited' WHERE id = :id"), {"id": second.id}
    )
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"Audit event {second.id} has been tampered with" in result.output


def test_a_user_created_with_a_common_password_is_refused(runner, db):
    result = runner.invoke(
        args=["users", "create", "--email", "p@example.com", "--name", "P"],
        env={"COREGROUP_NEW_PASSWORD": "password123"},
    )
    assert result.exit_code != 0 and "common password" in result.output
    assert db.session.query(User).count() == 0


def test_the_signed_in_person_is_their_account_checked_with_their_session(client, db):
    """`current_user` is the person's account, loaded with their session in one query."""
    from flask_login import current_user

    from coregroup.models import User

    user = make_user(name="Rita Row", preferred_language="cy")
    sign_in(client, user)
    with client:
        assert client.get("/cases").status_code == 200
        person = current_user._get_current_object()
        assert isinstance(person, User)
        assert (person.id, person.name, person.preferred_language) == (user.id, "Rita Row", "cy")
