"""The application as a whole: configuration, errors, headers, sign-in, CSRF, commands."""

import pytest

from coregroup import create_app
from coregroup.extensions import db as _db
from tests.conftest import PASSWORD, make_case, make_member, make_user, page, sign_in


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json()["database"] == "up"


def test_oversized_requests_are_refused_with_413(client, signed_in):
    case, *_ = signed_in
    big = "x" * (1024 * 1024 + 1)
    response = client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": big})
    assert response.status_code == 413
    assert page(response).select_one("h1").get_text(strip=True) == "What you sent is too large"


def test_security_headers_are_on_every_response_including_errors(client):
    for response in (client.get("/sign-in"), client.get("/no-such-page")):
        csp = response.headers["Content-Security-Policy"]
        assert "object-src 'none'" in csp and "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp and "base-uri 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"


def test_the_inline_script_carries_the_csp_nonce(client):
    response = client.get("/sign-in")
    nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    scripts = page(response).select("script:not([src])")
    assert scripts and all(s.get("nonce") == nonce for s in scripts)


def test_production_refuses_a_default_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", SECRET_KEY=None)
    with pytest.raises(RuntimeError, match="HTTPS-only"):
        create_app("production", SECRET_KEY="k" * 40, SESSION_COOKIE_SECURE=False)


def test_sign_in_with_a_wrong_password_says_so_without_naming_the_account(client, db):
    user = make_user()
    wrong = client.post("/sign-in", data={"email": user.email, "password": "nope"})
    unknown = client.post("/sign-in", data={"email": "who@example.test", "password": "nope"})
    for response in (wrong, unknown):
        assert response.status_code == 400
        assert "The email address or password is not right" in page(response).text
    assert page(wrong).select_one("#email")["value"] == user.email, "typed email kept"


def test_sign_in_and_out(client, db):
    user = make_user()
    sign_in(client, user)
    assert client.get("/cases").status_code == 200
    response = client.post("/sign-out")
    assert "Clear-Site-Data" in response.headers
    assert client.get("/cases").status_code == 302


def test_csrf_protects_every_form_when_enabled(database_uri):
    app = create_app(
        "test",
        WTF_CSRF_ENABLED=True,
        SQLALCHEMY_DATABASE_URI=database_uri,
    )
    with app.app_context():
        _db.create_all()
        case = make_case()
        user = make_user()
        make_member(case, user)
        email, url = user.email, f"/cases/{case.id}/plan/aims/aims"
    # Requests run outside the set-up's app context, each with its own `g`, as in production.
    client = app.test_client()
    refused = client.post("/sign-in", data={"email": email, "password": PASSWORD})
    assert refused.status_code == 400
    assert "Your session has ended" in page(refused).text
    token = page(client.get("/sign-in")).select_one("input[name=csrf_token]")["value"]
    data = {"email": email, "password": PASSWORD, "csrf_token": token}
    assert client.post("/sign-in", data=data).status_code == 302
    refused = client.post(url, data={"aims": "x"}, headers={"Origin": "http://localhost"})
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/resume/")
    token = page(client.get(url)).select_one("form[novalidate] input[name=csrf_token]")["value"]
    assert client.post(url, data={"aims": "x", "csrf_token": token}).status_code == 302


def test_the_demo_command_loads_a_valid_demo_case_once(runner, app, db):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "sam@demo.coregroup.example" in result.output
    again = runner.invoke(args=["demo"])
    assert "already loaded" in again.output
    from coregroup.models import Case, PlanVersion

    case = db.session.query(Case).one()
    version = db.session.query(PlanVersion).one()
    schema = app.extensions["coregroup.schemas"]["child-protection-plan"]
    assert schema.errors(version.document) == []
    sides = {need["side"] for need in version.document["needs"]}
    assert sides == {"grow", "care", "world"}
    assert len(case.members) >= 6


def test_users_create(runner, db):
    result = runner.invoke(
        args=["users", "create", "--email", "new@example.test", "--name", "New Person"],
        env={"COREGROUP_NEW_PASSWORD": "a long enough password"},
    )
    assert result.exit_code == 0, result.output
    again = runner.invoke(
        args=["users", "create", "--email", "NEW@example.test", "--name", "Again"],
        env={"COREGROUP_NEW_PASSWORD": "a long enough password"},
    )
    assert again.exit_code != 0 and "already exists" in again.output


def test_a_server_error_shows_a_generic_page_with_a_reference(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("child's name must never reach the page")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom")
    assert response.status_code == 500
    assert "must never" not in response.text
    assert "give them this reference" in page(response).text


def test_the_demo_has_a_completed_first_meeting_with_a_valid_record(runner, app, db):
    from coregroup.meetings import services as meetings
    from coregroup.models import Meeting

    runner.invoke(args=["demo"])
    meeting = db.session.query(Meeting).one()
    assert meeting.is_completed and meeting.kind == "first"
    assert meetings.meeting_schema().errors(meeting.record) == []


def test_a_server_error_never_logs_what_the_error_said(app, client, caplog):
    @app.get("/boom-with-name")
    def boom_with_name():
        raise RuntimeError("Amira Hassan was left alone")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level("DEBUG"):
        response = client.get("/boom-with-name")
    assert response.status_code == 500
    assert "RuntimeError" in caplog.text and "Amira" not in caplog.text


def test_demo_professionals_get_their_code_from_the_demo_command(runner, app, db):
    import pyotp

    from coregroup.auth import find_user

    runner.invoke(args=["demo"])
    result = runner.invoke(args=["demo-code", "sam@demo.coregroup.example"])
    user = find_user("sam@demo.coregroup.example")
    assert result.output.strip() == pyotp.TOTP(user.totp_secret).now()
    assert runner.invoke(args=["demo-code", "someone@example.com"]).exit_code != 0


def test_hsts_over_https(client):
    response = client.get("/sign-in", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("proxies", [0, 1])
def test_behind_a_trusted_proxy_the_client_address_and_https_are_the_proxys_word(
    database_uri, proxies
):
    """ProxyFix with COREGROUP_TRUSTED_PROXIES: the audit records, and the sign-in limit counts,
    the address the load balancer saw; HSTS is sent for what reached it over https. With no
    trusted proxy, the same headers (anyone can send them) change nothing."""
    from coregroup.models import AuditEvent

    app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=database_uri,
        COREGROUP_TRUSTED_PROXIES=proxies,
        RATELIMIT_ENABLED=True,
        COREGROUP_SIGN_IN_LIMIT="2 per minute",
    )
    with app.app_context():
        _db.create_all()
        user = make_user()
        client = app.test_client()
        forwarded = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
        response = client.post(
            "/sign-in",
            data={"email": user.email, "password": PASSWORD},
            headers=forwarded,
            environ_base={"REMOTE_ADDR": "10.0.0.2"},
        )
        assert response.status_code == 302
        event = _db.session.query(AuditEvent).filter_by(action="sign-in").one()
        assert event.ip == ("203.0.113.7" if proxies else "10.0.0.2")
        assert ("Strict-Transport-Security" in response.headers) == bool(proxies)
        # Two clients behind the one balancer are limited each on their own address.
        tries = [
            client.post(
                "/sign-in",
                data={"email": "a@b.c", "password": "x"},
                headers={"X-Forwarded-For": address},
                environ_base={"REMOTE_ADDR": "10.0.0.2"},
            ).status_code
            for address in ("198.51.100.1", "198.51.100.1", "198.51.100.2")
        ]
        # Without a trusted proxy everyone is 10.0.0.2: the sign-in above was its first try.
        assert tries == ([400, 400, 400] if proxies else [400, 429, 429])
        _db.session.remove()
        _db.engine.dispose()


def test_a_forwarded_address_that_is_no_address_is_not_recorded(database_uri):
    from coregroup.models import AuditEvent

    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_uri, COREGROUP_TRUSTED_PROXIES=1)
    with app.app_context():
        _db.create_all()
        user = make_user()
        response = app.test_client().post(
            "/sign-in",
            data={"email": user.email, "password": PASSWORD},
            headers={"X-Forwarded-For": "9" * 300},
        )
        assert response.status_code == 302  # not a 500 from a 300-character "address"
        assert _db.session.query(AuditEvent).filter_by(action="sign-in").one().ip is None
        _db.session.remove()
        _db.engine.dispose()


def test_the_language_chosen_on_the_way_in_stays_after_signing_in(client, db):
    user = make_user(preferred_language="en_GB")
    client.post("/language/cy?next=/sign-in")
    sign_in(client, user)
    assert page(client.get("/cases")).html["lang"] == "cy"
