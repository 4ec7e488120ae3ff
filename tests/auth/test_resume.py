"""Nothing typed is lost when the session ends or the form's token expired."""

from coregroup import create_app
from coregroup.extensions import db as _db
from coregroup.models import PendingSubmission, UserSession
from coregroup.plans import services
from tests.conftest import PASSWORD, make_case, make_member, make_user, page, sign_in


def test_text_typed_after_the_session_ended_is_kept_and_sent_after_signing_in(
    client, signed_in, db
):
    case, user, _ = signed_in
    db.session.query(UserSession).one().ended_at = db.func.now()
    db.session.commit()
    url = f"/cases/{case.id}/plan/aims/aims"
    response = client.post(
        url,
        data={"aims": "A long answer typed over an hour"},
        headers={"Origin": "http://localhost"},
    )
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert "resume=" in response.headers["Location"]
    signed = client.post(
        response.headers["Location"], data={"email": user.email, "password": PASSWORD}
    )
    resume_url = signed.headers["Location"]
    assert resume_url.startswith("/resume/")
    html = page(client.get(resume_url))
    assert "A long answer typed over an hour" in html.text
    form = html.select_one("main form[action]")
    assert form["action"] == url
    data = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    assert client.post(url, data=data).status_code == 302
    document, _draft = services.working_document(case, user)
    assert document["aims"] == "A long answer typed over an hour"


def test_an_expired_form_token_keeps_what_was_typed(database_uri):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_uri, WTF_CSRF_ENABLED=True)
    with app.app_context():
        _db.create_all()
        case = make_case()
        user = make_user()
        make_member(case, user)
        url, email = f"/cases/{case.id}/plan/aims/aims", user.email
    client = app.test_client()
    token = page(client.get("/sign-in")).select_one("input[name=csrf_token]")["value"]
    client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})
    response = client.post(
        url, data={"aims": "Typed", "csrf_token": "stale"}, headers={"Origin": "http://localhost"}
    )
    assert response.status_code == 302 and response.headers["Location"].startswith("/resume/")
    html = page(client.get(response.headers["Location"]))
    assert "Typed" in html.text and html.select_one("input[name=csrf_token]")["value"]
    with app.app_context():
        _db.engine.dispose()


def test_passwords_are_never_kept(client, db):
    user = make_user()
    sign_in(client, user)
    client.post("/sign-out")
    assert db.session.query(PendingSubmission).count() == 0


def test_another_sites_form_is_never_kept_to_send_again(database_uri):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_uri, WTF_CSRF_ENABLED=True)
    with app.app_context():
        _db.create_all()
        case = make_case()
        user = make_user()
        make_member(case, user)
        url, email = f"/cases/{case.id}/plan/aims/aims", user.email
    client = app.test_client()
    token = page(client.get("/sign-in")).select_one("input[name=csrf_token]")["value"]
    client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})
    response = client.post(
        url, data={"aims": "Written by an attacker"}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 400
    with app.app_context():
        assert _db.session.query(PendingSubmission).count() == 0
        _db.engine.dispose()
